"""svd_lowrank and pca_lowrank (glassnet/lowrank.py) against PyTorch: on matrices of rank at
most q both are exact, so the singular values agree with PyTorch's and U diag(S) V^H rebuilds
the matrix; gradients of sign-free quantities agree; float64 finite differences with the
random projection seeded."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck

import glassnet as gn


def _low_rank(rng, shape, rank):
    *batch, m, n = shape
    return rng.standard_normal((*batch, m, rank)) @ rng.standard_normal((*batch, rank, n))


@pytest.mark.parametrize("shape,q", [((7, 4), 3), ((4, 9), 3), ((2, 6, 5), 4)])
def test_svd_lowrank_exact_on_low_rank_matrices(shape, q, rng):
    a = _low_rank(rng, shape, q - 1)
    gn.manual_seed(0)
    U, S, V = gn.svd_lowrank(gn.tensor(a), q=q)
    tS = torch.svd_lowrank(torch.tensor(a), q=q)[1]
    assert tuple(U.shape) == (*shape[:-1], q) and tuple(V.shape) == (*shape[:-2], shape[-1], q)
    np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-10)
    rebuilt = (U * S.unsqueeze(-2)) @ V.mT
    np.testing.assert_allclose(rebuilt.numpy(), a, atol=1e-10)


def test_svd_lowrank_with_M_and_pca_lowrank(rng):
    a = _low_rank(rng, (8, 5), 2) + 3.0  # a constant offset: rank 3, centred rank 2
    M = np.full((8, 5), 3.0)
    _, S, _ = gn.svd_lowrank(gn.tensor(a), q=2, M=gn.tensor(M))
    np.testing.assert_allclose(S.numpy(), torch.svd_lowrank(torch.tensor(a), q=2,
                                                            M=torch.tensor(M))[1].numpy())
    for center in (True, False):
        U, S, V = gn.pca_lowrank(gn.tensor(a), q=3, center=center)
        tS = torch.pca_lowrank(torch.tensor(a), q=3, center=center)[1]
        np.testing.assert_allclose(S.numpy(), tS.numpy(), atol=1e-9)
    c = a - a.mean(0)
    U, S, V = gn.pca_lowrank(gn.tensor(a), q=2)
    np.testing.assert_allclose(((U * S) @ V.mT).numpy(), c, atol=1e-10)


def test_lowrank_gradients(rng):
    """Gradients of sign-free results (the singular values, the rebuilt matrix) agree with
    PyTorch's, and with finite differences when the random projection is seeded."""
    a = _low_rank(rng, (6, 4), 3) + 1e-3 * rng.standard_normal((6, 4))

    def sv(lib):
        def f(x):
            lib.manual_seed(0)
            U, S, V = lib.svd_lowrank(x, q=3, niter=4)
            return S, (U * S.unsqueeze(-2)) @ V.mT
        return f

    check_parity(sv(gn), sv(torch), [a], dtype=np.float64, rtol=1e-6, atol=1e-8)
    gradcheck(sv(gn), [a])

    def pca(x):
        gn.manual_seed(0)
        return gn.pca_lowrank(x, q=3, niter=4)[1]

    gradcheck(pca, [a])


def test_lowrank_errors():
    with pytest.raises(ValueError, match="q\\(=5\\)"):
        gn.pca_lowrank(gn.zeros(3, 4), q=5)
    with pytest.raises(ValueError, match="niter"):
        gn.pca_lowrank(gn.zeros(3, 4), niter=-1)
    with pytest.raises(RuntimeError, match="svd_lowrank"):
        gn.svd_lowrank(gn.zeros(3))
