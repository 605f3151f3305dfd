"""Convolution and pooling layers against PyTorch's (same weights), init, repr, cost counts."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import assert_close

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn

CONV = {1: (nn.Conv1d, torch.nn.Conv1d), 2: (nn.Conv2d, torch.nn.Conv2d),
        3: (nn.Conv3d, torch.nn.Conv3d)}
CONVT = {1: (nn.ConvTranspose1d, torch.nn.ConvTranspose1d),
         2: (nn.ConvTranspose2d, torch.nn.ConvTranspose2d),
         3: (nn.ConvTranspose3d, torch.nn.ConvTranspose3d)}


def _copy_params(gm, tm):
    with torch.no_grad():
        for (name, p) in gm.named_parameters():
            dict(tm.named_parameters())[name].copy_(torch.from_numpy(p.detach().numpy().copy()))


def _compare_layer(gm, tm, x, dtype=np.float32, tol=(1e-4, 1e-5), **call):
    gm.to(gn.float64 if dtype == np.float64 else gn.float32)
    tm.to(torch.float64 if dtype == np.float64 else torch.float32)
    _copy_params(gm, tm)
    gx = gn.tensor(x.astype(dtype), requires_grad=True)
    tx = torch.tensor(x.astype(dtype), requires_grad=True)
    gy, ty = gm(gx, **call), tm(tx, **call)
    assert_close(gy, ty, *tol, what="output")
    u = np.random.default_rng(0).standard_normal(tuple(ty.shape)).astype(dtype)
    gy.backward(gn.tensor(u))
    ty.backward(torch.tensor(u))
    assert_close(gx.grad, tx.grad, *tol, what="input gradient")
    tparams = dict(tm.named_parameters())
    for name, p in gm.named_parameters():
        assert_close(p.grad, tparams[name].grad, *tol, what=f"gradient of {name}")


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv_layers_padding_modes_grid(mode):
    r = np.random.default_rng(["zeros", "reflect", "replicate", "circular"].index(mode))
    # 80 configurations per mode, 320 in all: 1-3 dimensions, kernels 1-5, dilation 1-3
    for i in range(80):
        nd = int(r.choice([1, 2, 2, 3]))
        k = tuple(int(r.integers(1, 6 if nd < 3 else 4)) for _ in range(nd))
        dilation = int(r.choice([1, 1, 2, 3])) if nd < 3 else int(r.choice([1, 2]))
        g = int(r.choice([1, 1, 2]))
        cin, cout = g * int(r.integers(1, 3)), g * int(r.integers(1, 3))
        kind = r.random()
        if kind < 0.3:
            padding, stride = "same", 1
        else:
            stride = int(r.integers(1, 3))
            padding = tuple(int(r.integers(0, kk)) for kk in k) if kind < 0.7 else \
                int(r.integers(0, min(k) + 1))
        span = [dilation * (kk - 1) + 1 for kk in k]  # the dilated kernel's extent
        pads = [padding] * nd if isinstance(padding, int) else \
            ([s - 1 for s in span] if padding == "same" else list(padding))
        # reflect needs pad < size: sizes comfortably above the dilated kernel
        size = tuple(max(s, p + 1) + int(r.integers(1, 4)) for s, p in zip(span, pads))
        kw = dict(stride=stride, padding=padding, dilation=dilation, groups=g,
                  bias=bool(i % 3), padding_mode=mode)
        gm, tm = CONV[nd][0](cin, cout, k, **kw), CONV[nd][1](cin, cout, k, **kw)
        x = r.standard_normal((int(r.integers(1, 3)), cin) + size)
        dtype = np.float32 if i % 2 else np.float64
        tol = (1e-4, 1e-5) if dtype == np.float32 else (1e-7, 1e-7)
        try:
            _compare_layer(gm, tm, x, dtype, tol)
        except AssertionError as e:
            raise AssertionError(f"{CONV[nd][0].__name__} {cin}->{cout} k={k} {kw} x={size}: "
                                 f"{e}") from None


def test_conv_transpose_layers_with_output_size():
    r = np.random.default_rng(3)
    for nd in (1, 2, 3):
        gm = CONVT[nd][0](4, 6, 3, stride=2, padding=1, groups=2)
        tm = CONVT[nd][1](4, 6, 3, stride=2, padding=1, groups=2)
        x = r.standard_normal((2, 4) + (4,) * nd)
        _compare_layer(gm, tm, x, np.float64, (1e-7, 1e-7))
        _compare_layer(gm, tm, x, np.float64, (1e-7, 1e-7), output_size=(8,) * nd)
        assert gm(gn.tensor(x), output_size=(2, 6) + (8,) * nd).shape[2:] == (8,) * nd
    with pytest.raises(ValueError, match="valid sizes"):
        nn.ConvTranspose2d(1, 1, 3, stride=2)(gn.randn(1, 1, 4, 4), output_size=(12, 12))


@pytest.mark.parametrize("cls,tcls,args", [
    (nn.Conv2d, torch.nn.Conv2d, (3, 8, 5)),
    (nn.Conv1d, torch.nn.Conv1d, (4, 2, 3)),
    (nn.Conv3d, torch.nn.Conv3d, (2, 4, (1, 2, 3))),
    (nn.ConvTranspose2d, torch.nn.ConvTranspose2d, (6, 4, 3)),
    (nn.Conv2d, torch.nn.Conv2d, (4, 8, 3, 1, 1, 1, 2)),
])
def test_default_init_matches_pytorch_distribution(cls, tcls, args):
    gm, tm = cls(*args), tcls(*args)
    assert tuple(gm.weight.shape) == tuple(tm.weight.shape)
    assert tuple(gm.bias.shape) == tuple(tm.bias.shape)
    fan_in = tm.weight.shape[1] * math.prod(tm.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)
    for p in (gm.weight, gm.bias):
        a = p.detach().numpy()
        assert a.dtype == np.float32 and np.abs(a).max() <= bound + 1e-7
    big = cls(*args[:2], 7) if len(args) < 4 else cls(*args[:2], 7, groups=args[-1])
    w = big.weight.detach().numpy()
    b = 1 / math.sqrt(math.prod(big.weight.shape[1:]))
    assert abs(w.std() - b / math.sqrt(3)) < 0.15 * b / math.sqrt(3)


@pytest.mark.parametrize("make", [
    lambda m: m.Conv2d(3, 8, 5),
    lambda m: m.Conv2d(3, 8, (3, 5), stride=2, padding=(1, 2), dilation=2, groups=1, bias=False),
    lambda m: m.Conv2d(4, 4, 3, padding="same", padding_mode="reflect", groups=4),
    lambda m: m.Conv1d(2, 3, 4, padding="valid"),
    lambda m: m.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
    lambda m: m.MaxPool2d(2),
    lambda m: m.MaxPool1d(3, 2, 1, ceil_mode=True),
    lambda m: m.AvgPool2d(3, stride=2, padding=1),
    lambda m: m.AvgPool1d(2),
    lambda m: m.AdaptiveAvgPool2d((1, 1)),
    lambda m: m.AdaptiveMaxPool2d(3),
    lambda m: m.MaxUnpool2d(2),
    lambda m: m.Upsample(scale_factor=2, mode="nearest"),
    lambda m: m.Upsample(size=(4, 5), mode="bilinear"),
    lambda m: m.Flatten(),
    lambda m: m.Unflatten(1, (2, 3)),
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
    (lambda m: m.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True), (1, 2, 5, 4)),
    (lambda m: m.Upsample(size=7), (1, 2, 5)),
    (lambda m: m.Flatten(), (2, 3, 4, 5)),
    (lambda m: m.Flatten(0, 2), (2, 3, 4, 5)),
    (lambda m: m.Unflatten(1, (3, 4)), (2, 12, 5)),
])
def test_parameterless_layers_match_pytorch(make, shape, rng):
    _compare_layer(make(nn), make(torch.nn), rng.standard_normal(shape), np.float64,
                   (1e-7, 1e-7))


def test_max_unpool_layer_roundtrip(rng):
    x = gn.tensor(rng.standard_normal((1, 2, 4, 6)))
    pool, unpool = nn.MaxPool2d(2, return_indices=True), nn.MaxUnpool2d(2)
    y, idx = pool(x)
    z = unpool(y, idx)
    ty, tidx = torch.nn.MaxPool2d(2, return_indices=True)(torch.tensor(x.numpy()))
    assert_close(z, torch.nn.MaxUnpool2d(2)(ty, tidx), 0, 0)


def test_separable_conv_counts_and_shapes():
    m = nn.SeparableConv2d(32, 64, 3, padding=1)
    assert m(gn.randn(2, 32, 10, 10)).shape == (2, 64, 10, 10)
    c = m.parameter_counts()
    assert c["separable"] == 32 * 9 + 32 * 64 + 64 and c["full"] == 64 * 32 * 9 + 64
    ma = m.mult_adds((10, 10))
    assert ma["separable"] == 100 * (32 * 9 + 32 * 64) and ma["full"] == 100 * 64 * 32 * 9
    assert ma["ratio"] == pytest.approx(1 / 64 + 1 / 9)
    assert sum(p.numel() for p in m.parameters()) == c["separable"]


def test_factorized_conv_lecture_counts_and_rank_one_exactness(rng):
    m = nn.FactorizedConv2d(3, 3, 5)
    # the lecture's example (the slide adds 1 to each count): 75,602 vs 176,401
    assert m.mult_adds((32, 32)) == {"factorized": 32 * 28 * 3 * 5 * 3 + 28 * 28 * 3 * 5 * 3,
                                     "full": 28 * 28 * 3 * 5 * 5 * 3, "ratio": 75600 / 176400}
    assert m.mult_adds((32, 32))["factorized"] == 75600
    assert m.parameter_counts()["factorized"] == 3 * 3 * 5 * 2 + 3
    # one channel: the k x 1 then 1 x k pair equals the full conv with the outer-product kernel
    f = nn.FactorizedConv2d(1, 1, 3, padding=1, bias=False)
    a, b = rng.standard_normal(3), rng.standard_normal(3)
    with gn.no_grad():
        f.vertical.weight._data[...] = a.reshape(1, 1, 3, 1)
        f.horizontal.weight._data[...] = b.reshape(1, 1, 1, 3)
    x = gn.randn(2, 1, 7, 6)
    full = F.conv2d(x, gn.tensor(np.outer(a, b).reshape(1, 1, 3, 3).astype(np.float32)),
                    padding=1)
    assert_close(f(x), full, 1e-5, 1e-5)


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
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), "padding"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), "strided"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="wrap"), "padding_mode"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), "zeros"),
    (lambda: nn.BlurPool2d(3, filt_size=9), "between 1 and 7"),
])
def test_layer_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()
