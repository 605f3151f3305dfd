"""``glassnet.amp`` (glassnet/amp.py and the policy in glassnet/ops/autocast.py): autocast's op
lists and numbers against PyTorch's CPU autocast, and GradScaler's scale sequence, skipped
steps and state against ``torch.amp.GradScaler("cpu")`` on the same scenario."""

from __future__ import annotations

import threading
import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.nn.functional as GF

pytest.importorskip("ml_dtypes")

R = np.random.default_rng(0)
X = R.standard_normal((4, 8)).astype(np.float32)
W = R.standard_normal((3, 8)).astype(np.float32)
B = R.standard_normal(3).astype(np.float32)
IMG = R.standard_normal((1, 2, 5, 5)).astype(np.float32)
K = R.standard_normal((3, 2, 3, 3)).astype(np.float32)
Q = R.standard_normal((1, 2, 3)).astype(np.float32)
Y = np.array([0, 1, 2, 0])

# What each op returns inside CPU autocast, for float32 inputs (x) and for the lower-precision
# output of a linear layer (y): the lower-precision list, the float32 list, and ops on neither.
DTYPE_CASES = {
    "linear": lambda M, F, x, w, b, y: F.linear(x, w, b),
    "matmul": lambda M, F, x, w, b, y: x @ w.T,
    "mm": lambda M, F, x, w, b, y: M.mm(x, w.T),
    "bmm": lambda M, F, x, w, b, y: M.bmm(x[None], w.T[None]),
    "conv2d": lambda M, F, x, w, b, y: F.conv2d(M.tensor(IMG), M.tensor(K)),
    "conv_transpose2d": lambda M, F, x, w, b, y: F.conv_transpose2d(M.tensor(IMG),
                                                                     M.tensor(K).transpose(0, 1)),
    "sdpa": lambda M, F, x, w, b, y: F.scaled_dot_product_attention(
        M.tensor(Q), M.tensor(Q), M.tensor(Q)),
    "prelu": lambda M, F, x, w, b, y: F.prelu(x, M.tensor([0.25])),
    "linear_float64": lambda M, F, x, w, b, y: F.linear(x.double(), w.double()),
    "cross_entropy": lambda M, F, x, w, b, y: F.cross_entropy(y, M.tensor(Y)),
    "nll_loss": lambda M, F, x, w, b, y: F.nll_loss(y, M.tensor(Y)),
    "mse_loss": lambda M, F, x, w, b, y: F.mse_loss(y, M.zeros(4, 3)),
    "l1_loss": lambda M, F, x, w, b, y: F.l1_loss(y, M.zeros(4, 3)),
    "bce_with_logits": lambda M, F, x, w, b, y: F.binary_cross_entropy_with_logits(
        y, M.ones(4, 3)),
    "prod": lambda M, F, x, w, b, y: y.prod(),
    "softmax_lower": lambda M, F, x, w, b, y: F.softmax(y, -1),
    "softmax_float32": lambda M, F, x, w, b, y: F.softmax(x, -1),
    "log_softmax": lambda M, F, x, w, b, y: F.log_softmax(y, -1),
    "layer_norm": lambda M, F, x, w, b, y: F.layer_norm(y, (3,)),
    "relu": lambda M, F, x, w, b, y: F.relu(y),
    "gelu": lambda M, F, x, w, b, y: F.gelu(y),
    "sum": lambda M, F, x, w, b, y: y.sum(),
    "add_mixed": lambda M, F, x, w, b, y: y + x[:, :3],
    "cat_mixed": lambda M, F, x, w, b, y: M.cat([y, x[:, :3]]),
}


def _args(M):
    return M.tensor(X), M.tensor(W, requires_grad=True), M.tensor(B)


@pytest.mark.parametrize("dtype", ["bfloat16", "float16"])
@pytest.mark.parametrize("case", sorted(DTYPE_CASES))
def test_op_dtypes_inside_cpu_autocast_match_torch(case, dtype):
    fn = DTYPE_CASES[case]
    got = {}
    for M, F in ((gn, GF), (torch, TF)):
        x, w, b = _args(M)
        with M.autocast("cpu", dtype=getattr(M, dtype)):
            y = F.linear(x, w, b)
            got[M.__name__] = str(fn(M, F, x, w, b, y).dtype).split(".")[-1]
    assert got["glassnet"] == got["torch"]


def test_autocast_linear_values_and_float32_gradients_match_torch():
    out = {}
    for M, F in ((gn, GF), (torch, TF)):
        x, w, b = M.tensor(X), M.tensor(W, requires_grad=True), M.tensor(B, requires_grad=True)
        with M.autocast(device_type="cpu", dtype=M.bfloat16):
            h = F.linear(x, w, b)
            loss = F.cross_entropy(h, M.tensor(Y))
        loss.backward()
        out[M.__name__] = (h, loss, w.grad, b.grad)
    (gh, gl, gw, gb), (th, tl, tw, tb) = out["glassnet"], out["torch"]
    assert gh.dtype == gn.bfloat16 and gl.dtype == gn.float32
    assert gw.dtype == gn.float32 and gb.dtype == gn.float32
    np.testing.assert_allclose(gh.detach().float().numpy(), th.detach().float().numpy(),
                               rtol=1.6e-2, atol=1e-2)
    np.testing.assert_allclose(gl.item(), tl.item(), rtol=1e-2)
    np.testing.assert_allclose(gw.numpy(), tw.numpy(), rtol=2e-2, atol=2e-3)
    np.testing.assert_allclose(gb.numpy(), tb.numpy(), rtol=2e-2, atol=2e-3)


def test_autocast_off_changes_nothing_and_nests():
    x, w = gn.tensor(X), gn.tensor(W)
    assert GF.linear(x, w).dtype == gn.float32
    assert not gn.amp.is_autocast_enabled("cpu")
    with gn.autocast("cpu"):
        assert gn.amp.is_autocast_enabled("cpu") and not gn.amp.is_autocast_enabled()
        assert gn.amp.get_autocast_dtype("cpu") == gn.bfloat16
        with gn.autocast("cpu", enabled=False):
            assert GF.linear(x, w).dtype == gn.float32
            assert not gn.amp.is_autocast_enabled("cpu")
        with gn.amp.autocast("cpu", dtype=gn.float16):
            assert GF.linear(x, w).dtype == gn.float16
        assert GF.linear(x, w).dtype == gn.bfloat16
    assert GF.linear(x, w).dtype == gn.float32
    assert gn.amp.get_autocast_dtype("cuda") == gn.float16


def test_autocast_as_decorator_and_per_thread():
    @gn.autocast("cpu")
    def f(x, w):
        return x @ w.T

    x, w = gn.tensor(X), gn.tensor(W)
    assert f(x, w).dtype == gn.bfloat16
    seen = []
    with gn.autocast("cpu"):
        t = threading.Thread(target=lambda: seen.append((x @ w.T).dtype))
        t.start()
        t.join()
    assert seen == [gn.float32]  # another thread's ops are not autocast, as in PyTorch


def _warned(fn):
    """The categories of the warnings ``fn()`` gives, in order."""
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        fn()
    return [w.category for w in rec]


def test_autocast_warnings_and_errors_as_torch():
    x, w = gn.tensor(X), gn.tensor(W)
    if not gn.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            ac = gn.autocast("cuda")
        with ac:
            assert GF.linear(x, w).dtype == gn.float32
        assert _warned(gn.cuda.amp.autocast) == [FutureWarning, UserWarning]
    with pytest.warns(UserWarning, match="target dtype is not supported"):
        ac = gn.autocast("cpu", dtype=gn.float64)
    with ac:
        assert GF.linear(x, w).dtype == gn.float32
    with pytest.raises(ValueError, match="device_type"):
        gn.autocast(gn.device("cpu"))
    with pytest.raises(ValueError, match="device_type"):
        torch.autocast(torch.device("cpu"))
    assert gn.amp.is_autocast_available("cpu") and not gn.amp.is_autocast_available("mps")


def test_custom_fwd_casts_inputs_and_runs_without_autocast():
    seen = {}

    class Square(gn.autograd.Function):
        @staticmethod
        @gn.amp.custom_fwd(device_type="cpu", cast_inputs=gn.float32)
        def forward(ctx, a):
            seen["fwd"] = (a.dtype, gn.amp.is_autocast_enabled("cpu"))
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        @gn.amp.custom_bwd(device_type="cpu")
        def backward(ctx, g):
            seen["bwd"] = gn.amp.is_autocast_enabled("cpu")
            (a,) = ctx.saved_tensors
            return 2 * a * g

    x = gn.tensor(X).bfloat16().requires_grad_()
    with gn.autocast("cpu"):
        y = Square.apply(x)
    y.sum().backward()
    assert seen == {"fwd": (gn.float32, False), "bwd": False}
    assert y.dtype == gn.float32 and x.grad.dtype == gn.bfloat16


# ----------------------------------------------------------------------------- GradScaler
def _scaler_run(M, inject, steps=9, **kw):
    """A linear model trained with GradScaler; at the steps in ``inject`` the gradient gets an
    inf (or a NaN). Returns the scale, growth tracker and step result after every step, and
    the final weight."""
    torch.manual_seed(0)
    lin = M.nn.Linear(8, 3)
    lin.weight.data = M.tensor(W)
    lin.bias.data = M.tensor(B)
    opt = M.optim.SGD(lin.parameters(), lr=0.01)
    scaler = M.amp.GradScaler("cpu", init_scale=2.0 ** 10, growth_interval=3, **kw)
    seq = []
    for step in range(steps):
        opt.zero_grad()
        loss = M.nn.functional.cross_entropy(lin(M.tensor(X)), M.tensor(Y))
        scaler.scale(loss).backward()
        if step in inject:
            with M.no_grad():
                lin.weight.grad[0, 0] = inject[step]
        ret = scaler.step(opt)
        scaler.update()
        seq.append((scaler.get_scale(), scaler._get_growth_tracker(), ret is None))
    return seq, lin.weight.detach().numpy().copy(), scaler.state_dict()


def test_grad_scaler_matches_torch_on_inf_and_nan_injection():
    inject = {1: float("inf"), 2: float("nan"), 7: float("-inf")}
    gseq, gw, gsd = _scaler_run(gn, inject)
    tseq, tw, tsd = _scaler_run(torch, inject)
    assert gseq == tseq
    assert gsd == tsd
    np.testing.assert_allclose(gw, tw, rtol=1e-5, atol=1e-6)
    assert [s for s, _, _ in gseq] == [1024.0, 512.0, 256.0, 256.0, 256.0, 512.0, 512.0,
                                       256.0, 256.0]


def test_grad_scaler_growth_backoff_factors_match_torch():
    inject = {0: float("inf"), 4: float("inf")}
    kw = {"growth_factor": 3.0, "backoff_factor": 0.25}
    assert _scaler_run(gn, inject, steps=8, **kw)[0] == _scaler_run(torch, inject, steps=8,
                                                                     **kw)[0]


def test_grad_scaler_unscale_then_clip_and_errors():
    for M in (gn, torch):
        p = M.tensor([1.0, 2.0], requires_grad=True)
        opt = M.optim.SGD([p], lr=0.1)
        s = M.amp.GradScaler("cpu", init_scale=4.0)
        (s.scale((p * p).sum())).backward()
        assert p.grad.tolist() == [8.0, 16.0]
        s.unscale_(opt)
        assert p.grad.tolist() == [2.0, 4.0]
        with pytest.raises(RuntimeError, match="already been called"):
            s.unscale_(opt)
        s.step(opt)
        with pytest.raises(RuntimeError, match="after step"):
            s.unscale_(opt)
        with pytest.raises(RuntimeError, match="already been called since the last update"):
            s.step(opt)
        s.update()
        assert s.get_scale() == 4.0
        with pytest.raises(RuntimeError, match="Closure"):
            s.step(opt, closure=lambda: 0)
        s.update(2.0)
        assert s.get_scale() == 2.0
        s.update(M.tensor(8.0))
        assert s.get_scale() == 8.0
        a, b = s.scale([M.tensor(1.0), (M.tensor(2.0),)])
        assert a.item() == 8.0 and b[0].item() == 16.0


def test_grad_scaler_rejects_float16_gradients_as_torch():
    for M in (gn, torch):
        p = M.tensor([1.0, 2.0], dtype=M.float16, requires_grad=True)
        s = M.amp.GradScaler("cpu", init_scale=4.0)
        s.scale((p * p).sum()).backward()
        with pytest.raises(ValueError, match="Attempting to unscale FP16 gradients"):
            s.unscale_(M.optim.SGD([p], lr=0.1))


def test_grad_scaler_unscales_bfloat16_gradients():
    p = gn.tensor([1.0, 3.0], dtype=gn.bfloat16, requires_grad=True)
    s = gn.amp.GradScaler("cpu", init_scale=256.0)
    s.scale((p * p).sum()).backward()
    s.unscale_(gn.optim.SGD([p], lr=0.1))
    assert p.grad.dtype == gn.bfloat16 and p.grad.tolist() == [2.0, 6.0]


def test_grad_scaler_state_dict_round_trip_and_disabled():
    g = gn.amp.GradScaler("cpu", init_scale=8.0, growth_interval=5)
    t = torch.amp.GradScaler("cpu", init_scale=8.0, growth_interval=5)
    assert g.state_dict() == t.state_dict()
    g2 = gn.amp.GradScaler("cpu")
    g2.load_state_dict(g.state_dict())
    assert g2.get_scale() == 8.0 and g2.get_growth_interval() == 5
    off = gn.amp.GradScaler("cpu", enabled=False)
    assert off.state_dict() == {} and off.get_scale() == 1.0 and not off.is_enabled()
    x = gn.tensor(2.0, requires_grad=True)
    assert off.scale(x) is x
    with pytest.raises(RuntimeError, match="empty"):
        g2.load_state_dict({})
    with pytest.raises(AssertionError, match="growth factor"):
        gn.amp.GradScaler("cpu", growth_factor=1.0)
    if not gn.cuda.is_available():
        with pytest.warns(UserWarning, match="CUDA is not available"):
            assert not gn.amp.GradScaler().is_enabled()
        assert _warned(gn.cuda.amp.GradScaler) == [FutureWarning, UserWarning]
        assert not gn.cuda.amp.GradScaler(init_scale=2.0).is_enabled()


def test_mixed_precision_training_loop_matches_torch():
    """autocast(bfloat16) + GradScaler on a two-layer network: the losses and weights follow
    PyTorch's within bfloat16's precision."""
    rng = np.random.default_rng(3)
    xs = rng.standard_normal((16, 8)).astype(np.float32)
    ys = rng.integers(0, 3, 16)
    w1 = (rng.standard_normal((6, 8)) * 0.3).astype(np.float32)
    w2 = (rng.standard_normal((3, 6)) * 0.3).astype(np.float32)
    res = {}
    for M in (gn, torch):
        net = M.nn.Sequential(M.nn.Linear(8, 6), M.nn.ReLU(), M.nn.Linear(6, 3))
        net[0].weight.data, net[2].weight.data = M.tensor(w1), M.tensor(w2)
        net[0].bias.data, net[2].bias.data = M.zeros(6), M.zeros(3)
        opt = M.optim.Adam(net.parameters(), lr=0.01)
        scaler = M.amp.GradScaler("cpu")
        losses = []
        for _ in range(5):
            opt.zero_grad()
            with M.autocast(device_type="cpu", dtype=M.bfloat16):
                loss = M.nn.functional.cross_entropy(net(M.tensor(xs)), M.tensor(ys))
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
            losses.append(loss.item())
        assert net[0].weight.dtype == M.float32
        res[M.__name__] = (losses, net[0].weight.detach().numpy())
    np.testing.assert_allclose(res["glassnet"][0], res["torch"][0], rtol=2e-2)
    np.testing.assert_allclose(res["glassnet"][1], res["torch"][1], rtol=5e-2, atol=5e-3)
