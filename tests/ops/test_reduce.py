"""Reductions (glassnet/ops/reduce.py) against PyTorch and finite differences: sum, mean,
var, std, max, min, amax, amin, prod, logsumexp, argmax/argmin, topk and cumsum, over dims,
negative dims and keepdim, with ties, zeros, infinities and empty tensors, integer inputs, and
the errors that name the op."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, distinct, gradcheck, noncontig, randn

import glassnet as gn

# PyTorch warns when var/std has no degrees of freedom; glassnet returns the same NaN quietly.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")


# (shape, dim) pairs: full reductions, single dims, negative dims, tuples; size-1 and empty dims.
CASES = [
    ((), None), ((), 0), ((), -1), ((5,), None), ((5,), 0), ((5,), -1), ((3, 4), None),
    ((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((3, 4), (0, 1)), ((2, 3, 4), 1), ((2, 3, 4), (0, 2)),
    ((2, 3, 4), (-1, 0)), ((1, 4), 0), ((4, 1), 1), ((0, 3), 1), ((0, 3), 0), ((0, 3), None),
    ("nc", 0), ("nc", 1),
]
NONEMPTY = [c for c in CASES if c[0] == "nc" or 0 not in c[0]]
SINGLE_DIM = [c for c in NONEMPTY if isinstance(c[1], int)]


def _x(rng, shape, gen=randn):
    if shape == "nc":
        return noncontig(gen(rng, (3, 4)))
    return gen(rng, shape)


def _red(name, dim, keepdim, **kw):
    def f(t):
        m = getattr(t, name)
        if dim is None and not keepdim:
            return m(**kw)
        return m(dim, keepdim=keepdim, **kw)
    return f


def _full(name):
    """A full reduction by method name: t.sum(), t.amax(), ..."""
    return lambda t: getattr(t, name)()


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("case", CASES, ids=str)
@pytest.mark.parametrize("name", ["sum", "mean", "logsumexp", "prod", "var", "std"])
def test_reduction_parity(name, case, keepdim, dtype, rng):
    shape, dim = case
    if name == "logsumexp" and dim is None:
        dim = tuple(range(len(shape))) if shape != "nc" else (0, 1)
    if name == "prod" and (isinstance(dim, tuple) or (dim is None and keepdim)):
        pytest.skip("torch.prod takes a single int dim")
    if name in ("var", "std") and shape != "nc" and 0 in shape:
        pytest.skip("var of an empty tensor: covered by test_var_edge_cases")
    gen = distinct if name in ("var", "std") else randn
    x = _x(rng, shape, gen)
    if name == "prod":
        x = np.asarray(np.sign(x) * (0.6 + 0.8 * np.abs(x) / (1 + np.abs(x))))
    f = _red(name, dim, keepdim)
    check_parity(f, f, [x], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("case", NONEMPTY, ids=str)
@pytest.mark.parametrize("name", ["amax", "amin"])
def test_amax_amin_parity(name, case, keepdim, dtype, rng):
    shape, dim = case
    x = _x(rng, shape, distinct)
    f = _red(name, dim, keepdim)
    if dim is None:
        f = _full(name)
    check_parity(f, f, [x], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("case", SINGLE_DIM, ids=str)
@pytest.mark.parametrize("name", ["max", "min"])
def test_max_min_dim_parity(name, case, keepdim, dtype, rng):
    shape, dim = case
    x = _x(rng, shape, distinct)
    f = _red(name, dim, keepdim)
    check_parity(f, f, [x], dtype=dtype)


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("case", [c for c in NONEMPTY if not isinstance(c[1], tuple)], ids=str)
@pytest.mark.parametrize("name", ["argmax", "argmin"])
def test_argmax_argmin(name, case, keepdim, rng):
    shape, dim = case
    x = _x(rng, shape, distinct)
    f = _red(name, dim, keepdim)
    check_parity(f, f, [x])


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "prod", "logsumexp", "amax",
                                  "amin", "max", "min"])
def test_reduction_gradcheck(name, rng):
    x = distinct(rng, (3, 4)) * 0.3
    for dim, keepdim in [(1, False), (0, True), (-1, True)]:
        f = _red(name, dim, keepdim)
        gradcheck(f, [x])
    if name not in ("max", "min"):
        gradcheck(_full(name), [x])


# ----------------------------------------------------------------------------- ties
def test_full_max_min_split_gradient_evenly_among_ties():
    x = np.array([[1.0, 3.0, 3.0], [2.0, 3.0, -1.0]])
    for f in (lambda t: t.max(), lambda t: t.min(), lambda t: t.amax(), lambda t: t.amin(),
              lambda t: t.amax(1), lambda t: t.amax(0, keepdim=True)):
        check_parity(f, f, [x])


def test_max_dim_gradient_goes_to_the_first_max():
    x = np.array([[1.0, 3.0, 3.0, 2.0, 3.0], [5.0, 5.0, 0.0, 0.0, 5.0]])
    for f in (lambda t: t.max(1), lambda t: t.min(1), lambda t: t.max(0), lambda t: t.max(-1, True),
              lambda t: t.argmax(1), lambda t: t.argmin(1), lambda t: t.argmax(),
              lambda t: t.argmin()):
        check_parity(f, f, [x], upstream=None)


# ----------------------------------------------------------------------------- var / std
@pytest.mark.parametrize("kw", [{}, {"unbiased": False}, {"unbiased": True}, {"correction": 0},
                                {"correction": 2}])
@pytest.mark.parametrize("name", ["var", "std"])
def test_var_std_correction(name, kw, rng):
    x = distinct(rng, (4, 5))
    check_parity(lambda t: getattr(t, name)(**kw), lambda t: getattr(t, name)(**kw), [x])
    check_parity(lambda t: getattr(t, name)(1, keepdim=True, **kw),
                 lambda t: getattr(t, name)(1, keepdim=True, **kw), [x], dtype=np.float64)
    check_parity(lambda t: getattr(t, name)(dim=0, **kw), lambda t: getattr(t, name)(dim=0, **kw),
                 [x])


def test_var_positional_unbiased(rng):
    x = distinct(rng, (4, 5))
    check_parity(lambda t: t.var(1, False), lambda t: t.var(1, False), [x])
    check_parity(lambda t: t.std(0, True, True), lambda t: t.std(0, True, True), [x])
    check_parity(lambda t: t.var(False), lambda t: t.var(False), [x])
    check_parity(lambda t: t.std(True), lambda t: t.std(True), [x])


def test_std_gradient_is_zero_where_std_is_zero():
    x = np.array([[1.0, 1.0, 1.0], [1.0, 2.0, 4.0]])
    for f in (lambda t: t.std(1), lambda t: t.std(1, correction=0), lambda t: t.std(0)):
        check_parity(f, f, [x])


def test_var_edge_cases():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        one = np.array([[2.0], [3.0]])  # a single sample per row: unbiased variance is NaN
        f = lambda t: t.var(1)
        check_parity(f, f, [one])
        g = lambda t: t.var(1, correction=0)
        check_parity(g, g, [one])
        empty = np.zeros((0, 3))
        for h in (lambda t: t.var(0), lambda t: t.var(), lambda t: t.std(0), lambda t: t.mean(0),
                  lambda t: t.mean()):
            check_parity(h, h, [empty])


# ----------------------------------------------------------------------------- prod
@pytest.mark.parametrize("x", [
    [[1.0, 2.0, 0.0], [3.0, 0.0, 0.0]],
    [[0.0, 2.0, 3.0], [1.5, -2.0, 0.5]],
    [[0.0, 0.0, 1.0], [0.0, 4.0, 5.0]],
])
def test_prod_with_zeros(x):
    x = np.array(x)
    for f in (lambda t: t.prod(), lambda t: t.prod(1), lambda t: t.prod(0, keepdim=True),
              lambda t: t.prod(-1, True)):
        check_parity(f, f, [x])
        check_parity(f, f, [x], dtype=np.float64)


def test_prod_of_a_3d_tensor_with_zero_over_middle_dim(rng):
    x = randn(rng, (2, 3, 4))
    x[0, 1, 2] = 0.0
    x[1, :, 0] = 0.0
    f = lambda t: t.prod(1)
    check_parity(f, f, [x], dtype=np.float64)


# ----------------------------------------------------------------------------- logsumexp
def test_logsumexp_with_infinities():
    inf = np.inf
    x = np.array([[-inf, -inf], [1.0, 2.0], [-inf, 0.5], [1000.0, 1000.0]])
    f = lambda t: t.logsumexp(1)
    check_parity(f, f, [x])
    check_parity(f, f, [x], dtype=np.float64)
    y = np.array([[inf, 1.0], [1.0, 2.0]])
    check_parity(f, f, [y])


def test_logsumexp_is_stable(rng):
    x = randn(rng, (3, 5)) * 100 + 500
    f = lambda t: t.logsumexp(-1, keepdim=True)
    check_parity(f, f, [x])


# ----------------------------------------------------------------------------- integer inputs
@pytest.mark.parametrize("dt", [np.int32, np.int64, np.bool_])
def test_integer_reductions_dtypes(dt, rng):
    x = rng.integers(0, 3, (3, 4)).astype(dt)
    for f in (lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.prod(0), lambda t: t.amax(1),
              lambda t: t.max(), lambda t: t.argmax(1), lambda t: t.sum(dtype=torch.float64)
              if isinstance(t, torch.Tensor) else t.sum(dtype=gn.float64),
              lambda t: t.cumsum(1)):
        if dt == np.bool_ and f.__code__.co_code == (lambda t: t.prod(0)).__code__.co_code:
            continue
        check_parity(f, f, [x])


def test_reduction_dim_out_of_range_names_the_op():
    x = gn.ones(2, 3)
    for f, op in ((lambda: x.sum(2), "sum"), (lambda: x.max(-3), "max"),
                  (lambda: x.mean(5), "mean")):
        with pytest.raises(IndexError, match=op):
            f()


def test_max_of_empty_is_an_error():
    with pytest.raises((RuntimeError, IndexError), match="max"):
        gn.zeros(0, 3).max()
    with pytest.raises((RuntimeError, IndexError), match="max"):
        gn.zeros(0, 3).max(0)
    with pytest.raises(RuntimeError, match="argmax"):
        gn.zeros(0).argmax()


# ----------------------------------------------------------------------------- topk / sort / cumsum
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("k,dim,largest", [(1, -1, True), (3, -1, True), (2, 0, False),
                                           (4, 1, False), (0, 1, True), (5, 1, True)])
def test_topk_parity(k, dim, largest, dtype, rng):
    x = distinct(rng, (3, 5))
    f = lambda t: t.topk(k, dim, largest)
    check_parity(f, f, [x], dtype=dtype)
    f = lambda t: t.topk(min(k, 3), dim=0, largest=largest, sorted=True)
    check_parity(f, f, [noncontig(x)], dtype=dtype)
    gradcheck(lambda t: t.topk(min(k, 3), 0, largest)[0], [x])


def test_topk_with_ties_selects_k_tied_values():
    # PyTorch does not specify which of several tied elements topk returns; the values, and a
    # gradient that lands once on each selected element, are what must agree.
    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    v, i = gn.tensor(x, requires_grad=True).topk(2)
    np.testing.assert_array_equal(v.detach().numpy(), [3.0, 3.0])
    assert len(set(i.tolist())) == 2 and all(x[j] == 3.0 for j in i.tolist())
    t = gn.tensor(x, requires_grad=True)
    t.topk(2).values.sum().backward()
    assert t.grad.numpy().sum() == 2.0 and set(np.nonzero(t.grad.numpy())[0]) == set(i.tolist())


def test_topk_k_out_of_range():
    with pytest.raises(RuntimeError, match="topk"):
        gn.ones(3).topk(4)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_cumsum(dim, rng):
    x = randn(rng, (3, 4))
    f = lambda t: t.cumsum(dim)
    check_parity(f, f, [x])
    check_parity(f, f, [noncontig(x)], dtype=np.float64)
    gradcheck(f, [x])
