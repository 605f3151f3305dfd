"""Adaptive average and max pooling (1-D/2-D/3-D, with indices) against PyTorch on seeded random
grids, with float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import check_parity, gradcheck
from nn_helpers import pool_input

import glassnet.nn.functional as F


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_avg_pool_grid(nd, rng):
    gfn = {1: F.adaptive_avg_pool1d, 2: F.adaptive_avg_pool2d, 3: F.adaptive_avg_pool3d}[nd]
    tfn = {1: TF.adaptive_avg_pool1d, 2: TF.adaptive_avg_pool2d, 3: TF.adaptive_avg_pool3d}[nd]
    r = np.random.default_rng(nd)
    for i in range(40):
        size = tuple(int(r.integers(1, 9 if nd < 3 else 6)) for _ in range(nd))
        out = tuple(int(r.integers(1, 7 if nd < 3 else 4)) for _ in range(nd))
        shape = ((2, 3) if i % 5 else (3,)) + size
        osz = out[0] if nd == 1 or i % 3 == 0 else out
        dtype = np.float32 if i % 2 == 0 else np.float64
        check_parity(lambda a: gfn(a, osz), lambda a: tfn(a, osz), [rng.standard_normal(shape)],
                     dtype=dtype)
    gradcheck(lambda a: gfn(a, 3), [rng.standard_normal((1, 2) + (5,) * nd)])


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_adaptive_max_pool_grid(nd):
    gfn = {1: F.adaptive_max_pool1d, 2: F.adaptive_max_pool2d, 3: F.adaptive_max_pool3d}[nd]
    tfn = {1: TF.adaptive_max_pool1d, 2: TF.adaptive_max_pool2d, 3: TF.adaptive_max_pool3d}[nd]
    r = np.random.default_rng(10 + nd)
    for i in range(40):
        size = tuple(int(r.integers(1, 9 if nd < 3 else 6)) for _ in range(nd))
        out = tuple(int(r.integers(1, 7 if nd < 3 else 4)) for _ in range(nd))
        shape = ((2, 3) if i % 5 else (3,)) + size
        x = pool_input(r, shape, i)
        osz = out[0] if nd == 1 else out
        dtype = np.float32 if i % 2 == 0 else np.float64
        check_parity(lambda a: gfn(a, osz, return_indices=True),
                     lambda a: tfn(a, osz, return_indices=True), [x], dtype=dtype)
    x = r.permutation(2 * 7 ** nd).reshape((1, 2) + (7,) * nd) * 0.1
    gradcheck(lambda a: gfn(a, 3), [x])
