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


@pytest.mark.parametrize("training", [True, False])
@pytest.mark.parametrize("shape", [(4, 3), (3, 2, 4), (2, 3, 2, 2)])
def test_native_batch_norm(training, shape, rng):
    """(out, save_mean, save_invstd) as torch.native_batch_norm: the batch statistics in
    training (running statistics updated in place), empty tensors in evaluation."""
    c = shape[1]
    x, w, b = rng.standard_normal(shape), rng.uniform(0.5, 1.5, c), rng.standard_normal(c)
    rm, rv = rng.standard_normal(c), rng.uniform(0.5, 2, c)
    for dtype in (np.float32, np.float64):
        g_rm, g_rv = gn.tensor(rm.astype(dtype)), gn.tensor(rv.astype(dtype))
        t_rm, t_rv = torch.tensor(rm.astype(dtype)), torch.tensor(rv.astype(dtype))
        out, _ = check_parity(
            lambda a, ww, bb, m=g_rm, v=g_rv: gn.native_batch_norm(a, ww, bb, m, v, training,
                                                                  0.3, 1e-5),
            lambda a, ww, bb, m=t_rm, v=t_rv: torch.native_batch_norm(a, ww, bb, m, v, training,
                                                                     0.3, 1e-5),
            [x, w, b], dtype=dtype)
        assert tuple(out[1].shape) == ((c,) if training else (0,))
        np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), rtol=1e-5)
        np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), rtol=1e-5)
    gradcheck(lambda a, ww, bb: gn.native_batch_norm(a, ww, bb, None, None, True, 0.1, 1e-5)[0],
              [x, w, b])
