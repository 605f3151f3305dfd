"""Tensor linear algebra (glassnet/tensor/linalg.py) against PyTorch and finite
differences: the fused multiply-adds, outer/inner/kron/cross products, triangles of infinite and
boolean matrices, and the triangular and Cholesky solves."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck, spd

import glassnet as gn


def _L(x):
    return torch.linalg if isinstance(x, torch.Tensor) else gn.linalg


def _M(x):
    return torch if isinstance(x, torch.Tensor) else gn


# ----------------------------------------------------------------------------- products
PRODUCTS = {
    "addmm": lambda a, b, c: _M(a).addmm(c[:2, :2], a[:2, :3], b[:3, :2], beta=0.5, alpha=2),
    "addmm_beta0": lambda a, b, c: c[:2, :2].addmm(a[:2], b, beta=0),
    "addmv": lambda a, b, c: _M(a).addmv(c[0, :2], a[:2], b[:, 0]),
    "addr": lambda a, b, c: c[:2, :2].addr(a[0, :2], b[1, :2], alpha=3),
    "baddbmm": lambda a, b, c: _M(a).baddbmm(c[:1, :2], a.reshape(2, 1, 3),
                                             b.reshape(1, 3, 2).expand(2, 3, 2), alpha=-1),
    "addbmm": lambda a, b, c: c[:1, :2].addbmm(a[:2].reshape(2, 1, 3),
                                               b[:3].reshape(1, 3, 2).expand(2, 3, 2)),
    "outer": lambda a, b, c: _M(a).outer(a[0], b[:, 1]),
    "ger": lambda a, b, c: a[1].ger(c[0]),
    "inner": lambda a, b, c: _M(a).inner(a, c),
    "inner_1d": lambda a, b, c: a[0].inner(c[1]),
    "kron": lambda a, b, c: _M(a).kron(a[:2, :2], b[:2]),
    "cross": lambda a, b, c: _L(a).cross(a, c),
    "cross_default_dim": lambda a, b, c: _M(a).cross(a.t(), c.t()),
    "tensordot": lambda a, b, c: _M(a).tensordot(a, b, dims=1),
    "tensordot_pairs": lambda a, b, c: _M(a).tensordot(a, c, dims=([0, 1], [0, 1])),
    "mv": lambda a, b, c: a.mv(b[:, 0]),
    "vdot": lambda a, b, c: _M(a).vdot(a[0], c[0]),
    "chain_matmul": lambda a, b, c: _M(a).chain_matmul(a, b, c[:2]),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products_parity(name, dtype, rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rng.standard_normal((2, 3))
    check_parity(PRODUCTS[name], PRODUCTS[name], [a, b, c], dtype=dtype)


@pytest.mark.parametrize("name", list(PRODUCTS))
def test_products_gradcheck(name, rng):
    a, b, c = rng.standard_normal((2, 3)), rng.standard_normal((3, 2)), rng.standard_normal((2, 3))
    gradcheck(PRODUCTS[name], [a, b, c])


def test_tril_triu_of_infinities_stay_finite_elsewhere():
    """The causal-mask idiom: triu of a -inf matrix has zeros (not NaN) below the diagonal."""
    g = gn.triu(gn.full((3, 3), float("-inf")), diagonal=1)
    t = torch.triu(torch.full((3, 3), float("-inf")), diagonal=1)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    for r, c, k in ((3, 4, 0), (4, 3, 1), (3, 3, -1)):
        np.testing.assert_array_equal(gn.tril_indices(r, c, k).numpy(),
                                      torch.tril_indices(r, c, k).numpy())
        np.testing.assert_array_equal(gn.triu_indices(r, c, k).numpy(),
                                      torch.triu_indices(r, c, k).numpy())


@pytest.mark.parametrize("dtype", ["bool", "int32", "int64", "float64"])
def test_tril_triu_keep_the_dtype(dtype):
    """A causal mask built as triu(ones(T, T, dtype=bool), 1) stays bool (usable as a mask)."""
    for k in (0, 1, -1):
        g = gn.triu(gn.ones(3, 4, dtype=getattr(gn, dtype)), diagonal=k)
        t = torch.triu(torch.ones(3, 4, dtype=getattr(torch, dtype)), diagonal=k)
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(g.numpy(), t.numpy())
        g = gn.ones(3, 4, dtype=getattr(gn, dtype)).tril(k)
        assert g.dtype == np.dtype(dtype)
        np.testing.assert_array_equal(g.numpy(), torch.ones(3, 4, dtype=getattr(torch, dtype))
                                      .tril(k).numpy())


def test_triangular_and_cholesky_solves(rng):
    a = spd(rng, (3, 3))
    b = rng.standard_normal((3, 2))
    low = np.linalg.cholesky(a)

    def chol_solve(B, L):
        return _M(B).cholesky_solve(B, L.tril() + 3 * _M(B).eye(3, dtype=B.dtype))

    def tri_solve(B, A):
        return _M(B).triangular_solve(B, A + 3 * _M(B).eye(3, dtype=B.dtype), upper=False)[0]

    def tri_solve_t(B, A):
        return B.triangular_solve(A + 3 * _M(B).eye(3, dtype=B.dtype), transpose=True,
                                  unitriangular=True).solution

    def solve_tri(B, A):
        return _L(B).solve_triangular(A + 3 * _M(B).eye(3, dtype=B.dtype), B, upper=True,
                                      unitriangular=True)

    def solve_tri_right(B, A):
        return _L(B).solve_triangular(A + 3 * _M(B).eye(3, dtype=B.dtype), B.mT, upper=False,
                                      left=False)

    for f in (chol_solve, tri_solve, tri_solve_t, solve_tri, solve_tri_right):
        check_parity(f, f, [b, low], dtype=np.float64)
        gradcheck(f, [b, low])
    f = lambda L: _M(L).cholesky_inverse(L.tril() + 3 * _M(L).eye(3, dtype=L.dtype))
    check_parity(f, f, [low], dtype=np.float64)
