"""Higher-order gradients (``create_graph=True``, glassnet/autograd/graph_engine.py) against
PyTorch, and float64 gradgradcheck.

The second-order parity check runs one function in both frameworks on the same inputs:
L = sum(f(x) * u) for a random u, g = dL/dx with create_graph=True, then S = sum_i <g_i, w_i>
for random w_i is backpropagated. The first gradients g and the second gradients dS/dx (the
Hessian-vector products H w) must agree with PyTorch's, for the elementwise, reduction, shape and
linear-algebra ops and for the layer ops (convolution, pooling, padding, resampling, fold,
recurrent layers, embedding bags, scans and decompositions). An op without a second derivative
gives its first gradient and refuses the second with an error that names it."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close

import glassnet as gn
import glassnet.nn.functional as GF
from glassnet.nn.functional import graph as GG
from glassnet.nn.functional.rnn import lstm_layer

LIBS = {"gn": (gn, GF), "torch": (torch, TF)}


def _second_order(lib, fn, arrays, grad_idx, seed):
    T, F = LIBS[lib]
    xs = [T.tensor(a) if i not in grad_idx else T.tensor(a).requires_grad_(True)
          for i, a in enumerate(arrays)]
    out = fn(T, F, *xs)
    outs = out if isinstance(out, tuple) else (out,)
    rng = np.random.default_rng(seed)
    loss = sum((o * T.tensor(rng.standard_normal(tuple(o.shape)).astype(arrays[0].dtype))).sum()
               for o in outs if o.is_floating_point())
    diff = [xs[i] for i in grad_idx]
    gs = T.autograd.grad(loss, diff, create_graph=True, allow_unused=True)
    s = sum((g * T.tensor(rng.standard_normal(tuple(g.shape)).astype(arrays[0].dtype))).sum()
            for g in gs if g is not None)
    if isinstance(s, int) or not s.requires_grad:  # gradients constant in x: Hessian 0
        return [o.detach() for o in outs], gs, [None] * len(diff)
    s.backward()
    return [o.detach() for o in outs], gs, [x.grad for x in diff]


def check_second_order(fn, arrays, grad_idx=None, rtol=1e-4, atol=1e-5, seed=0):
    arrays = [np.asarray(a) for a in arrays]
    if grad_idx is None:
        grad_idx = [i for i, a in enumerate(arrays) if a.dtype.kind == "f"]
    g_out, g_g, g_h = _second_order("gn", fn, arrays, grad_idx, seed)
    t_out, t_g, t_h = _second_order("torch", fn, arrays, grad_idx, seed)
    for a, b in zip(g_out, t_out):
        assert_close(a, b, rtol, atol, "output")
    for k, (a, b) in enumerate(zip(g_g, t_g)):
        assert (a is None) == (b is None), f"first gradient {k}: None in one framework only"
        if a is not None:
            assert a.dtype == gn.float32 if arrays[0].dtype == np.float32 else True
            assert_close(a, b, rtol, atol, f"first gradient {k}")
    for k, (a, b) in enumerate(zip(g_h, t_h)):
        if b is None or (a is None and not b.abs().sum().item()):
            assert a is None or not np.abs(a.detach().numpy()).sum(), f"second gradient {k}"
            continue
        assert a is not None, f"second gradient {k}: missing in glassnet"
        assert_close(a, b, rtol, atol, f"second gradient {k}")


rng = np.random.default_rng(0)


def R(*shape, lo=None, hi=None, dtype=np.float32):
    if lo is not None:
        return rng.uniform(lo, hi, shape).astype(dtype)
    return rng.standard_normal(shape).astype(dtype)


def away(*shape):
    x = R(*shape)
    return np.where(np.abs(x) < 0.1, 0.3, x).astype(np.float32)


def _setitem(a, b):
    c = a * 1
    c[1] = b * b  # a differentiable __setitem__
    return c


# (name, fn(T, F, *xs), inputs): one case per op family; each fn mixes the op with a
# non-linearity so that the Hessian is not zero.
CASES = [
    ("arith_broadcast", lambda T, F, a, b: a * b * a + a / (b * b + 1) - (a - b) * b + (-a) * a,
     [R(3, 4), R(4)]),
    ("pow_tensor", lambda T, F, a, b: (a.abs() + 0.5) ** b, [R(3, 4), R(3, 4)]),
    ("pow_scalar", lambda T, F, a: a ** 3 + (a * a + 1) ** 0.5 + 2 ** a + a ** 1, [R(5)]),
    ("exp_log", lambda T, F, a: a.exp() * a + (a * a + 1).log() + (a * a).log1p(), [R(2, 3)]),
    ("sqrt_abs", lambda T, F, a: a.abs().sqrt() * a + a.abs() * a, [away(6)]),
    ("trig", lambda T, F, a: a.sin() * a.cos() + (a * 2).sin(), [R(6)]),
    ("tanh_sigmoid", lambda T, F, a: a.tanh() * a.sigmoid() + T.sigmoid(a * a), [R(6)]),
    ("relu", lambda T, F, a: F.relu(a) * a + T.relu(a) ** 2, [away(7)]),
    ("leaky_elu", lambda T, F, a: F.leaky_relu(a, 0.2) * a + F.elu(a) * a + F.elu(a, 0.5)
     + F.selu(a) + F.celu(a, 2.0), [away(8)]),
    ("gelu", lambda T, F, a: F.gelu(a) + F.gelu(a, approximate="tanh"), [R(8)]),
    ("softplus_silu", lambda T, F, a: F.softplus(a) * a + F.silu(a) + F.mish(a)
     + F.logsigmoid(a), [R(8)]),
    ("softplus_beta", lambda T, F, a: F.softplus(a, beta=2.0, threshold=5.0), [R(8)]),
    ("softplus_beta_intermediate", lambda T, F, a: F.softplus(a * 1.5, beta=2.5), [R(8)]),
    ("hardswish", lambda T, F, a: F.hardswish(a) + F.hardtanh(a) * a, [away(8) * 2]),
    ("clamp_where_minmax", lambda T, F, a, b: a.clamp(-0.5, 0.5) * a
     + T.where(a > 0, a * b, b * b) + T.maximum(a, b) * a + T.minimum(a, b) ** 2,
     [away(3, 4), R(3, 4)]),
    ("unary_more", lambda T, F, a: a.asin() + a.atan() + a.sinh() + a.cosh() + a.atanh()
     + a.tan() + a.expm1() + a.erf() + T.atan2(a, a * a + 1), [R(6, lo=-0.8, hi=0.8)]),
    ("sum_mean", lambda T, F, a: (a.sum(1) ** 2).sum() + (a.mean(0, keepdim=True) * a).sum()
     + a.mean() ** 2, [R(3, 4)]),
    ("var_std", lambda T, F, a: a.var(1) * a.std(0).sum() + a.var() + a.std(1, keepdim=True)
     .sum(), [R(3, 5)]),
    ("max_reductions", lambda T, F, a: a.amax(1) ** 2 + a.max(1).values * a.min(1).values
     + a.max() * a.sum(1), [R(3, 5)]),
    ("logsumexp_prod_cumsum", lambda T, F, a: a.logsumexp(1) + a.prod(1) + (a.cumsum(1) ** 2)
     .sum(1), [R(3, 4)]),
    ("norms", lambda T, F, a: a.norm(2, dim=1) + a.norm(dim=1) ** 2 + T.linalg.vector_norm(
        a, 3, dim=1) + a.norm(1, dim=1) * a.sum(1) + a.norm(), [R(3, 4)]),
    ("matmul", lambda T, F, a, b, v: ((a @ b).tanh() @ v).sum() + (v @ b.t()).sin().sum()
     + (a[0] @ a[1]) ** 2, [R(3, 4), R(4, 5), R(5)]),
    ("bmm_broadcast", lambda T, F, a, b: T.tanh(a @ b), [R(2, 3, 4), R(4, 2)]),
    ("linear", lambda T, F, x, w, b: F.linear(x, w, b).tanh(), [R(2, 3, 4), R(5, 4), R(5)]),
    ("einsum", lambda T, F, a, b: T.einsum("ij,jk->ik", a, b).sin()
     + T.einsum("ij->i", a * a).unsqueeze(1), [R(3, 4), R(4, 3)]),
    ("shapes", lambda T, F, a: (a.reshape(4, 3) ** 2).permute(1, 0).reshape(-1)
     + a.view(-1).sin() + a.transpose(0, 1).flip(0).reshape(-1) * a.reshape(-1)
     + a.unsqueeze(0).expand(2, 3, 4).sum(0).reshape(-1) ** 2, [R(3, 4)]),
    ("indexing", lambda T, F, a: (a[1:, ::2] ** 2).sum() + (a[[0, 2, 0]] * a[0]).sum()
     + a[a[:, 0] > -10].pow(3).sum() + a.gather(1, T.tensor([[0], [3], [1]])).pow(2).sum()
     + a.index_select(1, T.tensor([2, 2, 0])).sin().sum(), [R(3, 4)]),
    ("cat_stack_split", lambda T, F, a, b: T.cat([a * a, b], 0).sin().sum(0)
     + T.stack([a, b * a], 1).pow(2).sum((0, 1)) + sum(c.pow(3).sum(0) for c in a.split(1, 0))
     + sum(c.exp().sum(0) for c in b.chunk(2, 1)).sum(), [R(2, 4), R(2, 4)]),
    ("softmax", lambda T, F, a: F.softmax(a, 1) * a + F.log_softmax(a * a, 0), [R(3, 4)]),
    ("cross_entropy", lambda T, F, a, y: F.cross_entropy(a * a, y)
     + F.cross_entropy(a, y, reduction="sum", label_smoothing=0.1),
     [R(4, 5), np.array([1, 0, 4, 2])]),
    ("cross_entropy_opts", lambda T, F, a, w, y: F.cross_entropy(a.sin(), y, weight=w.abs(),
                                                                 ignore_index=2)
     + F.cross_entropy(a, y, reduction="none").pow(2).sum(),
     [R(4, 5), R(5), np.array([1, 2, 4, 2])], [0]),
    ("cross_entropy_nd", lambda T, F, a, y: F.cross_entropy(a, y, label_smoothing=0.2),
     [R(2, 3, 4), np.array([[0, 1, 2, 0], [2, 2, 1, 0]])]),
    ("nll_mse_bce", lambda T, F, a, t, y: F.nll_loss(F.log_softmax(a, 1), y)
     + F.mse_loss(a.tanh(), t) + F.binary_cross_entropy(a.sigmoid(), t.sigmoid())
     + F.binary_cross_entropy_with_logits(a, t.sigmoid()) + F.l1_loss(a * a, t)
     + F.smooth_l1_loss(a, t) * 2, [R(3, 4), R(3, 4), np.array([0, 3, 1])]),
    ("layer_norm", lambda T, F, x, w, b: F.layer_norm(x, (4,), w, b).sin()
     + F.layer_norm(x * x, (3, 4)), [R(2, 3, 4), R(4), R(4)]),
    ("batch_norm", lambda T, F, x, w, b: F.batch_norm(x, None, None, w, b, training=True).tanh()
     + F.batch_norm(x, T.zeros(3), T.ones(3), w, b) * x + F.group_norm(x, 1).pow(2),
     [R(4, 3, 2), R(3), R(3)]),
    ("distance", lambda T, F, a, b: F.pairwise_distance(a, b) + F.cosine_similarity(a, b)
     + F.normalize(a, dim=1).sum(1) * a.sum(1), [R(3, 4), R(3, 4)]),
    ("pad_setitem", lambda T, F, a, b: F.pad(a * a, (1, 2, 0, 1)).sin().sum(0)[:4] * b
     + _setitem(a, b).pow(3).sum(0), [R(3, 4), R(4)]),
    ("inv_det_solve", lambda T, F, a, b: (T.linalg.inv(a) * T.linalg.det(a)).sum(0)
     + T.linalg.solve(a, b).tanh().sum(1), [R(3, 3) + 3 * np.eye(3, dtype=np.float32), R(3, 2)]),
    ("dropout_eval_embedding", lambda T, F, w, x: F.embedding(T.tensor([[0, 2], [2, 1]]), w).pow(2)
     .sum((1, 2)) + F.dropout(x, 0.5, training=False).exp().sum(1), [R(3, 4), R(2, 5)]),
]


@pytest.mark.parametrize("name,fn,inputs,grad_idx",
                         [(c[0], c[1], c[2], c[3] if len(c) > 3 else None) for c in CASES],
                         ids=[c[0] for c in CASES])
def test_second_order_matches_torch(name, fn, inputs, grad_idx):
    check_second_order(fn, inputs, grad_idx, rtol=2e-4, atol=2e-5)


# ----------------------------------------------------------------------------- patterns
def _critic(T, nn, seed=3):
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(3, 8), nn.LeakyReLU(0.2), nn.Linear(8, 8), nn.Tanh(),
                        nn.Linear(8, 1))
    r = np.random.default_rng(seed)
    with T.no_grad():
        for p in net.parameters():
            p.copy_(T.tensor(r.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5))
    return net


def _gradient_penalty(T, nn):
    net = _critic(T, nn)
    r = np.random.default_rng(4)
    real = T.tensor(r.standard_normal((6, 3)).astype(np.float32))
    fake = T.tensor(r.standard_normal((6, 3)).astype(np.float32))
    eps = T.tensor(r.uniform(size=(6, 1)).astype(np.float32))
    x = (eps * real + (1 - eps) * fake).requires_grad_(True)
    d = net(x)
    (g,) = T.autograd.grad(d, x, grad_outputs=T.ones_like(d), create_graph=True,
                           retain_graph=True)
    gp = ((g.norm(2, dim=1) - 1) ** 2).mean() * 10
    loss = net(fake).mean() - net(real).mean() + gp
    loss.backward()
    return [gp.detach()] + [p.grad for p in net.parameters()]


def test_wgan_gradient_penalty_matches_torch():
    import torch.nn as tnn

    import glassnet.nn as gnn
    for a, b in zip(_gradient_penalty(gn, gnn), _gradient_penalty(torch, tnn)):
        assert_close(a, b, 2e-4, 2e-5)


def _maml(T, nn, F):
    net = _critic(T, nn, seed=5)
    r = np.random.default_rng(6)
    xs = T.tensor(r.standard_normal((5, 3)).astype(np.float32))
    ys = T.tensor(r.standard_normal((5, 1)).astype(np.float32))
    params = list(net.parameters())
    names = [n for n, _ in net.named_parameters()]

    def forward(ps, x):
        p = dict(zip(names, ps))
        h = F.leaky_relu(F.linear(x, p["0.weight"], p["0.bias"]), 0.2)
        h = F.linear(h, p["2.weight"], p["2.bias"]).tanh()
        return F.linear(h, p["4.weight"], p["4.bias"])

    fast = params
    for _ in range(2):  # two inner SGD steps, differentiated through
        inner = F.mse_loss(forward(fast, xs), ys)
        grads = T.autograd.grad(inner, fast, create_graph=True)
        fast = [p - 0.1 * g for p, g in zip(fast, grads)]
    outer = F.mse_loss(forward(fast, xs * 0.5), ys)
    outer.backward()
    return [outer.detach()] + [p.grad for p in params]


def test_maml_inner_steps_match_torch():
    import torch.nn as tnn

    import glassnet.nn as gnn
    for a, b in zip(_maml(gn, gnn, GF), _maml(torch, tnn, TF)):
        assert_close(a, b, 2e-4, 2e-5)


def _hvp_and_newton(T):
    r = np.random.default_rng(7)
    A = T.tensor(r.standard_normal((4, 4)).astype(np.float32))
    x = T.tensor(r.standard_normal(4).astype(np.float32), requires_grad=True)
    v = T.tensor(r.standard_normal(4).astype(np.float32))

    def f(x):
        return (A @ x).tanh().pow(2).sum() + (x ** 4).sum() * 0.1

    (g,) = T.autograd.grad(f(x), x, create_graph=True)
    (hv,) = T.autograd.grad(g @ v, x, retain_graph=True)
    rows = [T.autograd.grad(g[i], x, retain_graph=True)[0] for i in range(4)]
    H = T.stack(rows)
    step = T.linalg.solve(H, g.detach())  # one Newton step
    return [g.detach(), hv, H, x.detach() - step]


def test_hvp_hessian_and_newton_step_match_torch():
    for a, b in zip(_hvp_and_newton(gn), _hvp_and_newton(torch)):
        assert_close(a, b, 5e-4, 5e-5)


def test_second_and_third_derivatives_of_elementwise_functions():
    for name in ("tanh", "sigmoid", "exp", "sin"):
        res = []
        for T in (gn, torch):
            x = T.tensor([-1.5, -0.2, 0.3, 1.1], dtype=T.float64, requires_grad=True)
            y = getattr(x, name)()
            d1 = T.autograd.grad(y.sum(), x, create_graph=True)[0]
            d2 = T.autograd.grad(d1.sum(), x, create_graph=True)[0]
            d3 = T.autograd.grad(d2.sum(), x)[0]
            res.append([d1.detach(), d2.detach(), d3])
        for a, b in zip(*res):
            assert_close(a, b, 1e-7, 1e-9, name)


@pytest.mark.filterwarnings(r"ignore:Using backward\(\) with create_graph")
def test_leaf_grad_is_differentiable_after_backward_create_graph():
    res = []
    for T in (gn, torch):
        x = T.tensor([1.0, -2.0, 0.5], requires_grad=True)
        (x ** 3).sum().backward(create_graph=True)
        assert x.grad.requires_grad and x.grad.grad_fn is not None
        g1 = x.grad.detach().clone()
        x.grad.pow(2).sum().backward()  # accumulates 2 g dg/dx into x.grad (first order)
        res.append([g1, x.grad.detach()])
    for a, b in zip(*res):
        assert_close(a, b)


def test_grad_of_a_constant_gradient_has_no_graph():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (g,) = gn.autograd.grad((3 * x).sum(), x, create_graph=True)
    assert not g.requires_grad
    assert_close(g, np.array([3.0, 3.0]))


def test_retain_graph_defaults_to_create_graph():
    x = gn.tensor([0.5, 1.5], requires_grad=True)
    y = (x.exp() * x).sum()
    gn.autograd.grad(y, x, create_graph=True)
    (g,) = gn.autograd.grad(y, x)  # the graph survived the create_graph pass
    assert_close(g, (np.exp([0.5, 1.5]) * (1 + np.array([0.5, 1.5]))).astype(np.float32))
    with pytest.raises(RuntimeError, match="second time"):
        gn.autograd.grad(y, x)


def test_grad_with_respect_to_an_intermediate_tensor():
    x = gn.tensor([0.3, -0.7], requires_grad=True)
    h = x.sin()
    y = (h ** 3).sum()
    (gh,) = gn.autograd.grad(y, h, create_graph=True)  # 3 h^2
    (gx,) = gn.autograd.grad(gh.sum(), x)  # 6 h cos(x)
    assert_close(gx, 6 * np.sin([0.3, -0.7]) * np.cos([0.3, -0.7]))


def test_custom_function_backward_is_differentiated():
    class Cube(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * g

    x = gn.tensor([1.0, -2.0], requires_grad=True)
    (g,) = gn.autograd.grad(Cube.apply(x).sum(), x, create_graph=True)
    (h,) = gn.autograd.grad(g.sum(), x)
    assert_close(g, np.array([3.0, 12.0]))
    assert_close(h, np.array([6.0, -12.0]))


def test_unsupported_op_raises_only_when_differentiated_twice():
    # CTC loss has no second derivative (PyTorch does not implement one either).
    x = gn.tensor(np.random.default_rng(2).standard_normal((5, 1, 3)).astype(np.float32),
                  requires_grad=True)
    args = ([[1, 2]], [5], [2])

    def loss(T, F, t):
        return F.ctc_loss(F.log_softmax(t * t, 2), T.tensor(args[0]), T.tensor(args[1]),
                          T.tensor(args[2]))

    (g,) = gn.autograd.grad(loss(gn, GF, x), x, create_graph=True)  # the first one is right
    t = torch.tensor(x.detach().numpy(), requires_grad=True)
    (tg,) = torch.autograd.grad(loss(torch, TF, t), t)
    assert_close(g, tg)
    with pytest.raises(NotImplementedError, match="create_graph: no differentiable gradient for "
                                                  "CTC"):
        g.sum().backward()


def test_backward_create_graph_with_inputs_and_hooks():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    w = gn.tensor([3.0, -1.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.requires_grad))
    (x * x * w).sum().backward(create_graph=True, inputs=[x])
    assert w.grad is None and seen == [True]
    assert_close(x.grad, np.array([6.0, -4.0]))
    x.grad.sum().backward(inputs=[w])
    assert_close(w.grad, np.array([2.0, 4.0]))


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
def test_layer_second_order_matches_torch(fn, inputs):
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


# ----------------------------------------------------------------------------- no second derivative
def test_an_op_without_a_second_derivative_raises_when_differentiated_twice():
    # the singular values alone (svdvals) have no differentiable_backward yet
    from glassnet.ops.decomp import SvdVals
    assert "differentiable_backward" in SvdVals.__dict__ and SvdVals.differentiable_backward is None
    values = np.array([[2.0, 0.5, 1.0], [0.3, -1.0, 2.0]])
    x = gn.tensor(values, requires_grad=True)
    (g,) = gn.autograd.grad(gn.linalg.svdvals(x).sum(), x, create_graph=True)  # the first one is right
    t = torch.tensor(values, requires_grad=True)
    (tg,) = torch.autograd.grad(torch.linalg.svdvals(t).sum(), t)
    assert_close(g, tg)
    assert g.requires_grad
    with pytest.raises(NotImplementedError, match="create_graph: no differentiable gradient for "
                                                  "SvdVals"):
        g.sum().backward()


def test_an_unsupported_case_refuses_the_same_way():
    # prod over a zero: differentiable_backward returns NotImplemented for that call only.
    values = np.array([[2.0, 0.0, 3.0], [1.5, -1.0, 2.0]])
    x = gn.tensor(values, requires_grad=True)
    (g,) = gn.autograd.grad(x.prod(1).sum(), x, create_graph=True)
    t = torch.tensor(values, requires_grad=True)
    (tg,) = torch.autograd.grad(t.prod(1).sum(), t)
    assert_close(g, tg)
    with pytest.raises(NotImplementedError, match="no differentiable gradient for Prod"):
        g.sum().backward()
    y = gn.tensor(values + 5.0, requires_grad=True)  # no zero: differentiable twice
    (gy,) = gn.autograd.grad(y.prod(1).sum(), y, create_graph=True)
    gy.sum().backward()
    assert y.grad is not None
