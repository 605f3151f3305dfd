"""float16 and bfloat16 tensors (glassnet/backend.py: the dtypes, promotion and
``compute_in_float32``): creation, promotion, the ops' values and gradients against PyTorch's
CPU results, printing, finfo, save/load, and the clear error where ml_dtypes is missing.

Tolerances are PyTorch's own for the dtype (``torch.testing``: float16 rtol 1e-3, bfloat16
rtol 1.6e-2), taken relative to the largest magnitude of the reference, so that one rounding
step of a large value does not fail a comparison of a small one.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.nn.functional as GF
from glassnet import backend

pytest.importorskip("ml_dtypes")

DTYPES = ["float16", "bfloat16"]
RTOL = {"float16": 1e-3, "bfloat16": 1.6e-2}


def _gn(a, name, rg=False):
    """A glassnet tensor of dtype ``name`` holding ``a`` (float32 data rounded once)."""
    return gn.tensor(a).to(getattr(gn, name)).requires_grad_(rg)


def _torch(a, name, rg=False):
    return torch.tensor(a).to(getattr(torch, name)).requires_grad_(rg)


def _f32(t):
    return t.detach().float().numpy()


def _close(actual, expected, name, what, factor=1.0):
    a, e = _f32(actual), _f32(expected)
    tol = RTOL[name] * factor
    scale = max(float(np.abs(e).max(initial=0.0)), 1e-6)
    np.testing.assert_allclose(a, e, rtol=tol, atol=tol * scale, err_msg=what)


R = np.random.default_rng(0)
X = R.standard_normal((4, 8)).astype(np.float32)
W = R.standard_normal((3, 8)).astype(np.float32)
B = R.standard_normal(3).astype(np.float32)
IMG = R.standard_normal((2, 3, 6, 6)).astype(np.float32)
K = R.standard_normal((4, 3, 3, 3)).astype(np.float32)
Y = np.array([0, 1, 2, 0])

# name: (op written for either library, its floating inputs)
OPS = {
    "add_mul": (lambda M, F, a: a + a * 2.5, [X]),
    "div": (lambda M, F, a: a / 3, [X]),
    "exp": (lambda M, F, a: a.exp(), [X]),
    "tanh": (lambda M, F, a: a.tanh(), [X]),
    "sigmoid": (lambda M, F, a: a.sigmoid(), [X]),
    "matmul": (lambda M, F, a, b: a @ b.T, [X, W]),
    "linear": (lambda M, F, a, w, b: F.linear(a, w, b), [X, W, B]),
    "conv2d": (lambda M, F, a, k: F.conv2d(a, k, padding=1), [IMG, K]),
    "conv_transpose2d": (lambda M, F, a, k: F.conv_transpose2d(a, k.transpose(0, 1), stride=2),
                         [IMG, K]),
    "sum": (lambda M, F, a: a.sum(), [X]),
    "mean": (lambda M, F, a: a.mean(1), [X]),
    "var": (lambda M, F, a: a.var(1), [X]),
    "norm": (lambda M, F, a: a.norm(), [X]),
    "cumsum": (lambda M, F, a: a.cumsum(1), [X]),
    "max": (lambda M, F, a: a.max(1)[0], [X]),
    "softmax": (lambda M, F, a: F.softmax(a, -1), [X]),
    "log_softmax": (lambda M, F, a: F.log_softmax(a, -1), [X]),
    "cross_entropy": (lambda M, F, a: F.cross_entropy(a, M.tensor(Y)), [X]),
    "mse_loss": (lambda M, F, a, b: F.mse_loss(a, b), [X, X * 0.5]),
    "layer_norm": (lambda M, F, a: F.layer_norm(a, (8,)), [X]),
    "batch_norm": (lambda M, F, a: F.batch_norm(a, None, None, training=True), [IMG]),
    "relu": (lambda M, F, a: F.relu(a), [X]),
    "gelu": (lambda M, F, a: F.gelu(a), [X]),
    "max_pool2d": (lambda M, F, a: F.max_pool2d(a, 2), [IMG]),
    "avg_pool2d": (lambda M, F, a: F.avg_pool2d(a, 2), [IMG]),
}


@pytest.mark.parametrize("name", DTYPES)
@pytest.mark.parametrize("op", sorted(OPS))
def test_op_values_and_gradients_match_torch(op, name):
    fn, arrays = OPS[op]
    gins = [_gn(a, name, True) for a in arrays]
    tins = [_torch(a, name, True) for a in arrays]
    g, t = fn(gn, GF, *gins), fn(torch, TF, *tins)
    assert str(g.dtype) == name == str(t.dtype).replace("torch.", "")
    _close(g, t, name, f"{op} forward")
    up = np.random.default_rng(1).standard_normal(tuple(t.shape)).astype(np.float32)
    (g.float() * gn.tensor(up)).sum().backward()
    (t.float() * torch.tensor(up)).sum().backward()
    for i, (gi, ti) in enumerate(zip(gins, tins)):
        assert gi.grad.dtype == gi.dtype, f"{op}: the gradient keeps the tensor's dtype"
        # a gradient is a longer chain of roundings than the value: two steps of the dtype
        _close(gi.grad, ti.grad, name, f"{op} gradient of input {i}", factor=2.0)


def test_reduced_precision_kernels_accumulate_in_float32():
    # 4096 ones summed in bfloat16 steps would stop at 256 (256 + 1 rounds to 256); PyTorch's
    # kernels accumulate in float32 and round once, as glassnet's do
    ones = gn.ones(4096, dtype=gn.bfloat16)
    assert ones.sum().item() == torch.ones(4096, dtype=torch.bfloat16).sum().item() == 4096.0
    a = gn.ones(1, 4096, dtype=gn.bfloat16)
    assert (a @ a.T).item() == 4096.0
    assert gn.ones(2048, dtype=gn.float16).mean().item() == 1.0


def test_matmul_is_float32_accumulation_rounded_once():
    a, b = _gn(X, "bfloat16"), _gn(W, "bfloat16")
    exact = (a.float() @ b.float().T).bfloat16()
    assert (a @ b.T).tolist() == exact.tolist()
    assert GF.linear(a, b).tolist() == exact.tolist()


@pytest.mark.parametrize("name", DTYPES)
def test_creation_and_conversion(name):
    d, td = getattr(gn, name), getattr(torch, name)
    assert gn.zeros(2, 3, dtype=d).dtype == d
    assert gn.ones(2, dtype=d).tolist() == [1.0, 1.0]
    assert gn.full((2,), 2.5, dtype=d).tolist() == [2.5, 2.5]
    assert gn.tensor([1.0, 2.0], dtype=d).dtype == d
    assert gn.randn(3, dtype=d).dtype == d
    x = gn.tensor(X)
    assert x.to(d).tolist() == torch.tensor(X).to(td).tolist()
    assert x.half().dtype == gn.float16 and x.bfloat16().dtype == gn.bfloat16
    assert x.to(dtype=d).float().dtype == gn.float32
    t = x.to(d)
    assert t.is_floating_point() and gn.is_floating_point(t)
    assert t.element_size() == 2 and t.itemsize == 2 and t.nbytes == 64
    assert t.is_signed()
    assert t.requires_grad_().requires_grad
    assert t.type() == torch.tensor(X).to(td).type().replace("torch", "glassnet")
    assert gn.tensor([1, 2]).to(d).dtype == d
    assert backend.to_dtype(name) == d


def test_bfloat16_names():
    assert gn.bfloat16 is backend.bfloat16
    assert str(gn.bfloat16) == "bfloat16"
    assert backend.to_dtype("torch.bfloat16") == gn.bfloat16
    assert "bfloat16" in dir(gn)
    assert gn.tensor(1.0).bfloat16().dtype == gn.bfloat16


PROMOTIONS = [("bfloat16", "float16"), ("bfloat16", "float32"), ("bfloat16", "float64"),
              ("bfloat16", "int64"), ("float16", "int32"), ("bfloat16", "bool"),
              ("float16", "float32"), ("bfloat16", "bfloat16")]


@pytest.mark.parametrize("a,b", PROMOTIONS)
def test_promotion_matches_torch(a, b):
    ga, gb = gn.ones(2, dtype=getattr(gn, a)), gn.ones(2, dtype=getattr(gn, b))
    ta, tb = torch.ones(2, dtype=getattr(torch, a)), torch.ones(2, dtype=getattr(torch, b))
    for f in (lambda u, v: u + v, lambda u, v: v * u, lambda u, v: u / v):
        assert str(f(ga, gb).dtype) == str(f(ta, tb).dtype).replace("torch.", "")
    assert str(gn.promote_types(ga.dtype, gb.dtype)) == \
        str(torch.promote_types(ta.dtype, tb.dtype)).replace("torch.", "")
    # a 0-d tensor or a Python number does not widen a dimensioned tensor of its kind
    assert str((ga * gn.tensor(2.0)).dtype) == str((ta * torch.tensor(2.0)).dtype)[6:]
    assert str((ga * 2.5).dtype) == str((ta * 2.5).dtype)[6:]


@pytest.mark.parametrize("name", DTYPES)
def test_printing_matches_torch(name):
    vals = [[1.5, -2.25, 3.1415926], [1e-3, 100.0, 0.1]]
    for v in (vals, [1e-5, 3.0], 2.5, [0.0, 0.0]):
        g = repr(gn.tensor(v).to(getattr(gn, name)))
        t = repr(torch.tensor(v).to(getattr(torch, name)))
        assert g == t.replace("torch.", "glassnet."), (g, t)
    g = repr(gn.tensor(vals).to(getattr(gn, name)).requires_grad_())
    assert g == repr(torch.tensor(vals).to(getattr(torch, name)).requires_grad_()).replace(
        "torch.", "glassnet.")


@pytest.mark.parametrize("name", DTYPES)
def test_finfo_matches_torch(name):
    g, t = gn.finfo(getattr(gn, name)), torch.finfo(getattr(torch, name))
    for field in ("bits", "eps", "max", "min", "tiny", "smallest_normal", "resolution"):
        assert getattr(g, field) == getattr(t, field), field
    assert repr(g) == repr(t)


@pytest.mark.parametrize("name", DTYPES)
def test_module_and_optimizer_in_reduced_precision_match_torch(name):
    d, td = getattr(gn, name), getattr(torch, name)
    gm, tm = gn.nn.Linear(8, 3), torch.nn.Linear(8, 3)
    with torch.no_grad():
        tm.weight.copy_(torch.tensor(W))
        tm.bias.copy_(torch.tensor(B))
    gm.weight.data = gn.tensor(W)
    gm.bias.data = gn.tensor(B)
    gm, tm = (gm.bfloat16(), tm.bfloat16()) if name == "bfloat16" else (gm.half(), tm.half())
    assert gm.weight.dtype == d and gm.bias.dtype == d
    gopt = gn.optim.SGD(gm.parameters(), lr=0.1, momentum=0.9)
    topt = torch.optim.SGD(tm.parameters(), lr=0.1, momentum=0.9)
    for _ in range(3):
        for m, opt, M, F, dt in ((gm, gopt, gn, GF, d), (tm, topt, torch, TF, td)):
            opt.zero_grad()
            F.cross_entropy(m(M.tensor(X).to(dt)), M.tensor(Y)).backward()
            opt.step()
    assert gm.weight.dtype == d and gm.weight.grad.dtype == d
    _close(gm.weight, tm.weight, name, "weight after 3 SGD steps", factor=2.0)
    _close(gm.bias, tm.bias, name, "bias after 3 SGD steps", factor=2.0)


@pytest.mark.parametrize("name", DTYPES)
def test_save_and_load_keep_the_dtype(name, tmp_path):
    d = getattr(gn, name)
    x = gn.tensor(X).to(d)
    path = tmp_path / "t.pt"
    gn.save({"x": x, "dtype": d, "m": gn.nn.Linear(2, 2).to(d).state_dict()}, path)
    back = gn.load(path)
    assert back["x"].dtype == d and back["x"].tolist() == x.tolist()
    assert back["dtype"] == d
    assert back["m"]["weight"].dtype == d


def test_bfloat16_tensor_files_are_safetensors_that_torch_reads(tmp_path):
    safetensors_torch = pytest.importorskip("safetensors.torch")
    from glassnet.io.tensor_file import decode, encode

    x = gn.tensor(X).bfloat16()
    data, fmt = encode({"x": x._data, "h": gn.tensor(B).half()._data})
    assert fmt == "safetensors"
    path = tmp_path / "t.safetensors"
    path.write_bytes(bytes(data))
    t = safetensors_torch.load_file(str(path))
    assert t["x"].dtype == torch.bfloat16 and t["x"].float().tolist() == x.float().tolist()
    assert t["h"].dtype == torch.float16
    arrays, _, sealed = decode(str(path), bytes(data))
    assert sealed and arrays["x"].dtype == gn.bfloat16 and arrays["h"].dtype == gn.float16
    assert arrays["x"].tolist() == x.tolist()


def test_assert_close_uses_bfloat16_tolerances():
    a = gn.tensor(X).bfloat16()
    gn.testing.assert_close(a, a * 1.001)
    with pytest.raises(AssertionError, match="not close"):
        gn.testing.assert_close(a, a * 1.1)


def test_float32_gradient_through_a_cast_is_float32():
    # the gradient of a float32 leaf used in bfloat16 comes back cast to float32
    w = gn.tensor(W, requires_grad=True)
    tw = torch.tensor(W, requires_grad=True)
    (gn.tensor(X).bfloat16() @ w.bfloat16().T).float().sum().backward()
    (torch.tensor(X).bfloat16() @ tw.bfloat16().T).float().sum().backward()
    assert w.grad.dtype == gn.float32
    _close(w.grad, tw.grad, "bfloat16", "float32 gradient through a bfloat16 matmul")


def test_float64_path_is_unchanged_gradcheck():
    # the float32 compute wrapper leaves other dtypes alone: float64 gradients stay exact
    rng = np.random.default_rng(2)
    x = gn.tensor(rng.standard_normal((3, 4)), requires_grad=True)
    w = gn.tensor(rng.standard_normal((2, 4)), requires_grad=True)
    assert gn.autograd.gradcheck(lambda a, b: GF.log_softmax(GF.linear(a, b), -1).sum(1),
                                 (x, w))


def test_without_ml_dtypes_bfloat16_exists_and_says_what_to_install(monkeypatch):
    monkeypatch.setattr(backend, "_bfloat16", backend._MissingDtype())
    bf = gn.bfloat16
    assert "ml_dtypes" in repr(bf)
    for use in (lambda: gn.zeros(2, dtype=bf), lambda: gn.tensor([1.0]).to(bf),
                lambda: gn.tensor([1.0]).bfloat16(), lambda: backend.to_dtype("bfloat16"),
                lambda: np.zeros(2, dtype=bf), lambda: gn.finfo(bf)):
        with pytest.raises(ModuleNotFoundError, match=r"glassnet\[bf16\]"):
            use()
    assert gn.tensor([1.0]).half().dtype == gn.float16  # float16 needs nothing extra


def test_second_order_gradients_keep_the_dtype():
    # what a float32-computing kernel saves keeps the tensors' dtype, so create_graph=True
    # builds the gradient's graph in bfloat16 too; its values follow float32's second derivative
    # within what a chain of bfloat16 roundings allows
    a = (np.random.default_rng(4).standard_normal((3, 3)) * 0.5).astype(np.float32)
    out = {}
    for d in (gn.bfloat16, gn.float32):
        x = gn.tensor(a).to(d).requires_grad_()
        y = (GF.softmax(x @ x, -1) ** 2).sum()
        (g,) = gn.autograd.grad(y, x, create_graph=True)
        (h,) = gn.autograd.grad(g.sum(), x)
        assert g.dtype == d and h.dtype == d
        out[d] = h.float().numpy()
    scale = np.abs(out[gn.float32]).max()
    np.testing.assert_allclose(out[gn.bfloat16], out[gn.float32], atol=0.1 * scale)
