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
