"""Higher-order gradients of the layer ops: convolution, pooling, padding, resampling, fold,
recurrent layers, embedding bags, scans and decompositions, against PyTorch and gradgradcheck.

``check_second_order`` (see test_create_graph.py) runs L = sum(f(x) * u), g = dL/dx with
create_graph=True, then backpropagates sum_i <g_i, w_i>: the first gradients and the resulting
Hessian-vector products must agree with PyTorch's.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import assert_close

import glassnet as gn
import glassnet.nn.functional as GF
from glassnet.nn.functional import graph as GG
from glassnet.nn.functional.rnn import lstm_layer

from .test_create_graph import R, check_second_order

# ----------------------------------------------------------------------------- convolution
CONV = [
    ("conv2d_stride_pad", lambda T, F, x, w, b: F.conv2d(x, w, b, stride=2, padding=1).tanh(),
     [R(2, 3, 6, 5), R(4, 3, 3, 2), R(4)]),
    ("conv2d_same_dilation", lambda T, F, x, w: F.conv2d(x, w, padding="same", dilation=2).sin(),
     [R(2, 2, 7, 6), R(2, 2, 2, 3)]),
    ("conv2d_groups", lambda T, F, x, w, b: F.conv2d(x, w, b, stride=(2, 1), padding=(0, 2),
                                                     dilation=(1, 2), groups=2).tanh(),
     [R(2, 4, 7, 6), R(6, 2, 3, 2), R(6)]),
    ("conv1d_depthwise", lambda T, F, x, w: F.conv1d(x, w, stride=3, groups=3).tanh(),
     [R(2, 3, 11), R(6, 1, 2)]),
    ("conv1d_same_even", lambda T, F, x, w: F.conv1d(x, w, padding="same").tanh(),
     [R(2, 2, 7), R(3, 2, 4)]),
    ("conv3d", lambda T, F, x, w: F.conv3d(x, w, padding=1, stride=2).tanh(),
     [R(1, 2, 4, 5, 4), R(2, 2, 2, 3, 2)]),
    ("conv2d_unbatched", lambda T, F, x, w: F.conv2d(x, w, padding=1).tanh(),
     [R(2, 5, 5), R(3, 2, 3, 3)]),
    ("conv_transpose2d", lambda T, F, x, w, b: F.conv_transpose2d(
        x, w, b, stride=2, padding=1, output_padding=1, groups=2).tanh(),
     [R(2, 4, 3, 4), R(4, 3, 3, 2), R(6)]),
    ("conv_transpose1d_dilation", lambda T, F, x, w: F.conv_transpose1d(
        x, w, stride=2, dilation=3, output_padding=2).tanh(), [R(2, 2, 5), R(2, 3, 3)]),
    ("conv_transpose3d", lambda T, F, x, w: F.conv_transpose3d(x, w, stride=2, padding=1).tanh(),
     [R(1, 2, 3, 2, 3), R(2, 2, 3, 2, 2)]),
]

# ----------------------------------------------------------------------------- pooling, resizing
POOL = [
    ("max_pool2d", lambda T, F, x: F.max_pool2d(x * x, 3, 2, 1).sin(), [R(2, 2, 7, 6)]),
    ("max_pool2d_2x2", lambda T, F, x: F.max_pool2d(x.sin() * x, 2), [R(2, 2, 6, 5)]),
    ("max_pool1d_indices", lambda T, F, x: F.max_pool1d(
        x * x, 3, 2, dilation=2, ceil_mode=True, return_indices=True)[0].tanh(), [R(2, 2, 11)]),
    ("max_pool3d", lambda T, F, x: F.max_pool3d(x * x, 2, padding=1).tanh(), [R(1, 2, 4, 3, 5)]),
    ("avg_pool2d", lambda T, F, x: F.avg_pool2d(x * x, 3, 2, 1, count_include_pad=False,
                                                ceil_mode=True).sin(), [R(2, 2, 7, 6)]),
    ("avg_pool1d_3d", lambda T, F, x, y: F.avg_pool1d(x * x, 2).sin().sum()
     + F.avg_pool3d(y.tanh(), 2, divisor_override=3).pow(2).sum(), [R(2, 2, 7), R(1, 2, 4, 4, 5)]),
    ("adaptive_2d", lambda T, F, x: F.adaptive_avg_pool2d(x * x, (3, 2)).sin().sum()
     + F.adaptive_max_pool2d(x.sin() * x, (2, 3)).pow(2).sum()
     + F.adaptive_max_pool1d(x.flatten(2), 4, return_indices=True)[0].pow(3).sum(),
     [R(2, 2, 7, 6)]),
    ("adaptive_3d", lambda T, F, x: F.adaptive_avg_pool3d(x * x, 2).sin().sum()
     + F.adaptive_max_pool3d(x.sin() * x, (2, 1, 3)).pow(2).sum(), [R(1, 2, 5, 4, 6)]),
    ("lp_pool", lambda T, F, x: F.lp_pool2d(x * x + 0.1, 2, 2).sin().sum()
     + F.lp_pool1d(x.flatten(2).abs() + 0.2, 3, 3).pow(2).sum(), [R(2, 2, 6, 6)]),
    ("max_unpool2d", lambda T, F, x: F.max_unpool2d(*F.max_pool2d(x * x, 2, return_indices=True),
                                                     2).sin().sum(), [R(2, 2, 4, 6)]),
    ("interpolate_nearest", lambda T, F, x: F.interpolate(x * x, scale_factor=2).sin().sum()
     + F.interpolate(x.tanh(), size=(5, 3)).pow(3).sum(), [R(2, 2, 4, 5)]),
    ("interpolate_bilinear_bicubic", lambda T, F, x: F.interpolate(
        x * x, scale_factor=1.7, mode="bilinear").sin().sum()
     + F.interpolate(x.tanh(), size=(5, 3), mode="bilinear", align_corners=True).pow(3).sum()
     + F.interpolate(x, size=(3, 7), mode="bicubic").pow(2).sum(), [R(2, 2, 4, 5)]),
    ("interpolate_linear_trilinear_area", lambda T, F, x, y: F.interpolate(
        x * x, scale_factor=2.5, mode="linear").sin().sum()
     + F.interpolate(y.tanh(), size=(3, 5, 2), mode="trilinear").pow(3).sum()
     + F.interpolate(x * x, 3, mode="area").pow(2).sum()
     + F.interpolate(x * x, 9, mode="nearest-exact").pow(2).sum(), [R(2, 2, 5), R(1, 2, 2, 3, 4)]),
    ("pad_reflect_replicate_circular", lambda T, F, x: F.pad(x * x, (2, 1, 1, 2), mode="reflect")
     .sin().sum() + F.pad(x.tanh(), (1, 3, 0, 2), mode="replicate").pow(3).sum()
     + F.pad(x * x, (2, 2, 3, 1), mode="circular").pow(2).sum(), [R(2, 2, 4, 5)]),
    ("pad_1d_3d", lambda T, F, x, y: F.pad(x * x, (2, 1), mode="reflect").sin().sum()
     + F.pad(y.tanh(), (1, 0, 0, 2, 1, 1), mode="replicate").pow(3).sum(),
     [R(2, 2, 5), R(1, 2, 3, 3, 4)]),
    ("fold_unfold", lambda T, F, x: F.unfold(x * x, (2, 3), dilation=(1, 2), padding=1,
                                             stride=(2, 1)).sin().sum()
     + F.fold(F.unfold(x.tanh(), 2, stride=1).pow(2), (4, 5), 2).pow(2).sum(), [R(2, 2, 4, 5)]),
]


def _params(cases):
    return pytest.mark.parametrize("fn,inputs", [(c[1], c[2]) for c in cases],
                                   ids=[c[0] for c in cases])


@_params(CONV + POOL)
@pytest.mark.filterwarnings("ignore:Using padding='same'")
def test_second_order_matches_torch(fn, inputs):
    check_second_order(fn, inputs, rtol=2e-4, atol=2e-5)


def _r64(*shape, seed=0):
    return gn.tensor(np.random.default_rng(seed).standard_normal(shape), requires_grad=True)


@pytest.mark.parametrize("opts", [
    {"stride": 2, "padding": 1}, {"padding": "same", "dilation": 2},
    {"stride": (1, 2), "groups": 2, "dilation": (2, 1), "padding": (1, 0)}], ids=str)
def test_conv2d_gradgradcheck(opts):
    x, w, b = _r64(2, 2, 5, 5), _r64(2, 2 // opts.get("groups", 1), 3, 2, seed=1), _r64(2, seed=2)
    assert gn.autograd.gradgradcheck(lambda x, w, b: GF.conv2d(x, w, b, **opts), (x, w, b))


@pytest.mark.parametrize("opts", [
    {"stride": 2, "padding": 1, "output_padding": 1},
    {"stride": 2, "dilation": 3, "output_padding": 2, "groups": 2}], ids=str)
def test_conv_transpose2d_gradgradcheck(opts):
    x, w = _r64(2, 2, 3, 4), _r64(2, 1 if "groups" in opts else 2, 3, 2, seed=1)
    assert gn.autograd.gradgradcheck(lambda x, w: GF.conv_transpose2d(x, w, **opts), (x, w))


@pytest.mark.parametrize("fn", [
    lambda x: GF.max_pool2d(x * x, 3, 2, 1),
    lambda x: GF.avg_pool2d(x * x, 2, 1, ceil_mode=True),
    lambda x: GF.interpolate(x * x, scale_factor=1.5, mode="bilinear"),
    lambda x: GF.pad(x * x, (1, 2, 2, 1), mode="reflect"),
    lambda x: GF.fold(GF.unfold(x * x, 2), (4, 5), 2),
], ids=["max_pool", "avg_pool", "bilinear", "reflect", "fold_unfold"])
def test_pool_gradgradcheck(fn):
    assert gn.autograd.gradgradcheck(fn, (_r64(1, 2, 4, 5),))


def test_conv_third_derivative_matches_torch():
    r = np.random.default_rng(3)
    xs, ws = r.standard_normal((1, 2, 5, 5)), r.standard_normal((3, 2, 3, 3))
    res = []
    for T, F in ((gn, GF), (torch, torch.nn.functional)):
        x, w = T.tensor(xs, requires_grad=True), T.tensor(ws, requires_grad=True)
        y = F.conv2d(x, w, padding=1, stride=2).pow(3).sum()
        (g1,) = T.autograd.grad(y, x, create_graph=True)
        (g2,) = T.autograd.grad((g1 * g1).sum(), w, create_graph=True)
        (g3,) = T.autograd.grad(g2.sin().sum(), x)
        res.append([g1.detach(), g2.detach(), g3])
    for a, b in zip(*res):
        assert_close(a, b, 1e-9, 1e-9 * float(np.abs(b.numpy()).max()))


# ----------------------------------------------------------------------------- WGAN-GP
def _cnn_critic(T, nn):
    net = nn.Sequential(nn.Conv2d(2, 4, 3, padding=1), nn.LeakyReLU(0.2),
                        nn.Conv2d(4, 4, 3, stride=2), nn.LeakyReLU(0.2), nn.Flatten(),
                        nn.Linear(16, 1))
    r = np.random.default_rng(11)
    with T.no_grad():
        for p in net.parameters():
            p.copy_(T.tensor(r.standard_normal(tuple(p.shape)).astype(np.float32) * 0.4))
    return net


def _cnn_gradient_penalty(T, nn):
    net = _cnn_critic(T, nn)
    r = np.random.default_rng(12)
    real = T.tensor(r.standard_normal((3, 2, 6, 6)).astype(np.float32))
    fake = T.tensor(r.standard_normal((3, 2, 6, 6)).astype(np.float32))
    eps = T.tensor(r.uniform(size=(3, 1, 1, 1)).astype(np.float32))
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    d = net(x)
    (g,) = T.autograd.grad(d, x, grad_outputs=T.ones_like(d), create_graph=True)
    gp = ((g.flatten(1).norm(2, dim=1) - 1) ** 2).mean() * 10
    loss = net(fake).mean() - net(real).mean() + gp
    loss.backward()
    return [gp.detach()] + [p.grad for p in net.parameters()]


def test_wgan_gp_cnn_critic_matches_torch():
    import torch.nn as tnn

    import glassnet.nn as gnn
    for a, b in zip(_cnn_gradient_penalty(gn, gnn), _cnn_gradient_penalty(torch, tnn)):
        assert_close(a, b, 2e-4, 2e-5)


# ----------------------------------------------------------------------------- scans, linalg, bags
def _spd_input(T, a):
    return a @ a.mT + 4 * T.eye(a.shape[-1])


def _eigh_sum(T, a):
    w, v = T.linalg.eigh(a + a.mT)
    return w.sin().sum() + (v.pow(2) * T.arange(3.0)).sum()


MISC = [
    ("cumprod", lambda T, F, a: a.cumprod(1).sin() + (a * a).cumprod(0).tanh(), [R(3, 4)]),
    ("cumprod_with_zero", lambda T, F, a: (a * T.tensor(np.array([1, 0, 1, 1], np.float32)))
     .cumprod(0).sin(), [R(4)]),
    ("logcumsumexp", lambda T, F, a: a.logcumsumexp(1).sin() + (a * a).logcumsumexp(0),
     [R(3, 4)]),
    ("cholesky", lambda T, F, a: T.linalg.cholesky(_spd_input(T, a)).sin(), [R(4, 4)]),
    ("cholesky_upper_batched", lambda T, F, a: T.linalg.cholesky(_spd_input(T, a), upper=True)
     .pow(2), [R(2, 3, 3)]),
    ("slogdet", lambda T, F, a: T.linalg.slogdet(a * a + 2 * T.eye(3))[1], [R(3, 3)]),
    ("eigh", lambda T, F, a: _eigh_sum(T, a), [R(3, 3)]),
    ("pinv_sinc", lambda T, F, a: T.linalg.pinv(a).sin().sum(1) + T.sinc(a @ a.mT).sum(0)[:3],
     [R(4, 3)]),
    ("grid_sample", lambda T, F, x, g: F.grid_sample(x * x, g.tanh(), align_corners=False)
     .sin().sum() + F.grid_sample(x.tanh(), g * 0.8, padding_mode="border", align_corners=True)
     .pow(2).sum() + F.grid_sample(x * x, g * 0.7, mode="bicubic", padding_mode="reflection",
                                   align_corners=False).pow(2).sum()
     + F.grid_sample(x * x, g, mode="nearest", align_corners=False).pow(2).sum(),
     [R(2, 2, 4, 5), R(2, 3, 3, 2)]),
]


@_params(MISC)
def test_misc_second_order_matches_torch(fn, inputs):
    check_second_order(fn, inputs, rtol=2e-4, atol=2e-5)


@pytest.mark.parametrize("fn", [
    lambda a, p: (a * a).cumprod(1).sum(0) + a.logcumsumexp(0).sum(0),
    lambda a, p: gn.linalg.cholesky(_spd_input(gn, a)) + gn.linalg.eigh(a + a.mT)[1],
    # (PyTorch has no second derivative of embedding_bag: checked against finite differences)
    lambda a, p: GF.embedding_bag(gn.tensor([0, 2, 1, 3]), a * a, gn.tensor([0, 1]), mode="sum",
                                  per_sample_weights=p * p),
    lambda a, p: GF.embedding_bag(gn.tensor([[0, 2], [1, 1]]), a * a, mode="mean")
    + GF.embedding_bag(gn.tensor([[0, 2, 3], [1, 3, 0]]), a.sin(), mode="max"),
    lambda a, p: GG.scatter(a * a, gn.tensor([0, 2, 1, 2]), 0, 3, reduce="mean")
    + GG.scatter(a.sin(), gn.tensor([1, 1, 0, 2]), 0, 3, reduce="max")
    + GG.gather(a * p, gn.tensor([3, 0, 3]), 0).sum(0),
], ids=["scans", "cholesky_eigh", "embedding_bag_sum", "embedding_bag_mean_max", "graph_scatter"])
def test_misc_gradgradcheck(fn):
    assert gn.autograd.gradgradcheck(fn, (_r64(4, 4), _r64(4, seed=1)))


# ----------------------------------------------------------------------------- recurrent layers
def _rnn_penalty(T, kind, packed, **kw):
    """The squared norm of d(loss)/d(input) of a 2-layer bidirectional recurrent net,
    backpropagated into the input and every weight (second derivatives through BPTT)."""
    nn = T.nn
    m = getattr(nn, kind)(3, 4, num_layers=2, bidirectional=True, **kw)
    r = np.random.default_rng(5)
    with T.no_grad():
        for p in m.parameters():
            p.copy_(T.tensor(r.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5))
    x = T.tensor(r.standard_normal((5, 3, 3)).astype(np.float32), requires_grad=True)
    out, h = m(nn.utils.rnn.pack_padded_sequence(x, [5, 3, 2]) if packed else x)
    out = out.data if packed else out
    loss = out.pow(2).sum() + sum((s * s.sin()).sum() for s in (h if kind == "LSTM" else (h,)))
    (g,) = T.autograd.grad(loss, x, create_graph=True)
    (g * g).sum().backward()
    return [g.detach(), x.grad] + [p.grad for p in m.parameters()]


@pytest.mark.parametrize("kind,packed,kw", [
    ("RNN", False, {"nonlinearity": "relu"}), ("LSTM", False, {}), ("LSTM", True, {}),
    ("GRU", True, {"bias": False})], ids=["rnn_relu", "lstm", "lstm_packed", "gru_packed"])
def test_recurrent_second_order_matches_torch(kind, packed, kw):
    for a, b in zip(_rnn_penalty(gn, kind, packed, **kw), _rnn_penalty(torch, kind, packed, **kw)):
        assert_close(a, b, 2e-4, 2e-5 * float(np.abs(b.numpy()).max()))


def test_lstm_layer_gradgradcheck_with_computed_weights():
    x, h, c = _r64(3, 2, 2), _r64(2, 3, seed=1), _r64(2, 3, seed=2)
    wi, wh, b = _r64(12, 2, seed=3), _r64(12, 3, seed=4), _r64(12, seed=5)

    def f(x, h, wi, b):  # biases computed from a parameter (as in MAML's inner step)
        return lstm_layer(x, h, c, wi * 0.5, wh, b * b, b.sin(), reverse=True)

    assert gn.autograd.gradgradcheck(f, (x, h, wi, b))


# ----------------------------------------------------------------------------- module hooks
def _hooked_penalty(T):
    nn = T.nn
    m = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    r = np.random.default_rng(1)
    with T.no_grad():
        for p in m.parameters():
            p.copy_(T.tensor(r.standard_normal(tuple(p.shape)).astype(np.float32)))
    m[1].register_full_backward_hook(lambda mod, gi, go: (gi[0] * 2,))
    x = T.tensor(r.standard_normal((2, 3)).astype(np.float32), requires_grad=True)
    (g,) = T.autograd.grad(m(x).sum(), x, create_graph=True)
    (g * g).sum().backward()  # the hook acts on the first pass only (PyTorch's rule)
    return [g.detach(), x.grad] + [p.grad for p in list(m.parameters())[:3]]


def test_full_backward_hooks_under_create_graph_match_torch():
    for a, b in zip(_hooked_penalty(gn), _hooked_penalty(torch)):
        assert_close(a, b, 2e-4, 2e-5)
