"""F.dropout draws its mask from glassnet's seeded generator."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F


def test_dropout_same_seed_same_mask():
    x = gn.ones(10, 10)
    gn.manual_seed(7)
    a = F.dropout(x, 0.5).numpy()
    gn.manual_seed(7)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)
