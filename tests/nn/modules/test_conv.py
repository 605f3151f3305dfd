"""Convolution layers against PyTorch's (same weights): every padding mode, output_size, the default
initialisation, repr; the separable and factorized convolutions' counts and exactness."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from helpers import assert_close
from nn_helpers import compare_layer

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn

CONV = {1: (nn.Conv1d, torch.nn.Conv1d), 2: (nn.Conv2d, torch.nn.Conv2d),
        3: (nn.Conv3d, torch.nn.Conv3d)}
CONVT = {1: (nn.ConvTranspose1d, torch.nn.ConvTranspose1d),
         2: (nn.ConvTranspose2d, torch.nn.ConvTranspose2d),
         3: (nn.ConvTranspose3d, torch.nn.ConvTranspose3d)}


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
            compare_layer(gm, tm, x, dtype, tol)
        except AssertionError as e:
            raise AssertionError(f"{CONV[nd][0].__name__} {cin}->{cout} k={k} {kw} x={size}: "
                                 f"{e}") from None


def test_conv_transpose_layers_with_output_size():
    r = np.random.default_rng(3)
    for nd in (1, 2, 3):
        gm = CONVT[nd][0](4, 6, 3, stride=2, padding=1, groups=2)
        tm = CONVT[nd][1](4, 6, 3, stride=2, padding=1, groups=2)
        x = r.standard_normal((2, 4) + (4,) * nd)
        compare_layer(gm, tm, x, np.float64, (1e-7, 1e-7))
        compare_layer(gm, tm, x, np.float64, (1e-7, 1e-7), output_size=(8,) * nd)
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
])
def test_repr_matches_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


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


@pytest.mark.parametrize("call,msg", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "divisible"),
    (lambda: nn.Conv2d(3, 4, 3, padding="full"), "padding"),
    (lambda: nn.Conv2d(3, 4, 3, stride=2, padding="same"), "strided"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="wrap"), "padding_mode"),
    (lambda: nn.ConvTranspose2d(3, 4, 3, padding_mode="reflect"), "zeros"),
])
def test_layer_errors(call, msg):
    with pytest.raises(ValueError, match=msg):
        call()


@pytest.mark.parametrize("args,shape", [
    ((-1, 2, 3), r"\[2, -1, 3, 3\]"), ((1, -2, 3), r"\[-2, 1, 3, 3\]"),
    ((1, 2, -3), r"\[2, 1, -3, -3\]"),
])
def test_negative_sizes_raise_as_pytorch(args, shape):
    with pytest.raises(RuntimeError, match="negative dimension"):
        torch.nn.Conv2d(*args)
    with pytest.raises(RuntimeError, match=rf"Conv2d: weight shape must be non-negative.*{shape}"):
        nn.Conv2d(*args)


@pytest.mark.parametrize("layer,kwargs,msg", [
    ("Conv2d", {"kernel_size": 0}, r"conv2d: kernel_size must be positive, got \(0, 0\)"),
    ("ConvTranspose2d", {"kernel_size": 0}, "conv_transpose2d: kernel_size must be positive"),
    ("Conv2d", {"kernel_size": 3, "stride": 0}, r"conv2d: stride must be positive, got \(0, 0\)"),
    ("Conv2d", {"kernel_size": 3, "dilation": 0}, "conv2d: dilation must be positive"),
    ("Conv2d", {"kernel_size": 3, "padding": -1},
     r"conv2d: padding must be non-negative, got \(-1, -1\)"),
    ("ConvTranspose2d", {"kernel_size": 3, "stride": 0},
     "conv_transpose2d: stride must be positive"),
])
def test_invalid_geometry_raises_as_pytorch_at_call(layer, kwargs, msg):
    x = np.zeros((1, 1, 5, 5), np.float32)
    with pytest.raises(RuntimeError):
        getattr(torch.nn, layer)(1, 2, **kwargs)(torch.tensor(x))
    with pytest.raises(RuntimeError, match=msg):
        getattr(nn, layer)(1, 2, **kwargs)(gn.tensor(x))
