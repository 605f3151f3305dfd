"""glassnet/ops/lu.py: LU with partial pivoting (linalg.lu_factor[_ex], linalg.lu, torch.lu,
lu_unpack), its solves (linalg.lu_solve, torch.lu_solve) and the Bunch-Kaufman LDL^T
(linalg.ldl_factor[_ex], ldl_solve) against PyTorch: values, 1-based int32 pivots, infos and
gradients, and float64 finite differences (first and second order)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck, well_conditioned

import glassnet as gn


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else gn


SHAPES = [(4, 4), (3, 5), (5, 3), (2, 3, 3), (2, 2, 4), (2, 1, 5, 3), (0, 3, 3), (3, 0), (1, 1)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_lu_factor_values_pivots_and_gradient(shape, dtype):
    a = np.random.default_rng(0).standard_normal(shape)
    f = lambda x: _lib(x).linalg.lu_factor_ex(x)
    check_parity(f, f, [a], dtype=dtype, rtol=1e-4 if dtype == np.float32 else 1e-7)
    plu = lambda x: _lib(x).linalg.lu(x)
    check_parity(plu, plu, [a], dtype=dtype, rtol=1e-4 if dtype == np.float32 else 1e-7)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 3)])
def test_lu_gradcheck_first_and_second_order(shape):
    a = np.random.default_rng(1).standard_normal(shape)
    gradcheck(lambda x: gn.linalg.lu(x)[1:], [a])
    gradcheck(lambda x: gn.linalg.lu_factor(x)[0], [a])
    t = gn.tensor(a, requires_grad=True)
    assert gn.autograd.gradgradcheck(lambda x: gn.linalg.lu(x)[1:], (t,))


def test_pivots_follow_lapack_largest_first_on_ties():
    a = np.array([[1.0, 2.0], [-3.0, 1.0], [3.0, 5.0]])  # |-3| ties |3|: the first one wins
    LU, piv = gn.linalg.lu_factor(gn.tensor(a))
    tLU, tpiv = torch.linalg.lu_factor(torch.tensor(a))
    assert piv.dtype == gn.int32 and piv.tolist() == tpiv.tolist() == [2, 3]
    np.testing.assert_allclose(LU.numpy(), tLU.numpy())


def test_singular_matrix_info_and_errors():
    a = np.array([[[0.0, 1.0], [0.0, 2.0]], [[1.0, 2.0], [3.0, 4.0]]])
    LU, piv, info = gn.linalg.lu_factor_ex(gn.tensor(a))
    tLU, tpiv, tinfo = torch.linalg.lu_factor_ex(torch.tensor(a))
    assert info.tolist() == tinfo.tolist() == [1, 0]
    assert piv.tolist() == tpiv.tolist()
    np.testing.assert_allclose(LU.numpy(), tLU.numpy())
    with pytest.raises(RuntimeError, match=r"linalg.lu_factor: \(Batch element 0\): U\[1,1\]"):
        gn.linalg.lu_factor(gn.tensor(a))
    with pytest.raises(RuntimeError, match="lu: U"):
        gn.lu(gn.tensor(a[0]))
    assert gn.lu(gn.tensor(a[0]), get_infos=True)[2].item() == 1
    with pytest.raises(RuntimeError, match="at least 2 dimensions"):
        gn.linalg.lu_factor(gn.ones(3))


def test_lu_without_pivoting():
    a = well_conditioned(np.random.default_rng(2), (2, 4, 4))
    P, L, U = gn.linalg.lu(gn.tensor(a), pivot=False)
    assert tuple(P.shape) == (0,)
    np.testing.assert_allclose((L @ U).numpy(), a, atol=1e-12)
    assert gn.linalg.lu_factor(gn.tensor(a), pivot=False)[1].tolist() == [[1, 2, 3, 4]] * 2
    gradcheck(lambda x: gn.linalg.lu(x, pivot=False)[1:], [a])


@pytest.mark.filterwarnings("ignore:torch.lu is deprecated")
@pytest.mark.parametrize("get_infos", [False, True])
def test_torch_lu_and_lu_unpack(get_infos):
    a = np.random.default_rng(3).standard_normal((2, 5, 3))
    f = lambda x: _lib(x).lu(x, True, get_infos)
    check_parity(f, f, [a], dtype=np.float64)
    method = lambda x: x.lu(get_infos=get_infos)[0]
    check_parity(method, method, [a], dtype=np.float64)


@pytest.mark.parametrize("shape", [(4, 4), (3, 5), (5, 3), (2, 3, 4), (0, 2, 2)])
@pytest.mark.parametrize("unpack_data, unpack_pivots", [(True, True), (False, True),
                                                          (True, False)])
def test_lu_unpack(shape, unpack_data, unpack_pivots):
    a = np.random.default_rng(4).standard_normal(shape)
    LU, piv = torch.linalg.lu_factor(torch.tensor(a))
    f = lambda lu, p: _lib(lu).lu_unpack(lu, p, unpack_data, unpack_pivots)
    # (PyTorch's own backward fails when L and U are not unpacked: compare values only)
    check_parity(f, f, [LU.numpy(), piv.numpy()], dtype=np.float64,
                 grad_inputs=None if unpack_data else [])
    if unpack_data:
        gradcheck(lambda lu, p: gn.lu_unpack(lu, p)[1:], [LU.numpy(), piv.numpy()])
        t = gn.tensor(LU.numpy(), requires_grad=True)
        p = gn.tensor(piv.numpy())
        assert gn.autograd.gradgradcheck(lambda x: gn.lu_unpack(x, p)[1:], (t,))


def _factors(rng, shape):
    LU, piv = torch.linalg.lu_factor(torch.tensor(well_conditioned(rng, shape)))
    return LU.numpy(), piv.numpy()


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("adjoint", [False, True])
@pytest.mark.parametrize("a_batch, b_batch", [((), ()), ((2,), (2,)), ((2,), ()),
                                                ((), (3,)), ((0,), (0,))])
def test_lu_solve(left, adjoint, a_batch, b_batch):
    rng = np.random.default_rng(5)
    lu, piv = _factors(rng, a_batch + (3, 3))
    b = rng.standard_normal(b_batch + ((3, 2) if left else (2, 3)))
    f = lambda LU, p, B: _lib(B).linalg.lu_solve(LU, p, B, left=left, adjoint=adjoint)
    check_parity(f, f, [lu, piv, b], dtype=np.float64)
    check_parity(f, f, [lu, piv, b], rtol=1e-4, atol=1e-4)
    gradcheck(f, [lu, piv, b])
    LU, B = gn.tensor(lu, requires_grad=True), gn.tensor(b, requires_grad=True)
    p = gn.tensor(piv)
    assert gn.autograd.gradgradcheck(lambda x, y: f(x, p, y), (LU, B))


@pytest.mark.filterwarnings("ignore:torch.lu_solve is deprecated")
def test_torch_lu_solve_and_method():
    rng = np.random.default_rng(6)
    lu, piv = _factors(rng, (2, 4, 4))
    b = rng.standard_normal((2, 4, 3))
    f = lambda B, LU, p: _lib(B).lu_solve(B, LU, p)
    check_parity(f, f, [b, lu, piv], dtype=np.float64)
    m = lambda B, LU, p: B.lu_solve(LU, p)
    check_parity(m, m, [b, lu, piv], dtype=np.float64)


def test_lu_solve_bad_inputs():
    lu, piv = (gn.from_numpy(x) for x in _factors(np.random.default_rng(7), (3, 3)))
    with pytest.raises(RuntimeError, match="pivots should be a Tensor of dtype int32"):
        gn.linalg.lu_solve(lu, piv.long(), gn.ones(3, 1, dtype=gn.float64))
    with pytest.raises(RuntimeError, match="incompatible shapes"):
        gn.linalg.lu_solve(lu, piv, gn.ones(2, 1, dtype=gn.float64))
    with pytest.raises(RuntimeError, match="square"):
        gn.linalg.lu_solve(lu[:2], piv[:2], gn.ones(2, 1, dtype=gn.float64))


# ----------------------------------------------------------------------------- LDL^T
def _symmetric(rng, shape, definite):
    a = rng.standard_normal(shape)
    a = a + np.swapaxes(a, -1, -2)
    return a @ np.swapaxes(a, -1, -2) + 0.1 * np.eye(shape[-1]) if definite else a


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("definite", [True, False])
def test_ldl_factor_and_solve(seed, definite):
    """Indefinite matrices exercise Bunch-Kaufman's row swaps and 2x2 pivots."""
    rng = np.random.default_rng(seed)
    a = _symmetric(rng, (3, 6, 6), definite)
    f = lambda x: _lib(x).linalg.ldl_factor_ex(x)
    check_parity(f, f, [a], dtype=np.float64, grad_inputs=[])
    g = lambda x: _lib(x).linalg.ldl_factor(x)
    check_parity(g, g, [a], rtol=1e-3, atol=1e-4, grad_inputs=[])
    LD, piv, _ = torch.linalg.ldl_factor_ex(torch.tensor(a))
    b = rng.standard_normal((6, 2))  # broadcast against the batch of factors
    s = lambda ld, p, B: _lib(B).linalg.ldl_solve(ld, p, B)
    check_parity(s, s, [LD.numpy(), piv.numpy(), b], dtype=np.float64, grad_inputs=[])


def test_ldl_pivots_include_two_by_two_blocks():
    a = _symmetric(np.random.default_rng(0), (8, 6, 6), False)
    piv = gn.linalg.ldl_factor(gn.tensor(a))[1].numpy()
    assert (piv < 0).any() and (piv > 0).any()


def test_ldl_empty_singular_and_no_derivative():
    for shape in [(0, 0), (0, 2, 2)]:
        LD, piv, info = gn.linalg.ldl_factor_ex(gn.zeros(*shape))
        assert tuple(LD.shape) == shape and piv.dtype == gn.int32
    LD, piv, info = gn.linalg.ldl_factor_ex(gn.zeros(3, 3))
    assert info.item() == 1 and piv.tolist() == [1, 2, 3]
    with pytest.raises(RuntimeError, match=r"linalg.ldl_factor: D\[1,1\] is zero"):
        gn.linalg.ldl_factor(gn.zeros(3, 3))
    x = gn.tensor(np.eye(3), requires_grad=True)
    with pytest.raises(RuntimeError, match="derivative"):
        gn.linalg.ldl_factor(x)[0].sum().backward()
