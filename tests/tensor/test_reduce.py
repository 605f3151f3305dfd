"""Tensor reductions and scans composed in glassnet/tensor/reduce.py against PyTorch:
cumprod, cummax/cummin, logcumsumexp, order statistics (median, kthvalue, mode, quantile),
NaN-aware and paired reductions, diff, histc, bincount, sort and argsort, all/any, max with a
tensor argument and the named results, with finite-difference checks of the differentiable
ones."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, distinct, gradcheck

import glassnet as gn

# PyTorch warns when var/std has no degrees of freedom; glassnet returns the same NaN quietly.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")


# name -> function for either library; inputs are distinct values (no ties) of shape (3, 5)
OPS = {
    "cumprod0": lambda x: x.cumprod(0),
    "cumprod1": lambda x: x.cumprod(-1),
    "cummax": lambda x: x.cummax(1),
    "cummin": lambda x: x.cummin(0),
    "logcumsumexp": lambda x: x.logcumsumexp(1),
    "median": lambda x: x.median(),
    "median_dim": lambda x: x.median(1),
    "median_keep": lambda x: x.median(0, keepdim=True),
    "nanmedian_dim": lambda x: x.nanmedian(1),
    "kthvalue": lambda x: x.kthvalue(2, 1),
    "kthvalue_keep": lambda x: x.kthvalue(3, 0, keepdim=True),
    "quantile": lambda x: x.quantile(0.3),
    "quantile_dim": lambda x: x.quantile(0.75, dim=1),
    "quantile_vec": lambda x: x.quantile(torch.tensor([0.2, 0.9], dtype=x.dtype)
                                         if isinstance(x, torch.Tensor) else
                                         gn.tensor([0.2, 0.9], dtype=x.dtype), dim=0,
                                         keepdim=True),
    "nanquantile": lambda x: x.nanquantile(0.5, dim=1),
    "nansum": lambda x: x.nansum(1),
    "nanmean": lambda x: x.nanmean(),
    "aminmax": lambda x: x.aminmax(dim=1),
    "diff": lambda x: x.diff(),
    "diff2": lambda x: x.diff(n=2, dim=0),
    "norm_p3": lambda x: x.norm(p=3, dim=1),
    "norm_fro": lambda x: x.norm(),
    "norm_inf": lambda x: x.norm(p=float("inf"), dim=0),
    "std_mean": lambda x: (torch if isinstance(x, torch.Tensor) else gn).std_mean(x, dim=1),
    "var_mean": lambda x: (torch if isinstance(x, torch.Tensor) else gn).var_mean(
        x, 0, correction=0, keepdim=True),
    "msort": lambda x: x.msort(),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(OPS))
def test_parity(name, dtype, rng):
    x = distinct(rng, (3, 5)) * 0.3
    check_parity(OPS[name], OPS[name], [x], dtype=dtype)


@pytest.mark.parametrize("name", [n for n in OPS if n != "msort"])
def test_gradcheck(name, rng):
    gradcheck(OPS[name], [distinct(rng, (3, 5)) * 0.3])


@pytest.mark.parametrize("fn", [lambda t: t.cummax(0), lambda t: t.cummin(0),
                                lambda t: t.median(0), lambda t: t.median()],
                         ids=["cummax", "cummin", "median_dim", "median"])
def test_nan_and_ties_follow_torch(fn):
    x = [1.0, 1.0, 0.0, float("nan"), 2.0, float("nan"), -1.0]
    g, t = fn(gn.tensor(x)), fn(torch.tensor(x))
    g, t = (g if isinstance(g, tuple) else (g,)), (t if isinstance(t, tuple) else (t,))
    for a, b in zip(g, t):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_mode_smallest_most_frequent_last_index():
    x = [[1.0, 3.0, 3.0, 1.0, 2.0], [2.0, 2.0, 5.0, 5.0, 0.0], [4.0, 4.0, 4.0, 1.0, 1.0]]
    for dim, keep in ((1, False), (0, True)):
        g, t = gn.tensor(x).mode(dim, keep), torch.tensor(x).mode(dim, keep)
        np.testing.assert_array_equal(g.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())


@pytest.mark.parametrize("interp", ["linear", "lower", "higher", "midpoint", "nearest"])
def test_quantile_interpolations(interp, rng):
    x = distinct(rng, (4, 7))
    q = [0.0, 0.1, 0.5, 0.55, 1.0]
    g = gn.tensor(x).quantile(gn.tensor(q, dtype=gn.float64), dim=1, interpolation=interp)
    t = torch.tensor(x).quantile(torch.tensor(q, dtype=torch.float64), dim=1, interpolation=interp)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-12)


def test_nan_aware_reductions():
    x = [[1.0, float("nan"), 3.0], [float("nan"), float("nan"), 2.0]]
    for f in (lambda m, t: m.nansum(t), lambda m, t: m.nanmean(t, 1), lambda m, t: m.nanmedian(t),
              lambda m, t: m.nanquantile(t, 0.4, dim=1), lambda m, t: m.quantile(t, 0.4, dim=1)):
        g, t = f(gn, gn.tensor(x)), f(torch, torch.tensor(x))
        np.testing.assert_allclose(g.numpy(), t.numpy(), equal_nan=True)


def test_integer_reductions_and_counts():
    xi = [[3, 1, 2], [0, 5, 2]]
    for f in (lambda m, t: m.prod(t, 1), lambda m, t: m.cumprod(t, 1), lambda m, t: m.cumsum(t, 0),
              lambda m, t: t.sum(), lambda m, t: m.diff(t, dim=1),
              lambda m, t: m.bincount(t.reshape(-1)),
              lambda m, t: m.bincount(t.reshape(-1), minlength=9),
              lambda m, t: m.histc(t.float(), bins=4),
              lambda m, t: m.histc(t.float(), bins=3, min=1, max=4),
              lambda m, t: m.count_nonzero(t, dim=1), lambda m, t: m.median(t, 1).values,
              lambda m, t: m.aminmax(t).max):
        g, t = f(gn, gn.tensor(xi)), f(torch, torch.tensor(xi))
        assert str(g.dtype) == str(t.dtype).replace("torch.", "")
        np.testing.assert_array_equal(g.numpy(), t.numpy())
    w = [0.5, 1.5, 2.0]
    g = gn.bincount(gn.tensor([0, 2, 2]), weights=gn.tensor(w))
    t = torch.bincount(torch.tensor([0, 2, 2]), weights=torch.tensor(w))
    np.testing.assert_allclose(g.numpy(), t.numpy())
    assert str(g.dtype) == str(t.dtype).replace("torch.", "")


def test_diff_prepend_append_and_bool():
    x = [1.0, 4.0, 9.0]
    g = gn.tensor(x).diff(prepend=gn.tensor([0.0]), append=gn.tensor([20.0, 21.0]))
    t = torch.tensor(x).diff(prepend=torch.tensor([0.0]), append=torch.tensor([20.0, 21.0]))
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    b = [True, True, False]
    np.testing.assert_array_equal(gn.tensor(b).diff().numpy(), torch.tensor(b).diff().numpy())


def test_sort_descending_puts_nan_first():
    x = [1.0, float("nan"), 2.0, -1.0]
    for f in (lambda t: t.sort(descending=True), lambda t: t.topk(2), lambda t: t.sort()):
        g, t = f(gn.tensor(x)), f(torch.tensor(x))
        np.testing.assert_array_equal(g.values.numpy(), t.values.numpy())
        np.testing.assert_array_equal(g.indices.numpy(), t.indices.numpy())


def test_named_results():
    x = gn.tensor([[1.0, 5.0], [3.0, 2.0]])
    r = x.max(1)
    assert r.values.tolist() == [5.0, 3.0] and r.indices.tolist() == [1, 0]
    _, i = x.sort(1)
    assert i.tolist() == [[0, 1], [1, 0]]
    assert type(r).__name__ == "max" and "values=" in repr(r)
    assert x.aminmax().min.item() == 1.0 and x.aminmax().max.item() == 5.0
    assert x.kthvalue(1, 1)._fields == ("values", "indices")


def test_max_with_tensor_argument_is_maximum(rng):
    a, b = distinct(rng, (3, 4)), distinct(rng, (4,)) + 0.1
    check_parity(lambda x, y: x.max(y), lambda x, y: x.max(y), [a, b])
    check_parity(lambda x, y: x.min(y), lambda x, y: x.min(y), [a, b])


def test_max_returns_named_tuple(rng):
    x = gn.tensor(distinct(rng, (3, 4)))
    r = x.max(1)
    v, i = r
    assert r.values is v and r.indices is i
    assert i.dtype == gn.int64
    r = x.topk(2)
    assert r.values.shape == (3, 2) and r.indices.dtype == gn.int64


def test_mean_of_integer_tensor_is_an_error():
    with pytest.raises(RuntimeError, match="mean"):
        gn.tensor([1, 2, 3]).mean()


@pytest.mark.parametrize("descending", [False, True])
def test_sort_and_argsort(descending, rng):
    x = distinct(rng, (3, 5))
    f = lambda t: t.sort(1, descending=descending)
    check_parity(f, f, [x])
    f = lambda t: t.sort(0, descending)
    check_parity(f, f, [x])
    f = lambda t: t.argsort(-1, descending=descending)
    check_parity(f, f, [x])
    ties = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 1.0])
    f = lambda t: t.sort(descending=descending, stable=True)
    check_parity(f, f, [ties])


def test_all_any_count_nonzero(rng):
    x = rng.integers(0, 2, (3, 4)).astype(np.float32)
    for f in (lambda t: t.all(), lambda t: t.any(), lambda t: t.all(1), lambda t: t.any(0),
              lambda t: t.any(1, keepdim=True), lambda t: t.count_nonzero(),
              lambda t: t.count_nonzero(1)):
        check_parity(f, f, [x], grad_inputs=[])


# ----------------------------------------------------------------------------- quantile's q
@pytest.mark.parametrize("name", ["quantile", "nanquantile"])
@pytest.mark.parametrize("kw", [{}, {"dim": 1}, {"dim": 0, "keepdim": True}])
def test_quantile_gradient_with_respect_to_q(name, kw):
    """A tensor q is differentiable with linear interpolation: d/dq = (hi - lo) (n - 1)."""
    rng = np.random.default_rng(0)
    x = distinct(rng, (3, 5))
    if name == "nanquantile":
        x[0, 1] = np.nan
    q = np.array([0.1, 0.45, 0.8])

    def f(t, qq):
        return getattr(t, name)(qq, **kw)

    check_parity(f, f, [x, q], dtype=np.float64)
    check_parity(f, f, [x, q])
    if name == "quantile":
        gradcheck(f, [x, q])
    for interp in ("lower", "higher", "nearest", "midpoint"):  # rounded ranks: zero gradient
        def g(t, qq, interp=interp):
            return getattr(t, name)(qq, interpolation=interp, **kw)

        check_parity(g, g, [x, q], dtype=np.float64)


def test_quantile_of_a_0d_tensor_keeps_no_dims():
    x = np.array(1.5)
    check_parity(lambda t: t.quantile(0.5, dim=0, keepdim=True),
                 lambda t: t.quantile(0.5, dim=0, keepdim=True), [x])
    check_parity(lambda t, q: t.quantile(q, dim=0, keepdim=True),
                 lambda t, q: t.quantile(q, dim=0, keepdim=True), [x, np.array([0.2, 0.7])])


def test_diff_edge_cases():
    x = np.random.default_rng(1).standard_normal((3, 4))
    pre = np.ones((1, 4))
    for f in (lambda t, p: t.diff(0, 0, p), lambda t, p: t.diff(5, 0, p),
              lambda t, p: t.diff(1, 0, p, p), lambda t, p: t.diff(2, -1)):
        check_parity(f, f, [x, pre])


@pytest.mark.parametrize("kw", [{}, {"dim": 0, "keepdim": True}, {"dim": (1, 3)}, {"dim": -1}])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int8", "int64", "uint8", "bool"])
def test_hash_tensor_xors_the_bit_patterns_as_pytorch(kw, dtype):
    rng = np.random.default_rng(0)
    a = (rng.normal(size=(3, 2, 1, 2)) * 50).astype(dtype)
    ours = gn.hash_tensor(gn.tensor(a), **kw)
    theirs = torch.hash_tensor(torch.tensor(a), **kw)
    assert ours.dtype == np.uint64 and ours.tolist() == theirs.tolist()
    assert gn.tensor(a).hash_tensor(**kw).tolist() == theirs.tolist()
