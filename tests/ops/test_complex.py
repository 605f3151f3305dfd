"""Complex tensors (glassnet/ops/complex.py and the complex cases of the other ops) against
PyTorch: values and gradients over a grid of ops, shapes and both complex dtypes, a complex
finite-difference gradcheck (real and imaginary parts perturbed separately), dtype promotion,
creation, printing, views, eig, and saving."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck

CDTYPES = {"complex64": (torch.complex64, 1e-4, 1e-5), "complex128": (torch.complex128, 1e-9, 1e-9)}


def crandn(rng, shape, dtype="complex128"):
    """Seeded complex values (real dtypes draw only the real part)."""
    z = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        z = z + 1j * rng.standard_normal(shape)
    return np.asarray(z).astype(dtype)


def _np(t):
    t = t.detach()
    return t.resolve_conj().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def close(a, b, rtol, atol, what):
    a, b = _np(a), _np(b)
    assert a.shape == b.shape, f"{what}: shape {a.shape} != PyTorch's {b.shape}"
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=what)


def cparity(fn, arrays, rtol, atol, seed=1):
    """fn on glassnet and torch tensors made from the same arrays (all require grad): the
    outputs agree in dtype and value, and so do the gradients of the same random upstream
    gradient (complex where the output is complex)."""
    gs = [gn.tensor(a, requires_grad=True) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    og, ot = fn(gs, gn), fn(ts, torch)
    assert str(og.dtype).split(".")[-1] == str(ot.dtype).split(".")[-1], (og.dtype, ot.dtype)
    close(og, ot, rtol, atol, "output")
    rng = np.random.default_rng(seed)
    u = crandn(rng, tuple(ot.shape), str(ot.dtype).split(".")[-1])
    og.backward(gn.tensor(u))
    ot.backward(torch.tensor(u))
    for i, (g, t) in enumerate(zip(gs, ts)):
        tg = t.grad if t.grad is not None else torch.zeros_like(t)
        assert g.grad is not None or not tg.abs().max().item(), f"input {i}: no gradient"
        if g.grad is not None:
            assert g.grad.dtype == g.dtype, f"input {i}: gradient dtype {g.grad.dtype}"
            close(g.grad, tg, rtol, atol, f"gradient of input {i}")


# name -> (fn(tensors, lib), number of inputs, input kind: "c" complex, "r" real, "cr" one each)
UNARY = {
    "neg": lambda x, L: -x,
    "add_scalar": lambda x, L: x + (2 - 1j),
    "rsub_scalar": lambda x, L: 1.5 - x,
    "mul_scalar": lambda x, L: x * (0.5 + 2j),
    "div_scalar": lambda x, L: (1 + 1j) / x,
    "square": lambda x, L: x * x,
    "pow2": lambda x, L: x ** 2,
    "pow_half": lambda x, L: x ** 0.5,
    "pow_complex": lambda x, L: x ** (1.5 + 0.5j),
    "reciprocal": lambda x, L: x.reciprocal(),
    "exp": lambda x, L: x.exp(),
    "log": lambda x, L: x.log(),
    "sqrt": lambda x, L: x.sqrt(),
    "sin": lambda x, L: x.sin(),
    "cos": lambda x, L: x.cos(),
    "tanh": lambda x, L: x.tanh(),
    "sinh": lambda x, L: x.sinh(),
    "abs": lambda x, L: x.abs(),
    "angle": lambda x, L: x.angle(),
    "real": lambda x, L: x.real * 2,
    "imag": lambda x, L: x.imag * 2,
    "conj": lambda x, L: x.conj() * (1 + 2j),
    "conj_physical": lambda x, L: x.conj_physical() * x,
    "sgn": lambda x, L: x.sgn(),
    "sum": lambda x, L: x.sum(),
    "sum_dim": lambda x, L: x.sum(-1, keepdim=True),
    "mean": lambda x, L: x.mean(0),
    "prod": lambda x, L: x.prod(),
    "reshape": lambda x, L: x.reshape(-1) * x.reshape(-1).conj(),
    "permute": lambda x, L: x.permute(*reversed(range(x.ndim))).exp(),
    "transpose": lambda x, L: x.transpose(0, -1) * 1j,
    "index": lambda x, L: x[..., ::2][0] * 3,
    "index_list": lambda x, L: x.reshape(-1)[[0, 0, 1]] * (1 - 1j),
    "cat": lambda x, L: L.cat([x, x * 1j], 0),
    "stack": lambda x, L: L.stack([x, x.conj()], -1),
    "where": lambda x, L: L.where(x.real > 0, x, x * x),
    "view_as_real": lambda x, L: L.view_as_real(x * 1),
    "H": lambda x, L: x.reshape(x.shape[0], -1).mH @ x.reshape(x.shape[0], -1),
    "mm": lambda x, L: x.reshape(x.shape[0], -1) @ x.reshape(x.shape[0], -1).mT,
    "einsum": lambda x, L: L.einsum("i...,i...->...", x, x.conj()),
    "norm_sq": lambda x, L: (x.abs() ** 2).sum(),
}

BINARY = {  # two complex inputs of the same shape
    "add": lambda a, b, L: a + b,
    "sub": lambda a, b, L: a - b,
    "mul": lambda a, b, L: a * b,
    "div": lambda a, b, L: a / b,
    "pow": lambda a, b, L: a ** b,
    "matmul": lambda a, b, L: a.reshape(a.shape[0], -1) @ b.reshape(b.shape[0], -1).mT,
    "bmm": lambda a, b, L: L.bmm(a.reshape(1, a.shape[0], -1), b.reshape(1, b.shape[0], -1).mT),
    "einsum_outer": lambda a, b, L: L.einsum("i...,j...->ij", a, b),
    "broadcast_mul": lambda a, b, L: a[:1] * b,
    "cat2": lambda a, b, L: L.cat([a, b], -1).exp(),
}

MIXED = {  # a complex input, then a real one: promotion, and real gradients for the real input
    "mul_real": lambda z, r, L: z * r,
    "add_real": lambda z, r, L: r + z,
    "div_real": lambda z, r, L: z / r,
    "real_div": lambda z, r, L: r / z,
    "complex": lambda z, r, L: L.complex(r, r * 2) * z,
    "polar": lambda z, r, L: L.polar(r.abs() + 0.5, r) * z,
    "polar_abs_grad": lambda z, r, L: L.polar(r * r + 0.1, r * 3),
    "complex_broadcast": lambda z, r, L: L.complex(r, r[:1] * 0 + 1) + z,
}

SHAPES = [(3,), (2, 4), (2, 3, 2)]


@pytest.mark.parametrize("dtype", list(CDTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_matches_pytorch(name, shape, dtype):
    _, rtol, atol = CDTYPES[dtype]
    rng = np.random.default_rng(0)
    fn = UNARY[name]
    cparity(lambda xs, L: fn(xs[0], L), [crandn(rng, shape, dtype)], rtol, atol)


@pytest.mark.parametrize("dtype", list(CDTYPES))
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_matches_pytorch(name, shape, dtype):
    _, rtol, atol = CDTYPES[dtype]
    rng = np.random.default_rng(1)
    fn = BINARY[name]
    cparity(lambda xs, L: fn(xs[0], xs[1], L),
            [crandn(rng, shape, dtype), crandn(rng, shape, dtype)], rtol, atol)


@pytest.mark.parametrize("dtype", list(CDTYPES))
@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_real_complex_matches_pytorch(name, dtype):
    _, rtol, atol = CDTYPES[dtype]
    rng = np.random.default_rng(2)
    real = "float32" if dtype == "complex64" else "float64"
    fn = MIXED[name]
    cparity(lambda xs, L: fn(xs[0], xs[1], L),
            [crandn(rng, (2, 3), dtype), crandn(rng, (2, 3), real)], rtol, atol)


@pytest.mark.parametrize("name", sorted(set(UNARY) - {"index_list"}))
def test_unary_gradcheck(name):
    rng = np.random.default_rng(3)
    z = gn.tensor(crandn(rng, (2, 3)), requires_grad=True)
    assert gradcheck(lambda x: UNARY[name](x, gn), (z,))


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name):
    rng = np.random.default_rng(4)
    a, b = (gn.tensor(crandn(rng, (2, 3)), requires_grad=True) for _ in range(2))
    assert gradcheck(lambda x, y: BINARY[name](x, y, gn), (a, b))


@pytest.mark.parametrize("name", list(MIXED))
def test_mixed_gradcheck(name):
    rng = np.random.default_rng(5)
    z = gn.tensor(crandn(rng, (2, 3)), requires_grad=True)
    r = gn.tensor(crandn(rng, (2, 3), "float64"), requires_grad=True)
    assert gradcheck(lambda x, y: MIXED[name](x, y, gn), (z, r))


@pytest.mark.parametrize("name", ["mul", "div", "pow", "matmul", "einsum_outer"])
def test_second_derivatives(name):
    """create_graph=True: the complex backward formulas are differentiable again."""
    rng = np.random.default_rng(6)
    a, b = (gn.tensor(crandn(rng, (2, 2)), requires_grad=True) for _ in range(2))
    assert gn.autograd.gradgradcheck(lambda x, y: BINARY[name](x, y, gn), (a, b))


@pytest.mark.parametrize("name", ["exp", "log", "sqrt", "sin", "tanh", "abs", "angle", "prod",
                                  "reciprocal", "sinh", "real", "imag", "view_as_real"])
def test_unary_second_derivatives(name):
    rng = np.random.default_rng(7)
    z = gn.tensor(crandn(rng, (3,)), requires_grad=True)
    assert gn.autograd.gradgradcheck(lambda x: UNARY[name](x, gn), (z,))


# ----------------------------------------------------------------------------- conventions
def test_gradient_is_dL_dre_plus_i_dL_dim():
    """For L = |z|^2 = x^2 + y^2 the gradient is 2x + 2iy = 2z (PyTorch's convention)."""
    z = gn.tensor([1 + 2j, -3 + 0.5j], requires_grad=True)
    (z.abs() ** 2).sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [2 + 4j, -6 + 1j], rtol=1e-6)


def test_holomorphic_backward_multiplies_by_conj_derivative():
    z = gn.tensor([0.3 + 0.7j], dtype=gn.cdouble, requires_grad=True)
    y = z.exp()
    y.backward(gn.tensor([1 + 0j], dtype=gn.cdouble))
    np.testing.assert_allclose(z.grad.numpy(), np.conj(np.exp(0.3 + 0.7j)), rtol=1e-12)


def test_abs_at_zero_has_zero_gradient():
    z = gn.tensor([0j, 3 + 4j], requires_grad=True)
    z.abs().sum().backward()
    np.testing.assert_allclose(z.grad.numpy(), [0, 0.6 + 0.8j], rtol=1e-6)


def test_real_leaf_keeps_real_part_of_complex_gradient():
    r = gn.tensor([1.0, 2.0], requires_grad=True)
    rt = torch.tensor([1.0, 2.0], requires_grad=True)
    for x, L in ((r, gn), (rt, torch)):
        ((x * (1 + 2j)) * (3 - 1j)).abs().sum().backward()
    assert r.grad.dtype == gn.float32
    close(r.grad, rt.grad, 1e-6, 1e-6, "real gradient")


def test_backward_of_complex_output_needs_explicit_gradient():
    z = gn.tensor([1 + 1j], requires_grad=True)
    with pytest.raises(RuntimeError, match="real scalar outputs"):
        (z * z).sum().backward()


# ----------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("a,b", [
    ("float32", "complex64"), ("float64", "complex64"), ("complex64", "complex128"),
    ("int64", "complex64"), ("float16", "complex64"), ("bool", "complex128"),
    ("int32", "complex128"), ("float32", "complex128")])
def test_promotion_matches_pytorch(a, b):
    ta, tb = getattr(torch, a), getattr(torch, b)
    want = str(torch.promote_types(ta, tb)).split(".")[-1]
    assert gn.promote_types(getattr(gn, a) if a != "bool" else gn.bool, getattr(gn, b)).name \
        == want
    # a dimensioned tensor with a 0-d one (float16 would give complex32, which glassnet
    # does not have: it gives complex64)
    pairs = (((2,), ()), ((), (2,)), ((2,), (2,))) if a != "float16" else (((2,), (2,)),)
    for shape_a, shape_b in pairs:
        x = torch.zeros(shape_a, dtype=ta) + torch.zeros(shape_b, dtype=tb)
        y = gn.zeros(shape_a, dtype=getattr(gn, a) if a != "bool" else gn.bool) + \
            gn.zeros(shape_b, dtype=getattr(gn, b))
        assert y.dtype.name == str(x.dtype).split(".")[-1], (shape_a, shape_b)


@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool", "complex128"])
def test_python_complex_scalar_promotion(dtype):
    x = torch.ones(2, dtype=getattr(torch, dtype)) * (1 + 2j)
    gd = gn.bool if dtype == "bool" else getattr(gn, dtype)
    y = gn.ones(2, dtype=gd) * (1 + 2j)
    assert y.dtype.name == str(x.dtype).split(".")[-1]
    np.testing.assert_allclose(y.numpy(), x.numpy())


def test_creation():
    assert gn.tensor([1 + 2j, 3]).dtype == gn.complex64 == gn.cfloat
    assert gn.tensor(np.array([1j])).dtype == gn.complex128 == gn.cdouble
    assert gn.tensor([1, 2], dtype=gn.cdouble).dtype == gn.complex128
    assert gn.zeros(2, 3, dtype=gn.cfloat).dtype == gn.complex64
    assert gn.full((2,), 1 + 1j).dtype == gn.complex64
    assert gn.ones(2).to(gn.cfloat).is_complex() and gn.ones(2).cdouble().dtype == gn.complex128
    assert not gn.ones(2).is_complex() and not gn.tensor([1j]).is_floating_point()
    assert gn.is_complex(gn.tensor([1j]))
    assert gn.tensor([1 + 2j]).requires_grad_().requires_grad


def test_randn_complex_has_unit_variance_split_evenly():
    gn.manual_seed(0)
    z = gn.randn(20000, dtype=gn.cfloat)
    assert z.dtype == gn.complex64
    re, im = z.real.numpy(), z.imag.numpy()
    assert abs(re.var() - 0.5) < 0.03 and abs(im.var() - 0.5) < 0.03
    assert abs((np.abs(z.numpy()) ** 2).mean() - 1) < 0.05
    u = gn.rand(1000, dtype=gn.cdouble)
    assert u.dtype == gn.complex128 and 0 <= u.real.min() and u.imag.max() < 1


def test_item_numpy_and_complex():
    t = gn.tensor([1.5 - 2j])
    assert t.item() == 1.5 - 2j and isinstance(t.item(), complex)
    assert complex(t) == 1.5 - 2j
    assert t.numpy().dtype == np.complex64


@pytest.mark.parametrize("data", [[1 + 2j, 3 - 4j, 0.5j], [[1e5 + 2j, 3 - 4j], [1e-3, 2]],
                                  1.5 + 2j, [1 - 0j, -2 + 0j], [[0.25j] * 3] * 2])
def test_printing_matches_pytorch(data):
    assert repr(gn.tensor(data)) == repr(torch.tensor(data)).replace("torch.", "glassnet.")
    assert repr(gn.tensor(data, dtype=gn.cdouble)) == \
        repr(torch.tensor(data, dtype=torch.cdouble)).replace("torch.", "glassnet.")


# ----------------------------------------------------------------------------- views
def test_real_and_imag_are_views():
    z = gn.tensor([1 + 2j, 3 + 4j])
    z.real[0] = 10.0
    z.imag.mul_(2)
    assert z.tolist() == [10 + 4j, 3 + 8j]
    z.real = gn.tensor([0.0, 0.0])
    assert z.tolist() == [4j, 8j]


def test_imag_of_real_tensor_raises():
    with pytest.raises(RuntimeError, match="non-complex"):
        _ = gn.ones(2).imag


def test_view_as_real_and_complex_share_memory():
    a = gn.tensor(np.arange(8.0, dtype=np.float32).reshape(2, 2, 2))
    z = gn.view_as_complex(a)
    assert z.shape == (2, 2) and z.dtype == gn.complex64
    z[0, 0] = 7 + 9j
    assert a[0, 0].tolist() == [7.0, 9.0]
    r = gn.view_as_real(z.T)  # a non-contiguous complex tensor has a real view too
    assert r.shape == (2, 2, 2) and r[1, 0].tolist() == [2.0, 3.0]
    r[1, 0, 1] = -1.0
    assert a[0, 1].tolist() == [2.0, -1.0]


def test_view_as_complex_errors_like_pytorch():
    with pytest.raises(RuntimeError, match="last dimension of size 2"):
        gn.view_as_complex(gn.ones(2, 3))
    with pytest.raises(RuntimeError, match="stride 1"):
        gn.view_as_complex(gn.ones(2, 4)[:, ::2])
    with pytest.raises(RuntimeError, match="complex tensors"):
        gn.view_as_real(gn.ones(2))
    with pytest.raises(RuntimeError, match="same dtype"):
        gn.complex(gn.ones(2), gn.ones(2, dtype=gn.float64))


# ----------------------------------------------------------------------------- eig
@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_eig_matches_pytorch(dtype):
    rng = np.random.default_rng(8)
    a = crandn(rng, (2, 4, 4), dtype)

    def loss(ts, L):  # invariant under each eigenvector's phase, as the gradient needs
        w, v = L.linalg.eig(ts[0])
        return (w * w).sum().abs() + (v.abs() ** 2 * L.arange(4.0, dtype=L.float64)).sum()

    cparity(lambda ts, L: loss(ts, L), [a], 1e-8, 1e-8)
    w = gn.linalg.eigvals(gn.tensor(a))
    np.testing.assert_allclose(w.numpy(), torch.linalg.eigvals(torch.tensor(a)).numpy(),
                               rtol=1e-10)


@pytest.mark.parametrize("dtype", ["float64", "complex128"])
def test_eig_gradcheck(dtype):
    rng = np.random.default_rng(9)
    a = gn.tensor(crandn(rng, (3, 3), dtype), requires_grad=True)
    assert gradcheck(lambda m: gn.linalg.eigvals(m), (a,))
    assert gradcheck(lambda m: gn.linalg.eig(m)[1].abs(), (a,))


# ----------------------------------------------------------------------------- saving
def test_save_load_complex(tmp_path):
    gn.manual_seed(0)
    state = {"c64": gn.randn(2, 3, dtype=gn.cfloat), "c128": gn.randn(3, dtype=gn.cdouble),
             "view": gn.randn(3, 2, dtype=gn.cfloat).T, "real": gn.ones(2)}
    gn.save(state, tmp_path / "s.pt")
    back = gn.load(tmp_path / "s.pt")
    for k, v in state.items():
        assert back[k].dtype == v.dtype and back[k].tolist() == v.tolist(), k


def test_tensor_file_stores_complex_as_float_pairs():
    from glassnet.io import tensor_file as tf

    z = np.array([[1 + 2j, 3 - 1j]], np.complex128)
    data, _ = tf.encode({"z": z, "w": z.astype(np.complex64)})
    arrays, meta, sealed = tf.decode("mem", data)
    assert sealed and meta == {}
    assert arrays["z"].dtype == np.complex128 and (arrays["z"] == z).all()
    assert arrays["w"].dtype == np.complex64
