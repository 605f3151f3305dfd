"""F.batch_norm in training and evaluation mode: a float64 gradient check and PyTorch parity."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional_gradcheck(training, rng):
    x = rng.standard_normal((4, 3, 2))
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def f(x, w, b):
        return F.batch_norm(x, gn.tensor(rm), gn.tensor(rv), w, b, training=training)

    gradcheck(f, [x, w, b])
    check_parity(lambda x, w, b: F.batch_norm(x, gn.tensor(rm, dtype=x.dtype),
                                              gn.tensor(rv, dtype=x.dtype), w, b, training),
                 lambda x, w, b: TF.batch_norm(x, torch.tensor(rm, dtype=x.dtype),
                                               torch.tensor(rv, dtype=x.dtype), w, b, training),
                 [x, w, b], dtype=np.float64)


def test_batch_norm_of_an_empty_1d_input():
    for training in (True, False):
        g = F.batch_norm(gn.zeros(0), gn.zeros(0), gn.ones(0), training=training)
        t = TF.batch_norm(torch.zeros(0), torch.zeros(0), torch.ones(0), training=training)
        assert tuple(g.shape) == tuple(t.shape) == (0,)
