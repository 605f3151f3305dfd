"""Property-based tests (hypothesis): broadcasting and reductions over random shapes, including
size-1 and empty dimensions, agree with PyTorch in values, shapes and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import glassnet as gn

SETTINGS = settings(max_examples=40, deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture])

dims = st.integers(min_value=0, max_value=3)  # 0 = empty, 1 = broadcastable
shapes = st.lists(dims, min_size=0, max_size=4).map(tuple)


@st.composite
def broadcastable_pair(draw):
    """Two shapes that broadcast: each trailing dim equal, or 1 on one side; ranks may differ."""
    out = draw(shapes)
    a, b = [], []
    for d in out:
        choice = draw(st.integers(0, 2))
        a.append(1 if choice == 1 else d)
        b.append(1 if choice == 2 else d)
    ra = draw(st.integers(0, len(out)))
    rb = draw(st.integers(0, len(out)))
    return tuple(a[ra:]), tuple(b[rb:])


def _arr(seed, shape, dtype=np.float64):
    return np.asarray(np.random.default_rng(seed).standard_normal(shape), dtype=dtype)


BINARY = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "where": lambda a, b: (torch if isinstance(a, torch.Tensor) else gn).where(a > b, a, b * 2),
}


@SETTINGS
@given(pair=broadcastable_pair(), op=st.sampled_from(sorted(BINARY)),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_broadcasting_binary_ops(pair, op, dtype, seed):
    a, b = _arr(seed, pair[0]), _arr(seed + 1, pair[1])
    check_parity(BINARY[op], BINARY[op], [a, b], dtype=dtype)


@SETTINGS
@given(pair=broadcastable_pair(), seed=st.integers(0, 2**16))
def test_broadcast_result_shape_matches_numpy(pair, seed):
    a, b = gn.zeros(pair[0]), gn.ones(pair[1])
    assert (a + b).shape == np.broadcast_shapes(*pair)
    assert (a < b).shape == np.broadcast_shapes(*pair)


@st.composite
def reduction_case(draw):
    shape = draw(shapes)
    nd = len(shape)
    kind = draw(st.sampled_from(["none", "int", "tuple"]))
    if kind == "none" or nd == 0:
        dim = None
    elif kind == "int":
        dim = draw(st.integers(-nd, nd - 1))
    else:
        dim = tuple(draw(st.lists(st.integers(0, nd - 1), min_size=1, max_size=nd, unique=True)))
    return shape, dim, draw(st.booleans())


def _reduce(name, dim, keepdim):
    def f(t):
        if dim is None and not keepdim and name != "logsumexp":
            return getattr(t, name)()
        d = dim if dim is not None else tuple(range(t.ndim))
        return getattr(t, name)(d, keepdim=keepdim)
    return f


@SETTINGS
@given(case=reduction_case(), name=st.sampled_from(["sum", "mean", "logsumexp"]),
       dtype=st.sampled_from([np.float32, np.float64]), seed=st.integers(0, 2**16))
def test_reductions_over_random_shapes(case, name, dtype, seed):
    shape, dim, keepdim = case
    check_parity(_reduce(name, dim, keepdim), _reduce(name, dim, keepdim), [_arr(seed, shape)],
                 dtype=dtype)


@SETTINGS
@given(case=reduction_case(), name=st.sampled_from(["amax", "amin"]), seed=st.integers(0, 2**16))
def test_amax_amin_over_random_shapes(case, name, seed):
    shape, dim, keepdim = case
    x = _arr(seed, shape)
    f = _reduce(name, dim, keepdim)
    reduced = range(len(shape)) if dim is None else ([dim] if isinstance(dim, int) else dim)
    if any(shape[d] == 0 for d in reduced):
        with pytest.raises((RuntimeError, IndexError)):
            f(gn.tensor(x))
        return
    check_parity(f, f, [x])


@SETTINGS
@given(case=reduction_case(), name=st.sampled_from(["var", "std"]), correction=st.integers(0, 1),
       seed=st.integers(0, 2**16))
def test_var_std_over_random_shapes(case, name, correction, seed):
    shape, dim, keepdim = case
    x = np.asarray(_arr(seed, shape) * 3 + 1)

    def f(t):
        d = dim if dim is not None else tuple(range(t.ndim))
        return getattr(t, name)(d, keepdim=keepdim, correction=correction)

    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(f, f, [x], dtype=np.float64)


@SETTINGS
@given(shape=st.lists(st.integers(1, 4), min_size=1, max_size=4).map(tuple),
       seed=st.integers(0, 2**16))
def test_sum_of_broadcast_equals_scaled_sum(shape, seed):
    """sum(x expanded along a new axis of size k) == k * sum(x); its gradient is k everywhere."""
    x = gn.tensor(_arr(seed, shape), requires_grad=True)
    k = len(shape) + 1
    y = x.unsqueeze(0).expand((k,) + shape).sum()
    np.testing.assert_allclose(y.item(), k * x.sum().item(), rtol=1e-5, atol=1e-5)
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.full(shape, k, np.float32))


@SETTINGS
@given(case=reduction_case(), seed=st.integers(0, 2**16))
def test_keepdim_shapes_agree_with_numpy(case, seed):
    shape, dim, keepdim = case
    x = _arr(seed, shape)
    axis = dim if dim is None or isinstance(dim, int) else tuple(dim)
    got = gn.tensor(x).sum(dim, keepdim=keepdim)
    assert got.shape == np.sum(x, axis=axis, keepdims=keepdim).shape
