"""F.unfold / F.fold (im2col / col2im) against PyTorch, and conv2d as unfold + matmul."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F


def fold_config(r):
    k = (int(r.integers(1, 4)), int(r.integers(1, 4)))
    d = (int(r.integers(1, 3)), int(r.integers(1, 3)))
    p = (int(r.integers(0, 2)), int(r.integers(0, 2)))
    s = (int(r.integers(1, 3)), int(r.integers(1, 3)))
    size = tuple(max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]) + int(r.integers(0, 4))
                 for i in range(2))
    return dict(kernel_size=k, dilation=d, padding=p, stride=s), size


def test_unfold_fold_parity_grid():
    r = np.random.default_rng(60)
    for i in range(60):
        kw, size = fold_config(r)
        c = int(r.integers(1, 4))
        lead = (int(r.integers(1, 3)), c) if i % 4 else (c,)
        x = r.standard_normal(lead + size)
        dtype = np.float32 if i % 2 == 0 else np.float64
        (cols,), _ = check_parity(lambda a: F.unfold(a, **kw), lambda a: TF.unfold(a, **kw), [x],
                                  dtype=dtype)
        check_parity(lambda a: F.fold(a, size, **kw), lambda a: TF.fold(a, size, **kw),
                     [r.standard_normal(tuple(cols.shape))], dtype=dtype)


def test_unfold_fold_gradcheck(rng):
    kw = dict(kernel_size=(2, 3), dilation=(1, 2), padding=1, stride=(2, 1))
    gradcheck(lambda a: F.unfold(a, **kw), [rng.standard_normal((2, 2, 5, 6))])
    cols = F.unfold(gn.zeros(2, 2, 5, 6), **kw)
    gradcheck(lambda a: F.fold(a, (5, 6), **kw), [rng.standard_normal(tuple(cols.shape))])


def test_conv2d_is_unfold_then_matmul(rng):
    x = gn.tensor(rng.standard_normal((2, 3, 7, 6)))
    w = gn.tensor(rng.standard_normal((4, 3, 3, 2)))
    cols = F.unfold(x, (3, 2), padding=1, stride=2)
    y = (w.reshape(4, -1) @ cols).reshape(2, 4, 4, 4)
    np.testing.assert_allclose(y.numpy(), F.conv2d(x, w, padding=1, stride=2).numpy(),
                               rtol=1e-10)
    # fold(unfold(x)) multiplies each pixel by the number of blocks covering it
    ones = gn.ones(1, 1, 4, 4)
    counts = F.fold(F.unfold(ones, 3, padding=1), (4, 4), 3, padding=1)
    assert counts.numpy()[0, 0].tolist() == [[4, 6, 6, 4], [6, 9, 9, 6], [6, 9, 9, 6],
                                             [4, 6, 6, 4]]


def test_fold_errors():
    with pytest.raises(RuntimeError, match="divisible"):
        F.fold(gn.randn(1, 5, 4), (3, 3), 2)
    with pytest.raises(RuntimeError, match="blocks"):
        F.fold(gn.randn(1, 4, 5), (3, 3), 2)
