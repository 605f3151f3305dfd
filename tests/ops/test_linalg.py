"""Matrix products against PyTorch and finite differences: matmul with 1-D operands and
broadcast batch dimensions, mm, bmm, dot, and einsum."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck, noncontig, randn

import glassnet as gn

MATMUL_SHAPES = [
    ((3,), (3,)), ((3,), (3, 4)), ((2, 3), (3,)), ((2, 3), (3, 4)), ((1, 1), (1, 1)),
    ((5, 2, 3), (3, 4)), ((2, 3), (5, 3, 4)), ((5, 2, 3), (5, 3, 4)), ((5, 1, 2, 3), (4, 3, 2)),
    ((1, 2, 3), (4, 3, 2)), ((3,), (5, 3, 4)), ((5, 2, 3), (3,)), ((0, 3), (3, 4)),
    ((2, 0), (0, 4)), ((2, 3), (3, 0)), ((0, 2, 3), (3, 4)),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul_parity(shapes, dtype, rng):
    a, b = randn(rng, shapes[0]), randn(rng, shapes[1])
    check_parity(lambda x, y: x @ y, lambda x, y: x @ y, [a, b], dtype=dtype)
    check_parity(lambda x, y: x.matmul(y), lambda x, y: torch.matmul(x, y), [a, b], dtype=dtype,
                 grad_inputs=[1])


@pytest.mark.parametrize("shapes", [s for s in MATMUL_SHAPES if 0 not in s[0] + s[1]], ids=str)
def test_matmul_gradcheck(shapes, rng):
    a, b = randn(rng, shapes[0]), randn(rng, shapes[1])
    gradcheck(lambda x, y: x @ y, [a, b])


def test_matmul_noncontiguous_and_transposed(rng):
    a, b = randn(rng, (4, 3)), randn(rng, (4, 5))
    check_parity(lambda x, y: x.T @ y, lambda x, y: x.T @ y, [a, b])
    check_parity(lambda x, y: x @ y, lambda x, y: x @ y, [noncontig(a.T), noncontig(b)])
    check_parity(lambda x, y: x[:, ::2].T @ y[:, 1:], lambda x, y: x[:, ::2].T @ y[:, 1:], [a, b])


def test_mm_bmm_dot(rng):
    a, b = randn(rng, (2, 3)), randn(rng, (3, 4))
    check_parity(lambda x, y: x.mm(y), lambda x, y: x.mm(y), [a, b])
    check_parity(lambda x, y: gn.mm(x, y), lambda x, y: torch.mm(x, y), [a, b])
    a3, b3 = randn(rng, (5, 2, 3)), randn(rng, (5, 3, 4))
    check_parity(lambda x, y: x.bmm(y), lambda x, y: x.bmm(y), [a3, b3])
    u, v = randn(rng, (4,)), randn(rng, (4,))
    check_parity(lambda x, y: x.dot(y), lambda x, y: x.dot(y), [u, v])
    check_parity(lambda x, y: gn.dot(x, y), lambda x, y: torch.dot(x, y), [u, v], dtype=np.float64)


def test_matmul_with_numpy_operand(rng):
    a, b = randn(rng, (2, 3)).astype(np.float32), randn(rng, (3, 4)).astype(np.float32)
    out = gn.tensor(a) @ gn.tensor(b)
    np.testing.assert_allclose(out.numpy(), a @ b, rtol=1e-5)


def test_matmul_errors_name_the_shapes():
    with pytest.raises(RuntimeError, match=r"matmul: shapes \(2, 3\) and \(4, 5\)"):
        gn.ones(2, 3) @ gn.ones(4, 5)
    with pytest.raises(RuntimeError, match="matmul.*float32.*float64"):
        gn.ones(2, 3) @ gn.ones(3, 2, dtype=gn.float64)
    with pytest.raises(RuntimeError, match="matmul"):
        gn.ones(2, 2, 3) @ gn.ones(3, 3, 2)
    with pytest.raises(RuntimeError, match="matmul"):
        gn.tensor(2.0) @ gn.ones(2)
    with pytest.raises(RuntimeError, match="dot"):
        gn.ones(2, 2).dot(gn.ones(2))


# ----------------------------------------------------------------------------- einsum
EINSUMS = [
    ("ij,jk->ik", [(2, 3), (3, 4)]),
    ("bij,bjk->bik", [(5, 2, 3), (5, 3, 4)]),
    ("ij->ji", [(2, 3)]),
    ("ij->", [(2, 3)]),
    ("ij->j", [(2, 3)]),
    ("i,i->", [(4,), (4,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ii->i", [(3, 3)]),
    ("ii", [(3, 3)]),
    ("ij,ij->ij", [(2, 3), (2, 3)]),
    ("bhqd,bhkd->bhqk", [(2, 3, 4, 5), (2, 3, 6, 5)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 5)]),
    ("ij,jk", [(2, 3), (3, 4)]),
    ("i j , j k -> i k", [(2, 3), (3, 4)]),
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),
    ("...j,...j->...", [(2, 3, 4), (3, 4)]),
    ("b...,b...->b", [(2, 3, 4), (2, 1, 4)]),
    ("...ii->...i", [(2, 3, 3)]),
    ("i...->...", [(2, 3, 4)]),
    ("...ij", [(2, 4, 3)]),
    ("ij,ij->ij", [(1, 3), (4, 3)]),
    ("ijk->kij", [(2, 3, 4)]),
    ("ij,kj->ik", [(0, 3), (4, 3)]),
]


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("eq,shapes", EINSUMS, ids=str)
def test_einsum_parity(eq, shapes, dtype, rng):
    xs = [randn(rng, s) for s in shapes]
    check_parity(lambda *ts: gn.einsum(eq, *ts), lambda *ts: torch.einsum(eq, *ts), xs, dtype=dtype)


@pytest.mark.parametrize("eq,shapes", [e for e in EINSUMS if 0 not in sum(e[1], ())], ids=str)
def test_einsum_gradcheck(eq, shapes, rng):
    xs = [randn(rng, s) for s in shapes]
    gradcheck(lambda *ts: gn.einsum(eq, *ts), xs)


def test_einsum_list_operands_and_noncontiguous(rng):
    a, b = randn(rng, (3, 2)), randn(rng, (3, 4))
    check_parity(lambda x, y: gn.einsum("ji,jk->ik", [x, y]),
                 lambda x, y: torch.einsum("ji,jk->ik", [x, y]), [noncontig(a), b])
    check_parity(lambda x, y: gn.einsum("ij,jk->ik", x.T, y), lambda x, y: torch.einsum(
        "ij,jk->ik", x.T, y), [a, b])


def test_einsum_errors():
    with pytest.raises(ValueError, match="einsum"):
        gn.einsum("ij,jk->ik", gn.ones(2, 3))
    with pytest.raises(ValueError, match="einsum"):
        gn.einsum("ijk->i", gn.ones(2, 3))


@pytest.mark.parametrize("sa, sb", [((5, 5, 0), (0, 5)), ((2, 0), (0, 3)), ((1, 3, 0), (4, 0, 2)),
                                    ((0,), (0,)), ((0,), (0, 4))])
def test_matmul_with_zero_size_inner_dim(sa, sb):
    """An empty contraction gives zeros, and zero gradients of the right shapes."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal(sa), rng.standard_normal(sb)
    check_parity(lambda x, y: x @ y, lambda x, y: x @ y, [a, b])
