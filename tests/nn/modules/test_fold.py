"""The Fold and Unfold layers against PyTorch: reprs, outputs and gradients."""

from __future__ import annotations

import pytest
import torch.nn as tnn
from helpers import FLOAT_DTYPES, check_parity

import glassnet.nn as nn


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_fold_unfold_layers(dtype, rng):
    x = rng.standard_normal((2, 3, 6, 5))
    for kw in ({"kernel_size": 2}, {"kernel_size": (2, 3), "dilation": (1, 2), "padding": 1,
                                         "stride": (2, 1)}):
        g, t = nn.Unfold(**kw), tnn.Unfold(**kw)
        assert repr(g) == repr(t)
        cols = check_parity(g, t, [x], dtype=dtype)[1][0].detach().numpy()
        fg, ft = nn.Fold((6, 5), **kw), tnn.Fold((6, 5), **kw)
        assert repr(fg) == repr(ft)
        check_parity(fg, ft, [cols], dtype=dtype)
