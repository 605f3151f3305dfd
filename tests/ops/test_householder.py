"""glassnet/ops/householder.py: geqrf (LAPACK's compact QR), ormqr and
linalg.householder_product / orgqr against PyTorch: values and the gradients of the
reflectors, tau and the other matrix, and float64 finite differences (first and second
order)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck

import glassnet as gn


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else gn


SHAPES = [(5, 5), (5, 2), (2, 5), (2, 3, 4), (1, 1), (0, 3, 2), (3, 0), (2, 1, 4, 3)]


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_geqrf(shape, dtype):
    a = np.random.default_rng(0).standard_normal(shape)
    f = lambda x: _lib(x).geqrf(x)
    check_parity(f, f, [a], dtype=dtype, grad_inputs=[])
    m = lambda x: x.geqrf()
    check_parity(m, m, [a], dtype=dtype, grad_inputs=[])


def test_geqrf_of_a_column_already_reduced_and_no_derivative():
    a = np.array([[-2.0, 1.0], [0.0, 3.0], [0.0, 4.0]])  # column 0 is -2 e_1: tau = 0
    ga, gtau = gn.geqrf(gn.tensor(a))
    ta, ttau = torch.geqrf(torch.tensor(a))
    np.testing.assert_allclose(ga.numpy(), ta.numpy(), atol=1e-15)
    np.testing.assert_allclose(gtau.numpy(), ttau.numpy(), atol=1e-15)
    x = gn.tensor(a, requires_grad=True)
    with pytest.raises(NotImplementedError, match="geqrf"):
        gn.geqrf(x)[0].sum().backward()


def _reflectors(rng, shape):
    a, tau = torch.geqrf(torch.tensor(rng.uniform(-1, 1, shape)))
    return a.numpy(), tau.numpy()


@pytest.mark.parametrize("shape", [(5, 3), (3, 5), (4, 4), (2, 4, 2), (0, 3, 3)])
@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr(shape, left, transpose):
    rng = np.random.default_rng(1)
    a, tau = _reflectors(rng, shape)
    m = shape[-2]
    c = rng.standard_normal(shape[:-2] + ((m, 3) if left else (3, m)))
    f = lambda A, t, C: _lib(A).ormqr(A, t, C, left, transpose)
    check_parity(f, f, [a, tau, c], dtype=np.float64)
    check_parity(f, f, [a, tau, c])
    gradcheck(f, [a, tau, c])


@pytest.mark.parametrize("left", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_ormqr_second_order(left, transpose):
    rng = np.random.default_rng(4)
    a, tau = _reflectors(rng, (3, 2))
    c = rng.standard_normal((3, 2) if left else (2, 3))
    A, T, C = (gn.tensor(x, requires_grad=True) for x in (a, tau, c))
    assert gn.autograd.gradgradcheck(lambda *x: gn.ormqr(*x, left, transpose), (A, T, C))


@pytest.mark.parametrize("shape, k", [((5, 5), 5), ((6, 4), 4), ((5, 4), 2), ((5, 5), 0),
                                      ((2, 1, 4, 3), 3), ((0, 0), 0)])
def test_householder_product(shape, k):
    rng = np.random.default_rng(2)
    a = rng.uniform(-2, 2, shape)
    tau = rng.uniform(-2, 2, shape[:-2] + (k,))
    f = lambda A, t: _lib(A).linalg.householder_product(A, t)
    check_parity(f, f, [a, tau], dtype=np.float64)
    check_parity(f, f, [a, tau], rtol=1e-4, atol=1e-4)
    orgqr = lambda A, t: A.orgqr(t)
    check_parity(orgqr, orgqr, [a, tau], dtype=np.float64)
    gradcheck(f, [a, tau])
    if a.size <= 20:
        A, T = gn.tensor(a, requires_grad=True), gn.tensor(tau, requires_grad=True)
        assert gn.autograd.gradgradcheck(f, (A, T))


def test_householder_product_of_geqrf_is_q():
    a = np.random.default_rng(3).standard_normal((6, 4))
    r, tau = gn.geqrf(gn.tensor(a))
    q = gn.linalg.householder_product(r, tau)
    np.testing.assert_allclose((q @ r.triu()[:4]).numpy(), a, atol=1e-12)


def test_bad_inputs():
    a, tau = gn.ones(3, 4), gn.ones(2)
    with pytest.raises(RuntimeError, match=r"householder_product: input.shape\[-2\]"):
        gn.linalg.householder_product(a, tau)
    with pytest.raises(RuntimeError, match="batch dims of tau"):
        gn.linalg.householder_product(gn.ones(2, 4, 3), gn.ones(3, 2))
    with pytest.raises(RuntimeError, match="ormqr: with left=True"):
        gn.ormqr(gn.ones(4, 3), gn.ones(3), gn.ones(3, 3))
