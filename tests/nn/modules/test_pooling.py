"""Pooling layers against PyTorch: reprs, outputs and gradients of the max, average, adaptive and
unpooling layers; BlurPool2d against its reference (pad, then a fixed binomial depthwise filter)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import FLOAT_DTYPES, assert_close, check_parity, distinct
from nn_helpers import compare_layer

import glassnet as gn
import glassnet.nn as nn


@pytest.mark.parametrize("make", [
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool1d(3, 2, 1, ceil_mode=True),
    lambda m: m.AvgPool2d(3, stride=2, padding=1),
    lambda m: m.AvgPool1d(2),
    lambda m: m.AdaptiveAvgPool2d((1, 1)),
    lambda m: m.AdaptiveMaxPool2d(3),
    lambda m: m.MaxUnpool2d(2),
])
def test_repr_matches_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.MaxPool2d(3, 2, 1, ceil_mode=True), (2, 3, 9, 8)),
    (lambda m: m.MaxPool1d(2), (2, 3, 9)),
    (lambda m: m.MaxPool3d(2, 1), (1, 2, 4, 5, 3)),
    (lambda m: m.AvgPool2d(3, 2, 1, count_include_pad=False), (2, 3, 9, 8)),
    (lambda m: m.AvgPool1d(3, 2, 1, ceil_mode=True), (2, 3, 9)),
    (lambda m: m.AvgPool3d(2, divisor_override=3), (1, 2, 4, 5, 3)),
    (lambda m: m.AdaptiveAvgPool1d(4), (2, 3, 9)),
    (lambda m: m.AdaptiveAvgPool2d((3, None)), (2, 3, 9, 8)),
    (lambda m: m.AdaptiveAvgPool3d(2), (1, 2, 4, 5, 3)),
    (lambda m: m.AdaptiveMaxPool1d(4), (2, 3, 9)),
    (lambda m: m.AdaptiveMaxPool2d((3, 2)), (2, 3, 9, 8)),
    (lambda m: m.AdaptiveMaxPool3d(2), (1, 2, 4, 5, 3)),
])
def test_parameterless_layers_match_pytorch(make, shape, rng):
    compare_layer(make(nn), make(torch.nn), rng.standard_normal(shape), np.float64,
                   (1e-7, 1e-7))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_adaptive_pool_layers(dtype, rng):
    x1 = distinct(rng, (2, 3, 7))
    x3 = distinct(rng, (1, 2, 5, 6, 4))
    check_parity(nn.AdaptiveMaxPool1d(3), tnn.AdaptiveMaxPool1d(3), [x1], dtype=dtype)
    check_parity(nn.AdaptiveMaxPool1d(4, True), tnn.AdaptiveMaxPool1d(4, True), [x1],
                 dtype=dtype)
    check_parity(nn.AdaptiveMaxPool3d((2, 3, None)), tnn.AdaptiveMaxPool3d((2, 3, None)),
                 [x3], dtype=dtype)
    check_parity(nn.AdaptiveAvgPool3d((3, 2, 3)), tnn.AdaptiveAvgPool3d((3, 2, 3)), [x3],
                 dtype=dtype)
    check_parity(nn.AdaptiveAvgPool1d(5), tnn.AdaptiveAvgPool1d(5), [x1], dtype=dtype)


def test_max_unpool_layer_roundtrip(rng):
    x = gn.tensor(rng.standard_normal((1, 2, 4, 6)))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, idx = pool(x)
    z = unpool(y, idx)
    ty, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x.numpy()))
    assert_close(z, torch.nn.MaxUnpool2d(2)(ty, tidx), 0, 0)


def test_binomial_filters_and_blurpool_against_reference(rng):
    from glassnet.nn.modules.pooling import binomial_filter
    rows = {1: [1], 2: [1, 1], 3: [1, 2, 1], 4: [1, 3, 3, 1], 5: [1, 4, 6, 4, 1],
            6: [1, 5, 10, 10, 5, 1], 7: [1, 6, 15, 20, 15, 6, 1]}
    for n, row in rows.items():
        a = np.array(row, float)
        np.testing.assert_allclose(binomial_filter(n), np.outer(a, a) / np.outer(a, a).sum())
    x = rng.standard_normal((2, 3, 9, 8))
    for filt, stride, mode in [(3, 2, "reflect"), (4, 2, "replicate"), (5, 3, "zeros"),
                               (1, 2, "reflect"), (7, 2, "reflect")]:
        m = nn.BlurPool2d(3, filt, stride, mode)
        # the reference of Zhang (2019): pad, then a depthwise conv with the fixed filter
        lo, hi = (filt - 1) // 2, (filt) // 2
        tmode = {"zeros": "constant"}.get(mode, mode)
        tx = torch.nn.functional.pad(torch.tensor(x), (lo, hi, lo, hi), mode=tmode)
        if filt == 1:
            ref = torch.tensor(x)[:, :, ::stride, ::stride]
        else:
            w = torch.tensor(binomial_filter(filt)).expand(3, 1, filt, filt)
            ref = torch.nn.functional.conv2d(tx, w, stride=stride, groups=3)
        assert_close(m(gn.tensor(x)), ref, 1e-6, 1e-6)
    assert nn.BlurPool2d(4)(gn.randn(1, 4, 9, 8)).shape == (1, 4, 5, 4)
    assert nn.MaxBlurPool2d(4)(gn.randn(1, 4, 8, 8)).shape == (1, 4, 4, 4)
    assert "filt" in nn.BlurPool2d(2).state_dict() and not list(nn.BlurPool2d(2).parameters())


@pytest.mark.parametrize("call,msg", [
    (lambda: nn.BlurPool2d(3, filt_size=9), "between 1 and 7"),
])
def test_layer_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
