"""Max and average pooling against PyTorch on seeded random grids.

Inputs are often integer-valued with few distinct values, so windows contain ties: the max
pool must pick the same pixel as PyTorch (first maximum in window scan order) for the values,
the indices and the gradient.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_parity, gradcheck
from nn_helpers import pool_input

import glassnet as gn
import glassnet.nn.functional as F

GN_MAX = {1: F.max_pool1d, 2: F.max_pool2d, 3: F.max_pool3d}
TH_MAX = {1: TF.max_pool1d, 2: TF.max_pool2d, 3: TF.max_pool3d}


GN_AVG = {1: F.avg_pool1d, 2: F.avg_pool2d, 3: F.avg_pool3d}
TH_AVG = {1: TF.avg_pool1d, 2: TF.avg_pool2d, 3: TF.avg_pool3d}


def _pick(r, values):
    return int(values[0]) if r.random() < 0.5 or len(set(values)) == 1 else tuple(values)


def pool_config(r, with_dilation=True):
    nd = int(r.choice([1, 2, 2, 3]))
    kmax = 5 if nd < 3 else 3
    k = [int(r.integers(1, kmax + 1)) for _ in range(nd)]
    s = [int(r.integers(1, 4)) for _ in range(nd)]
    d = [int(r.integers(1, 4)) if with_dilation and r.random() < 0.3 else 1 for _ in range(nd)]
    if r.random() < 0.3:
        s = list(k)  # the common non-overlapping case
    p = [int(r.integers(0, k[i] // 2 + 1)) if r.random() < 0.4 else 0 for i in range(nd)]
    size = [max(1, d[i] * (k[i] - 1) + 1 - 2 * p[i]) + int(r.integers(0, 5)) for i in range(nd)]
    batched = r.random() < 0.9
    lead = (int(r.integers(1, 3)), int(r.integers(1, 4))) if batched else (2,)
    ks, ss, ps, ds = _pick(r, k), _pick(r, s), _pick(r, p), _pick(r, d)
    ks = tuple(k) if not isinstance(ks, int) or len(set(k)) > 1 else ks
    ss = tuple(s) if not isinstance(ss, int) or len(set(s)) > 1 else ss
    ps = tuple(p) if not isinstance(ps, int) or len(set(p)) > 1 else ps
    ds = tuple(d) if not isinstance(ds, int) or len(set(d)) > 1 else ds
    return nd, lead + tuple(size), ks, (None if s == k and r.random() < 0.5 else ss), ps, ds


def _all_windows_hit_input(nd, shape, kw):
    k = dict(kw, return_indices=False)
    return bool(torch.isfinite(TH_MAX[nd](torch.zeros(shape), **k)).all())


@pytest.mark.parametrize("chunk", range(3))
def test_max_pool_parity_grid(chunk):
    r = np.random.default_rng(300 + chunk)
    i = 0
    while i < 110:
        nd, shape, k, s, p, d = pool_config(r)
        ceil = bool(r.random() < 0.4)
        ri = bool(r.random() < 0.3)
        x = pool_input(r, shape, i)
        dtype = np.float32 if i % 2 == 0 else np.float64
        kw = dict(kernel_size=k, stride=s, padding=p, dilation=d, ceil_mode=ceil,
                  return_indices=ri)
        if not _all_windows_hit_input(nd, shape, kw):
            continue  # PyTorch's index for an all-padding window points outside the plane
        i += 1
        try:
            check_parity(lambda a: GN_MAX[nd](a, **kw), lambda a: TH_MAX[nd](a, **kw), [x],
                         dtype=dtype)
        except AssertionError as e:
            raise AssertionError(f"shape {shape} {kw}: {e}") from None


@pytest.mark.parametrize("chunk", range(3))
def test_avg_pool_parity_grid(chunk):
    r = np.random.default_rng(400 + chunk)
    i = 0
    while i < 110:
        i += 1
        nd, shape, k, s, p, _ = pool_config(r, with_dilation=False)
        kw = dict(kernel_size=k, stride=s, padding=p, ceil_mode=bool(r.random() < 0.4),
                  count_include_pad=bool(r.random() < 0.5))
        if nd > 1 and r.random() < 0.2:
            kw["divisor_override"] = int(r.integers(1, 5))
        x = pool_input(r, shape, i)
        dtype = np.float32 if i % 2 == 0 else np.float64
        try:
            TH_AVG[nd](torch.zeros(shape), **kw)
        except RuntimeError:  # avg_pool3d refuses inputs smaller than the kernel: so do we
            with pytest.raises(RuntimeError, match="smaller"):
                GN_AVG[nd](gn.zeros(shape), **kw)
            i -= 1
            continue
        try:
            check_parity(lambda a: GN_AVG[nd](a, **kw), lambda a: TH_AVG[nd](a, **kw), [x],
                         dtype=dtype)
        except AssertionError as e:
            raise AssertionError(f"shape {shape} {kw}: {e}") from None


def test_pool_gradcheck(rng):
    r = np.random.default_rng(5)
    for _ in range(12):
        nd, shape, k, s, p, d = pool_config(r)
        x = rng.permutation(int(np.prod(shape))).reshape(shape) * 0.1  # distinct: no ties
        gradcheck(lambda a: GN_MAX[nd](a, k, s, p, d, ceil_mode=True), [x])
        nd, shape, k, s, p, _ = pool_config(r, with_dilation=False)
        gradcheck(lambda a: GN_AVG[nd](a, k, s, p, ceil_mode=True, count_include_pad=False),
                  [rng.standard_normal(shape)])


def test_max_pool_all_minus_inf_window_with_padding():
    x = np.full((1, 1, 4, 4), -np.inf)
    x[0, 0, 3, 3] = 1.0
    check_parity(lambda a: F.max_pool2d(a, 3, 2, 1, return_indices=True),
                 lambda a: TF.max_pool2d(a, 3, 2, 1, return_indices=True), [x])


def test_lecture_pool_example():
    x = gn.tensor([[[[12, 20, 30, 0], [8, 12, 2, 0], [34, 70, 37, 4], [112, 100, 25, 12]]]])
    assert F.max_pool2d(x, 2).tolist() == [[[[20, 30], [112, 37]]]]
    assert F.avg_pool2d(x.float(), 2).tolist() == [[[[13, 8], [79, 19.5]]]]
    assert F.avg_pool2d(x, 2).tolist() == [[[[13, 8], [79, 19]]]]  # integer division


@pytest.mark.parametrize("call,msg", [
    (lambda: F.max_pool2d(gn.randn(1, 1, 4, 4), 2, padding=2), "half"),
    (lambda: F.avg_pool2d(gn.randn(1, 1, 4, 4), 2, padding=2), "half"),
    (lambda: F.max_pool2d(gn.randn(4, 4), 2), "3-D"),
    (lambda: F.max_pool2d(gn.randn(1, 1, 2, 2), 3), "too small"),
])
def test_pool_errors(call, msg):
    with pytest.raises((RuntimeError, ValueError), match=msg):
        call()
