"""``import glassnet as torch``: the top-level names, dtypes and shapes, printing, building and
statistics functions, glassnet.special and glassnet.testing, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, distinct, gradcheck

import glassnet as gn


def _M(x):
    return torch if isinstance(x, torch.Tensor) else gn


def test_everyday_names_exist():
    names = ["save", "load", "utils", "tril", "triu", "outer", "clone", "detach", "diag", "trace",
             "addmm", "baddbmm", "take_along_dim", "broadcast_to", "repeat_interleave", "tile",
             "meshgrid", "nan_to_num", "bincount", "histc", "cdist", "atan2", "hypot", "fmod",
             "remainder", "le", "lt", "ge", "gt", "eq", "ne", "logical_and", "logical_or",
             "logical_not", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor",
             "bitwise_not", "set_printoptions", "std_mean", "var_mean", "median", "mode",
             "kthvalue", "cummax", "cummin", "diff", "kron", "cross", "block_diag",
             "cartesian_prod", "combinations", "tensordot", "inner", "dstack", "column_stack",
             "searchsorted", "bucketize", "dtype", "Size", "promote_types", "result_type", "finfo",
             "iinfo", "linalg", "testing", "special", "cumprod", "logcumsumexp", "quantile",
             "nanmean", "nansum", "isin", "isclose", "allclose", "erfinv", "lgamma", "digamma",
             "pi", "inf", "nan", "compile", "no_grad", "inference_mode", "FloatTensor",
             "LongTensor", "get_num_threads", "set_num_threads", "use_deterministic_algorithms",
             "conv2d", "dropout", "layer_norm"]
    missing = [n for n in names if not hasattr(gn, n)]
    assert not missing, missing
    tensor_methods = ["item", "tolist", "numpy", "size", "dim", "view_as", "type_as", "new_zeros",
                      "new_ones", "new_full", "new_tensor", "new_empty", "masked_fill_",
                      "scatter_", "scatter_add_", "index_add_", "index_fill_", "index_copy_",
                      "clamp_", "uniform_", "normal_", "fill_", "zero_", "copy_", "add_", "mul_",
                      "float", "double", "long", "int", "bool", "half", "to", "cpu",
                      "is_contiguous", "contiguous", "stride", "storage_offset", "element_size",
                      "nelement", "ndimension", "apply_", "register_hook", "retain_grad",
                      "requires_grad_", "T", "mT", "H", "mH", "unfold", "expand", "expand_as",
                      "repeat", "all", "any", "argsort", "sort", "topk", "kthvalue", "median",
                      "chunk", "split", "unbind", "norm", "lerp", "addcmul", "addcdiv", "sign",
                      "sgn", "nbytes", "itemsize", "is_cpu", "retains_grad", "output_nr",
                      "get_device", "bernoulli_", "exponential_"]
    missing = [n for n in tensor_methods if not hasattr(gn.Tensor, n)]
    assert not missing, missing


def test_size_dtype_and_limits():
    x = gn.zeros(2, 3)
    assert isinstance(x.shape, gn.Size) and isinstance(x.size(), tuple)
    assert x.shape == (2, 3) and x.size() == torch.zeros(2, 3).size()
    assert x.shape.numel() == 6 and isinstance(x.shape[1:], gn.Size) and x.shape[-1] == 3
    assert repr(x.shape) == "glassnet.Size([2, 3])" and x.size(1) == 3
    assert isinstance(x.shape + (4,), gn.Size) and gn.Size([2, 3]) == torch.Size([2, 3])
    assert isinstance(x.dtype, gn.dtype) and x.dtype == gn.float32 and x.dtype is gn.float32
    assert gn.tensor([1, 2]).dtype is gn.int64 and gn.tensor([1.0]).dtype is gn.float32
    assert gn.tensor([True]).dtype is gn.bool
    for d in ("float16", "float32", "float64"):
        g, t = gn.finfo(getattr(gn, d)), torch.finfo(getattr(torch, d))
        assert (g.eps, g.max, g.min, g.tiny, g.bits, g.resolution) == (
            t.eps, t.max, t.min, t.tiny, t.bits, t.resolution)
    assert gn.finfo().eps == torch.finfo().eps
    for d in ("uint8", "int8", "int16", "int32", "int64"):
        g, t = gn.iinfo(getattr(gn, d)), torch.iinfo(getattr(torch, d))
        assert (g.min, g.max, g.bits) == (t.min, t.max, t.bits)
    pairs = [("float32", "int64"), ("int32", "int64"), ("bool", "int8"), ("float16", "float64"),
             ("uint8", "int8"), ("bool", "bool")]
    for a, b in pairs:
        assert str(gn.promote_types(getattr(gn, a), getattr(gn, b))) == \
            str(torch.promote_types(getattr(torch, a), getattr(torch, b))).replace("torch.", "")
    for a, b in [(gn.tensor([1, 2]), 2.5), (gn.tensor([1.0]), gn.tensor(2.0, dtype=gn.float64)),
                 (gn.tensor([1], dtype=gn.int32), 5), (3, 4.0), (True, 2)]:
        ta = torch.tensor(a.numpy()) if isinstance(a, gn.Tensor) else a
        tb = torch.tensor(b.numpy()) if isinstance(b, gn.Tensor) else b
        assert str(gn.result_type(a, b)) == str(torch.result_type(ta, tb)).replace("torch.", "")
    assert gn.can_cast(gn.int64, gn.float32) and not gn.can_cast(gn.float32, gn.int64)


def test_legacy_tensor_types_and_type_names():
    assert gn.FloatTensor([1, 2]).dtype is gn.float32 and gn.LongTensor([1.7]).tolist() == [1]
    assert gn.FloatTensor(2, 3).shape == (2, 3)
    assert isinstance(gn.zeros(2, dtype=gn.int64), gn.LongTensor)
    assert not isinstance(gn.zeros(2), gn.LongTensor)
    x = gn.zeros(2)
    assert x.type() == "glassnet.FloatTensor" and x.type("torch.DoubleTensor").dtype is gn.float64
    assert x.type(gn.int32).dtype is gn.int32 and x.short().dtype is gn.int16
    assert x.byte().dtype is gn.uint8 and x.char().dtype is gn.int8


REPR_CASES = [[1.0, 2.0], [0.12345, 1.0], [1e-5, 1e3], [[1, 2], [3, 4]], [True, False], 3.5, 7,
              [0.1, float("nan"), float("inf")], [-1.5, 2.25], [1e10, 1.0], [123456.7, 1.5], [],
              [[0.0, 0.0]], [1e-9], [-0.0, 5.0], [[[1.5]]], 1e20, [100.0, 2.5]]


@pytest.mark.parametrize("data", REPR_CASES, ids=str)
def test_repr_matches_pytorch(data):
    assert repr(gn.tensor(data)) == repr(torch.tensor(data))


@pytest.mark.parametrize("shape", [(2, 3), (40,), (3, 30), (1001,), (12, 100), (2, 3, 4),
                                   (5, 5, 50)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_repr_random_tensors(shape, dtype, rng):
    a = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4)
    a = a.astype(dtype) if dtype != "bool" else a > 0
    assert repr(gn.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "glassnet.")


def test_repr_suffixes_and_printoptions():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == repr(t)
    assert repr(x * 2).startswith("tensor([2., 4.], grad_fn=<Mul")
    assert repr(gn.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(gn.zeros(0, dtype=gn.int64)) == "tensor([], dtype=glassnet.int64)"
    a = np.linspace(0, 1, 7, dtype=np.float32)
    try:
        for kw in ({"precision": 2}, {"threshold": 5, "edgeitems": 2}, {"sci_mode": True},
                   {"linewidth": 30}, {"profile": "short"}):
            gn.set_printoptions(**kw)
            torch.set_printoptions(**kw)
            assert repr(gn.tensor(a)) == repr(torch.tensor(a)), kw
    finally:
        gn.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


# ----------------------------------------------------------------------------- building
BUILD = {
    "meshgrid_ij": lambda a, b: _M(a).meshgrid(a, b, indexing="ij"),
    "meshgrid_xy": lambda a, b: _M(a).meshgrid(a, b, indexing="xy"),
    "cartesian_prod": lambda a, b: _M(a).cartesian_prod(a, b),
    "combinations": lambda a, b: _M(a).combinations(a, 2),
    "combinations_rep": lambda a, b: _M(a).combinations(b, 3, with_replacement=True),
    "block_diag": lambda a, b: _M(a).block_diag(a.reshape(1, 3), b.reshape(2, 1), a[0]),
    "column_stack": lambda a, b: _M(a).column_stack([a, a * 2]),
    "dstack": lambda a, b: _M(a).dstack([a, a + 1]),
    "row_stack": lambda a, b: _M(a).row_stack([a, a]),
    "hstack": lambda a, b: _M(a).hstack([a, b]),
    "atleast_3d": lambda a, b: _M(a).atleast_3d(a),
    "atleast_2d": lambda a, b: _M(a).atleast_2d(a, b),
    "broadcast_tensors": lambda a, b: _M(a).broadcast_tensors(a.reshape(3, 1), b),
    "broadcast_to": lambda a, b: _M(a).broadcast_to(a, (2, 3)),
    "cdist": lambda a, b: _M(a).cdist(a.reshape(3, 1) * b, b.reshape(1, 2) + a.reshape(3, 1)),
    "cdist_p1": lambda a, b: _M(a).cdist(a.reshape(1, 3), b.reshape(2, 1) * a, p=1),
    "pdist": lambda a, b: _M(a).pdist(a.reshape(3, 1) * b),
    "cov": lambda a, b: _M(a).cov(_M(a).stack([a, a * a, a + 1])),
    "cov_w": lambda a, b: _M(a).cov(_M(a).stack([a, a * a]), correction=0,
                                    aweights=_M(a).tensor([1.0, 2.0, 0.5], dtype=a.dtype)),
    "corrcoef": lambda a, b: _M(a).corrcoef(_M(a).stack([a, a * a * a])),
    "trapezoid": lambda a, b: _M(a).trapezoid(a),
    "trapezoid_x": lambda a, b: _M(a).trapezoid(a * a, _M(a).tensor([0.0, 0.5, 2.0], dtype=a.dtype)),
    "cumulative_trapezoid": lambda a, b: _M(a).cumulative_trapezoid(a, dx=0.5),
    "std_mean": lambda a, b: _M(a).std_mean(a),
    "var_mean": lambda a, b: _M(a).var_mean(a, unbiased=False),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(BUILD))
def test_build_parity(name, dtype, rng):
    a, b = distinct(rng, (3,)) * 0.4, distinct(rng, (2,)) * 0.3 + 0.1
    check_parity(BUILD[name], BUILD[name], [a, b], dtype=dtype)


@pytest.mark.parametrize("name", list(BUILD))
def test_build_gradcheck(name, rng):
    gradcheck(BUILD[name], [distinct(rng, (3,)) * 0.4, distinct(rng, (2,)) * 0.3 + 0.1])


def test_vander():
    # (PyTorch's own vander cannot be backpropagated through: forward values only)
    for x, kw in (([1.0, 2.0, -3.0], {"N": 4}), ([0.5, 2.0], {"increasing": True}),
                  ([1, 2, 3], {})):
        g, t = gn.vander(gn.tensor(x), **kw), torch.vander(torch.tensor(x), **kw)
        np.testing.assert_allclose(g.numpy(), t.numpy())
        assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    gradcheck(lambda v: gn.vander(v, N=3), [np.array([0.5, -1.5])])


def test_searching_and_counting():
    seq = [1.0, 3.0, 3.0, 5.0, 7.0]
    vals = [[0.0, 3.0, 6.0], [7.0, 8.0, 3.5]]
    for right in (False, True):
        np.testing.assert_array_equal(
            gn.searchsorted(gn.tensor(seq), gn.tensor(vals), right=right).numpy(),
            torch.searchsorted(torch.tensor(seq), torch.tensor(vals), right=right).numpy())
        np.testing.assert_array_equal(
            gn.bucketize(gn.tensor(vals), gn.tensor(seq), right=right).numpy(),
            torch.bucketize(torch.tensor(vals), torch.tensor(seq), right=right).numpy())
    rows = [[1.0, 2.0, 3.0], [0.0, 5.0, 9.0]]
    g = gn.searchsorted(gn.tensor(rows), gn.tensor([[2.5], [9.0]]), side="right", out_int32=True)
    t = torch.searchsorted(torch.tensor(rows), torch.tensor([[2.5], [9.0]]), side="right",
                           out_int32=True)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert g.dtype is gn.int32
    h, e = gn.histogram(gn.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)
    th, te = torch.histogram(torch.tensor([1.0, 2.0, 1.0, 4.0]), bins=3)
    np.testing.assert_allclose(h.numpy(), th.numpy())
    np.testing.assert_allclose(e.numpy(), te.numpy())
    np.testing.assert_array_equal(gn.isin(gn.tensor([1, 2, 3, 4]), gn.tensor([2, 4])).numpy(),
                                  torch.isin(torch.tensor([1, 2, 3, 4]), torch.tensor([2, 4])).numpy())
    assert gn.broadcast_shapes((3, 1), (1, 4), (4,)) == torch.broadcast_shapes((3, 1), (1, 4), (4,))
    coords = gn.unravel_index(gn.tensor([5, 7]), (2, 4))
    tcoords = torch.unravel_index(torch.tensor([5, 7]), (2, 4))
    assert [c.tolist() for c in coords] == [c.tolist() for c in tcoords]


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window"])
@pytest.mark.parametrize("n,periodic", [(1, True), (5, True), (6, False), (0, True)])
def test_windows(name, n, periodic):
    g = getattr(gn, name)(n, periodic=periodic)
    t = getattr(torch, name)(n, periodic=periodic)
    np.testing.assert_allclose(g.numpy(), t.numpy(), atol=1e-6)


def test_misc_top_level():
    x = gn.tensor([[1.0, 2.0]], requires_grad=True)
    assert gn.clone(x).requires_grad and not gn.detach(x).requires_grad
    assert gn.is_nonzero(gn.tensor([3])) and not gn.is_complex(x)
    assert gn.compile(lambda v: v + 1)(1) == 2
    assert gn.get_num_threads() >= 1
    assert gn.scalar_tensor(3).dtype is gn.float32 and gn.asarray(np.ones(2)).dtype is gn.float64
    arr = np.ones(3, np.float32)
    assert gn.asarray(arr)._data is arr
    assert gn.allclose(gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.0 + 1e-9]))
    assert gn.equal(gn.tensor([1, 2]), gn.tensor([1, 2]))
    assert gn.rsub(gn.tensor([1.0]), 5).tolist() == [4.0]
    y = gn.tensor([1.0, 2.0, 3.0])
    assert y.stride() == (1,) and y[::2].stride() == (2,) and y[1:].storage_offset() == 1
    assert gn.tensor([[1, 2], [3, 4]]).t().stride() == (1, 2)


# ----------------------------------------------------------------------------- special
SPECIAL = {
    "erf": (lambda x: _M(x).special.erf(x), (-2, 2)),
    "erfc": (lambda x: _M(x).special.erfc(x), (-2, 2)),
    "erfinv": (lambda x: _M(x).special.erfinv(x), (-0.9, 0.9)),
    "expit": (lambda x: _M(x).special.expit(x), (-3, 3)),
    "logit": (lambda x: _M(x).special.logit(x), (0.1, 0.9)),
    "gammaln": (lambda x: _M(x).special.gammaln(x), (0.2, 6)),
    "digamma": (lambda x: _M(x).special.digamma(x), (0.2, 6)),
    "psi": (lambda x: _M(x).special.psi(x), (0.2, 6)),
    "multigammaln": (lambda x: _M(x).special.multigammaln(x, 3), (1.5, 6)),
    "xlog1py": (lambda x: _M(x).special.xlog1py(x, x * x), (-0.9, 2)),
    "entr": (lambda x: _M(x).special.entr(x), (0.05, 3)),
    "ndtr": (lambda x: _M(x).special.ndtr(x), (-3, 3)),
    "ndtri": (lambda x: _M(x).special.ndtri(x), (0.05, 0.95)),
    "log_ndtr": (lambda x: _M(x).special.log_ndtr(x), (-5, 3)),
    "i0": (lambda x: _M(x).special.i0(x), (-8, 8)),
    "i0e": (lambda x: _M(x).special.i0e(x), (-8, 8)),
    "i1": (lambda x: _M(x).special.i1(x), (-8, 8)),
    "i1e": (lambda x: _M(x).special.i1e(x), (-8, 8)),
    "sinc": (lambda x: _M(x).special.sinc(x), (-2, 2)),
    "exp2": (lambda x: _M(x).special.exp2(x), (-2, 2)),
    "log_softmax": (lambda x: _M(x).special.log_softmax(x, 0), (-2, 2)),
    "logsumexp": (lambda x: _M(x).special.logsumexp(x, 0), (-2, 2)),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_parity(name, dtype, rng):
    fn, (lo, hi) = SPECIAL[name]
    tol = {"rtol": 2e-4, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-6, "atol": 1e-7}
    check_parity(fn, fn, [rng.uniform(lo, hi, (7,))], dtype=dtype, **tol)


@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_gradcheck(name, rng):
    fn, (lo, hi) = SPECIAL[name]
    gradcheck(fn, [rng.uniform(lo, hi, (7,))])


def test_special_without_scipy(monkeypatch):
    """The NumPy fallbacks of lgamma, digamma, trigamma and erfinv agree with SciPy's."""
    from glassnet.ops import unary as U

    x = np.linspace(-3.7, 9.0, 41)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    p = np.linspace(-0.99, 0.99, 23)
    with_scipy = (U.lgamma(np, np.abs(x)), U.digamma(np, x), U.polygamma1(np, np.abs(x) + 0.1),
                  U.erfinv(np, p))
    monkeypatch.setattr(U, "_scipy_special", lambda xp: None)
    without = (U.lgamma(np, np.abs(x)), U.digamma(np, x), U.polygamma1(np, np.abs(x) + 0.1),
               U.erfinv(np, p))
    for a, b in zip(with_scipy, without):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)


# ----------------------------------------------------------------------------- testing
def test_assert_close_defaults_and_messages():
    gn.testing.assert_close(gn.tensor([1.0, 2.0]), gn.tensor([1.0, 2.0 + 1e-6]))
    gn.testing.assert_close(1.0, 1.0 + 1e-8)
    gn.testing.assert_close({"a": [gn.tensor([1]), (2, "x")]}, {"a": [gn.tensor([1]), (2, "x")]})
    gn.testing.assert_close(gn.tensor([float("nan")]), gn.tensor([float("nan")]), equal_nan=True)
    a, b = [1.0, 2.0, 3.0], [1.0, 2.5, 3.0]
    with pytest.raises(AssertionError) as g:
        gn.testing.assert_close(gn.tensor(a), gn.tensor(b))
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(torch.tensor(a), torch.tensor(b))
    assert str(g.value) == str(t.value)
    with pytest.raises(AssertionError) as g:
        gn.testing.assert_close(1.0, 1.5)
    with pytest.raises(AssertionError) as t:
        torch.testing.assert_close(1.0, 1.5)
    assert str(g.value) == str(t.value)
    with pytest.raises(AssertionError, match="dtype"):
        gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.0], dtype=gn.float64))
    with pytest.raises(AssertionError, match="shape"):
        gn.testing.assert_close(gn.zeros(2), gn.zeros(3))
    gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.1]), rtol=0.2, atol=0)
    with pytest.raises(AssertionError):
        gn.testing.assert_close(gn.tensor([1, 2]), gn.tensor([1, 3]))
    with pytest.raises(ValueError):
        gn.testing.assert_close(gn.tensor([1.0]), gn.tensor([1.0]), rtol=1e-3)
    m = gn.testing.make_tensor(2, 3, dtype=gn.float32, low=0, high=1)
    assert m.shape == (2, 3) and 0 <= m.min().item() and m.max().item() < 1


def test_more_builders_and_switches():
    y = [1.0, 4.0, 9.0, 16.0, 25.0]
    for kw in ({}, {"spacing": 2.0}):
        (g,), (t,) = gn.gradient(gn.tensor(y), **kw), torch.gradient(torch.tensor(y), **kw)
        np.testing.assert_allclose(g.numpy(), t.numpy())
    m = np.arange(12.0).reshape(3, 4) ** 2
    for g, t in zip(gn.gradient(gn.tensor(m), dim=[0, 1]), torch.gradient(torch.tensor(m), dim=[0, 1])):
        np.testing.assert_allclose(g.numpy(), t.numpy())
    gradcheck(lambda v: gn.gradient(v)[0], [np.array([1.0, 3.0, 2.0, 5.0])])
    for n, periodic in ((6, True), (5, False), (1, True)):
        np.testing.assert_allclose(gn.kaiser_window(n, periodic, beta=5.0).numpy(),
                                   torch.kaiser_window(n, periodic, beta=5.0).numpy(), atol=1e-6)
    x = gn.randn(4, 3, requires_grad=True)
    out = gn.vmap(lambda r: (r * r).sum())(x)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
    with gn.random.fork_rng():
        a = gn.rand(2)
    assert gn.rand(2).tolist() == a.tolist()
    assert gn.poisson(gn.full((100,), 3.0)).mean().item() > 1
    assert 0 <= gn.binomial(gn.full((5,), 10.0), gn.full((5,), 0.5)).max().item() <= 10
    scaler = gn.amp.GradScaler(enabled=True)
    with gn.autocast(device_type="cpu", dtype=gn.float16):
        loss = (x * 2).sum()
    scaler.scale(loss).backward()
    opt = gn.optim.SGD([x], lr=0.1)
    scaler.step(opt)
    scaler.update()
    gn.set_default_tensor_type("torch.DoubleTensor")
    try:
        assert gn.zeros(1).dtype is gn.float64
    finally:
        gn.set_default_tensor_type(gn.FloatTensor)
    assert gn.zeros(1).dtype is gn.float32
    assert gn.empty_strided((2, 3), (3, 1)).shape == (2, 3)
    assert "linalg" in dir(gn) and "conv2d" in dir(gn)


# ----------------------------------------------------------------------------- idioms from scripts
@pytest.mark.parametrize("data", [
    [np.float64(1.0), 2], [np.float32(1), 2.5], [np.float16(1), 2.5], [np.float16(1), 2],
    [np.int32(1), 2], [np.int32(1)], [np.uint8(1), np.int8(2)], [[np.float64(1)], [2.0]],
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])], [np.array([1, 2], dtype=np.int32)],
    (np.float64(1),), [True, np.float16(1)], [1, 2.5], [[1, 2], [3, 4]]], ids=str)
def test_tensor_infers_dtype_from_numpy_elements(data):
    # PyTorch promotes the element dtypes: a NumPy float64 scalar in a list gives float64
    t, g = torch.tensor(data), gn.tensor(data)
    assert g.dtype.itemsize == t.element_size() and g.is_floating_point() == t.is_floating_point()
    assert g.tolist() == t.tolist()


def test_tensor_infers_dtype_from_tensor_elements():
    for parts in [[torch.tensor(1.0, dtype=torch.float64), 2.0],
                  [torch.tensor(1, dtype=torch.int32), 2], [torch.tensor(1, dtype=torch.int32)],
                  [torch.tensor([1.0]).half(), torch.tensor([2.0])],
                  [torch.tensor(1, dtype=torch.int8), torch.tensor(1, dtype=torch.uint8)]]:
        t = torch.tensor(parts)
        g = gn.tensor([gn.tensor(p.numpy()) if isinstance(p, torch.Tensor) else p for p in parts])
        assert g.dtype.itemsize == t.element_size() and g.tolist() == t.tolist()


def test_legacy_tensor_constructor():
    assert gn.Tensor([1, 2]).dtype == gn.float32 and gn.Tensor([1, 2]).tolist() == [1.0, 2.0]
    assert gn.Tensor(2, 3).shape == torch.Tensor(2, 3).shape and gn.Tensor(2, 3).dtype == gn.float32
    assert gn.Tensor().shape == (0,) and gn.Tensor(gn.Size([4, 1])).shape == (4, 1)
    assert gn.Tensor([[True]]).tolist() == torch.Tensor([[True]]).tolist()
    a = np.arange(3)
    assert gn.Tensor(a).dtype == np.int64  # arrays are wrapped as they are
    p = gn.nn.Parameter(gn.ones(2))
    assert p.requires_grad and p.dtype == gn.float32


def test_format_numeric_idioms():
    for v in [3, 2.5, True]:
        assert f"{gn.tensor(v)}" == f"{torch.tensor(v)}"
    loss = gn.tensor(0.25, requires_grad=True) * 2
    assert f"loss {loss}" == f"loss {torch.tensor(0.25, requires_grad=True) * 2}" == "loss 0.5"
    assert f"{gn.tensor(2.5):>8.2f}" == f"{torch.tensor(2.5):>8.2f}"
    assert f"{gn.tensor([1, 2])}" == "tensor([1, 2])"
    assert f"{gn.nn.Parameter(gn.tensor(2.0))}".startswith("Parameter containing:")


def test_compare_with_non_tensors_and_bool_negation():
    for other in ([1, 2], (1, 2), None, "ab"):
        assert (gn.tensor([1, 2]) == other) is (torch.tensor([1, 2]) == other)
        assert (gn.tensor([1, 2]) != other) is (torch.tensor([1, 2]) != other)
    with pytest.raises(RuntimeError, match="Negation"):
        -gn.tensor([True])


def test_numpy_argument_names():
    a = np.arange(12.0).reshape(3, 4)
    g, t = gn.tensor(a), torch.tensor(a)
    for fn in [lambda m, x: x.sum(axis=0), lambda m, x: x.mean(axis=1, keepdims=True),
               lambda m, x: m.sum(x, axis=1), lambda m, x: m.amax(x, axis=0, keepdims=True),
               lambda m, x: x.max(axis=1).values, lambda m, x: x.argmax(axis=0),
               lambda m, x: m.cat([x, x], axis=1), lambda m, x: m.stack([x, x], axis=2),
               lambda m, x: x.softmax(axis=1), lambda m, x: x.cumsum(axis=1),
               lambda m, x: x.std(axis=0), lambda m, x: x.unsqueeze(axis=0)]:
        np.testing.assert_allclose(fn(gn, g).numpy(), fn(torch, t).numpy())
    with pytest.raises(TypeError, match="alias"):
        g.sum(dim=0, axis=1)
