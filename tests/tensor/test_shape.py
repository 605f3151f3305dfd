"""Tensor shape methods composed from the shape Functions (glassnet/tensor/shape.py): rot90,
masked_fill with nonzero, unique and unique_consecutive, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck, randn

import glassnet as gn


@pytest.mark.parametrize("k", [-1, 0, 1, 2, 3, 5])
@pytest.mark.parametrize("dims", [(0, 1), (1, 2), (2, 0), (-1, -2)])
def test_rot90_matches_torch(k, dims):
    x = np.random.default_rng(k + 7).standard_normal((3, 4, 5))
    check_parity(lambda t: t.rot90(k, dims), lambda t: torch.rot90(t, k, dims), [x])
    gradcheck(lambda t: gn.rot90(t, k, dims), [x])


def test_masked_fill_and_nonzero(rng):
    x = randn(rng, (3, 4))
    mask = x > 0.3
    f = lambda t, m: t.masked_fill(m, 0.5)
    check_parity(f, f, [x, mask])
    np.testing.assert_array_equal(gn.tensor(x).nonzero().numpy(),
                                  torch.tensor(x).nonzero().numpy())
    for g, t in zip(gn.tensor(x).nonzero(as_tuple=True), torch.tensor(x).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(g.numpy(), t.numpy())


def test_unique_and_consecutive():
    x = [3, 1, 1, 2, 3, 3, 0]
    for kw in ({}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True}):
        g, t = gn.tensor(x).unique(**kw), torch.tensor(x).unique(**kw)
        g, t = (g if isinstance(g, tuple) else (g,)), (t if isinstance(t, tuple) else (t,))
        for a, b in zip(g, t):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        g = gn.tensor(x).unique_consecutive(**kw)
        t = torch.tensor(x).unique_consecutive(**kw)
        g, t = (g if isinstance(g, tuple) else (g,)), (t if isinstance(t, tuple) else (t,))
        for a, b in zip(g, t):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    m = [[1, 2], [0, 5], [1, 2]]
    g, t = gn.unique(gn.tensor(m), dim=0, return_counts=True), \
        torch.unique(torch.tensor(m), dim=0, return_counts=True)
    for a, b in zip(g, t):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_narrow_with_a_negative_start(rng):
    """A negative start counts from the end of the dim (start + size), as PyTorch's narrow."""
    x = randn(rng, (4, 5))
    for dim, start, length in ((1, -2, 2), (0, -4, 3), (-1, -5, 5), (1, -1, 0), (0, 4, 0)):
        args = (dim, start, length)
        check_parity(lambda t, a=args: t.narrow(*a), lambda t, a=args: t.narrow(*a), [x],
                     dtype=np.float64)
        check_parity(lambda t, a=args: gn.narrow(t, *a), lambda t, a=args: torch.narrow(t, *a),
                     [x], dtype=np.float64)
    g = gn.tensor(x)
    with pytest.raises(IndexError, match="narrow: start out of range"):
        g.narrow(1, -6, 1)
    with pytest.raises(RuntimeError, match="narrow: start"):
        g.narrow(1, -2, 3)


# ----------------------------------------------------------------------------- 0-d operands
def _L(x):
    return torch if isinstance(x, torch.Tensor) else gn


# A 0-d input, index or source reads as a one-element 1-d tensor (PyTorch's rule); the output
# keeps the input's shape (gather: the index's shape).
ZERO_D = {
    "gather_0d_0d": (lambda x, s: x.gather(0, _L(x).tensor(0)), (), ()),
    "gather_0d_1d": (lambda x, s: x.gather(-1, _L(x).tensor([0])), (), ()),
    "gather_1d_0d": (lambda x, s: x.gather(0, _L(x).tensor(2)), (4,), ()),
    "gather_empty_index": (lambda x, s: x.gather(0, _L(x).zeros((2, 0), dtype=_L(x).long)),
                           (5,), ()),
    "index_select_0d": (lambda x, s: x.index_select(0, _L(x).tensor([0])), (), ()),
    "index_select_0d_index": (lambda x, s: x.index_select(1, _L(x).tensor(1)), (2, 3), ()),
    "scatter_add_0d": (lambda x, s: x.scatter_add(0, _L(x).tensor(0), s), (), ()),
    "scatter_add_1d_0d": (lambda x, s: x.scatter_add(0, _L(x).tensor(1), s), (3,), ()),
    "index_add_0d": (lambda x, s: x.index_add(0, _L(x).tensor([0]), s, alpha=2), (), ()),
    "index_add_1d_0d_index": (lambda x, s: x.index_add(0, _L(x).tensor(1), s), (3,), (1,)),
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_index_ops_on_0d_tensors(name):
    fn, xs, ss = ZERO_D[name]
    rng = np.random.default_rng(0)
    x, s = rng.standard_normal(xs), rng.standard_normal(ss)
    check_parity(fn, fn, [x, s])
    check_parity(fn, fn, [x, s], dtype=np.float64)
    gradcheck(fn, [x, s])


@pytest.mark.parametrize("dims", [(0,), (0, 2), (-1,), [1, -3], ()])
def test_flip_dims_keyword(dims):
    x = np.random.default_rng(1).standard_normal((2, 3, 4))
    check_parity(lambda t: _L(t).flip(t, dims=dims), lambda t: torch.flip(t, dims=dims), [x])
    check_parity(lambda t: t.flip(dims=dims), lambda t: t.flip(dims=dims), [x])
    gradcheck(lambda t: t.flip(dims=dims), [x])
    check_parity(lambda t: t.flip(0), lambda t: t.flip(0), [np.array(1.5)])  # 0-d: itself


@pytest.mark.parametrize("src, dst", [(0, 2), (-1, 0), ((0, 1), (2, 0)), ([0, 2], [1, 0]),
                                      ((2, 1, 0), (0, 1, 2)), ((), ())])
def test_movedim_with_ints_and_tuples(src, dst):
    x = np.random.default_rng(2).standard_normal((2, 3, 4))
    check_parity(lambda t: _L(t).movedim(t, src, dst), lambda t: torch.movedim(t, src, dst), [x])
    check_parity(lambda t: t.moveaxis(src, dst), lambda t: t.moveaxis(src, dst), [x])
    gradcheck(lambda t: t.movedim(src, dst), [x])


def test_movedim_errors_like_pytorch():
    x = gn.zeros(2, 3)
    with pytest.raises(RuntimeError, match="movedim"):
        x.movedim((0, 1), (0,))
    with pytest.raises(IndexError, match="movedim"):
        x.movedim(2, 0)
    with pytest.raises(RuntimeError, match="movedim"):
        x.movedim((0, 0), (0, 1))


def test_nonzero_of_0d_and_unique_consecutive_of_empty():
    for v in (1.5, 0.0):
        g, t = gn.tensor(v), torch.tensor(v)
        assert tuple(g.nonzero().shape) == tuple(t.nonzero().shape)
        assert [tuple(a.shape) for a in g.nonzero(as_tuple=True)] == \
            [tuple(a.shape) for a in t.nonzero(as_tuple=True)]
        assert tuple(gn.argwhere(g).shape) == tuple(torch.argwhere(t).shape)
        assert tuple(gn.nonzero_static(g, size=3).shape) == (3, 0)
    x = np.zeros((5, 0, 5))
    for dim in (1, None):
        g = gn.tensor(x).unique_consecutive(return_inverse=True, return_counts=True, dim=dim)
        t = torch.tensor(x).unique_consecutive(return_inverse=True, return_counts=True, dim=dim)
        assert [tuple(a.shape) for a in g] == [tuple(a.shape) for a in t]
