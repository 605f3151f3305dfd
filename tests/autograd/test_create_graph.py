"""Higher-order gradients (``create_graph=True``) against PyTorch, and float64 gradgradcheck.

The second-order parity check runs one function in both frameworks on the same inputs:
L = sum(f(x) * u) for a random u, g = dL/dx with create_graph=True, then S = sum_i <g_i, w_i>
for random w_i is backpropagated, so that every x_i.grad holds a Hessian-vector product. The
first gradients g and the leaf gradients must agree with PyTorch.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import assert_close

import glassnet as gn
import glassnet.nn.functional as GF

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


@pytest.mark.parametrize("fn", [
    lambda x, w: (x.tanh() @ w).sigmoid(),
    lambda x, w: GF.softmax(x @ w, 1).log(),
    lambda x, w: GF.layer_norm(x, (4,)) * w.sum(),
    lambda x, w: (x ** 3).sum(1, keepdim=True) / (w * w + 1).sum(),
    lambda x, w: GF.gelu(x).norm(dim=1) + GF.elu(x).var(),
    lambda x, w: GF.cross_entropy(x @ w, gn.tensor([0, 2, 1])),
], ids=["tanh_matmul_sigmoid", "softmax_log", "layer_norm", "pow_div", "gelu_norm_var", "ce"])
def test_gradgradcheck_float64(fn):
    r = np.random.default_rng(1)
    x = gn.tensor(r.standard_normal((3, 4)), requires_grad=True)
    w = gn.tensor(r.standard_normal((4, 3)), requires_grad=True)
    assert gn.autograd.gradgradcheck(fn, (x, w))


def test_gradgradcheck_reports_a_wrong_second_derivative():
    class Bad(gn.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 3 * x.detach() ** 2  # detached: the second derivative is lost

    x = gn.tensor([0.5, -1.0, 2.0], dtype=gn.float64, requires_grad=True)
    assert gn.autograd.gradcheck(Bad.apply, (x,))
    assert not gn.autograd.gradgradcheck(Bad.apply, (x,), raise_exception=False)


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


def test_first_order_behaviour_unchanged():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x ** 2).sum().backward()
    assert x.grad.grad_fn is None and not x.grad.requires_grad
    (g,) = gn.autograd.grad((x ** 3).sum(), x)
    assert not g.requires_grad and g.grad_fn is None
    y = (x * 2).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time"):
        y.backward()


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


def test_materialize_grads():
    x = gn.tensor([1.0], requires_grad=True)
    z = gn.tensor([1.0, 2.0], requires_grad=True)
    _, gz = gn.autograd.grad((x * 2).sum(), (x, z), materialize_grads=True)
    assert_close(gz, np.zeros(2))


# ----------------------------------------------------------------------------- autograd.functional
def _functional(T):
    import importlib
    AF = importlib.import_module(T.__name__ + ".autograd.functional")
    r = np.random.default_rng(8)
    x = T.tensor(r.standard_normal(3).astype(np.float32))
    y = T.tensor(r.standard_normal(2).astype(np.float32))
    v = T.tensor(r.standard_normal(3).astype(np.float32))

    def f(a):
        return (a.sin() * a).sum() + a.prod()

    def g(a, b):
        return (a[:2] * b).tanh(), (a ** 2).sum() * b

    out = [AF.hessian(f, x), AF.jacobian(lambda a: a.exp() * a.sum(), x)]
    out += list(AF.hvp(f, x, v)) + list(AF.vhp(f, x, v))
    out += [AF.jvp(lambda a: a.sin() * a[0], x, v)[1], AF.vjp(lambda a: a.cos(), x, v)[1]]
    jac = AF.jacobian(g, (x, y))
    out += [j for row in jac for j in row]
    hes = AF.hessian(lambda a, b: (a[:2] * b * b).sum(), (x, y))
    out += [h for row in hes for h in row]
    return out


def test_autograd_functional_matches_torch():
    for a, b in zip(_functional(gn), _functional(torch)):
        assert_close(a, b, 2e-4, 2e-5)
