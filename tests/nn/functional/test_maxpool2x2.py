"""Max pooling with 2x2 windows at stride 2 (the two-step kernel): PyTorch's pixel on every kind of
tie, with NaN and -inf, on odd sizes, and split among threads, for values, indices and gradients."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as TF
from helpers import check_parity

import glassnet as gn
import glassnet.nn.functional as F


def test_max_pool_2x2_ties_and_nan():
    x = np.zeros((2, 3, 6, 8))
    x[0, 0, 0, 1] = x[0, 0, 1, 0] = 1.0  # two equal maxima in one window
    x[1, 2, 2, 2] = np.nan
    x[1, 2, 3, 3] = np.nan  # two NaNs: PyTorch takes the last
    x[1, 1, 4:6, 4:6] = -np.inf
    check_parity(lambda a: F.max_pool2d(a, 2, return_indices=True),
                 lambda a: TF.max_pool2d(a, 2, return_indices=True), [x], dtype=np.float32)
    check_parity(lambda a: F.max_pool2d(a, 3, 2, 1, return_indices=True),
                 lambda a: TF.max_pool2d(a, 3, 2, 1, return_indices=True), [x], dtype=np.float64)


def test_max_pool_2x2_fast_path_ties_odd_sizes_and_threads(monkeypatch):
    # 2x2 / stride 2 runs in two pairwise steps (split among threads for big batches): it must
    # pick PyTorch's pixel on every kind of tie, on odd sizes, with NaN, for values and grads.
    r = np.random.default_rng(8)
    for i, shape in enumerate([(2, 3, 6, 8), (3, 2, 7, 5), (1, 1, 2, 2), (4, 3, 9, 10)]):
        for low, high in [(0, 2), (-1, 1), (0, 1)]:
            x = r.integers(low, high + 1, shape).astype(np.float64)
            if i == 3:
                x[r.random(shape) < 0.05] = np.nan
            check_parity(lambda a: F.max_pool2d(a, 2, return_indices=True),
                         lambda a: TF.max_pool2d(a, 2, return_indices=True), [x],
                         dtype=np.float32 if low else np.float64)
    monkeypatch.setitem(gn.backend._threads, "n", 2)
    monkeypatch.setattr(gn.backend, "MIN_PARALLEL_SLICE_BYTES", 0)
    x = r.integers(0, 3, (6, 4, 12, 12)).astype(np.float64)
    gx = gn.tensor(x, requires_grad=True)
    y = F.max_pool2d(gx, 2)
    y.backward(gn.ones_like(y))
    tx = torch.tensor(x, requires_grad=True)
    TF.max_pool2d(tx, 2).backward(torch.ones(6, 4, 6, 6, dtype=torch.float64))
    np.testing.assert_array_equal(gx.grad.numpy(), tx.grad.numpy())
