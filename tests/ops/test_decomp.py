"""glassnet/ops/decomp.py: the gradients of the SVD (through U, S and Vh) and of the QR
decomposition, against PyTorch and float64 finite differences (first and second order).

U and V are fixed only up to the sign of each singular pair, so the losses here read them
through sign-invariant functions (squares of their entries), as PyTorch's own tests do."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck

import glassnet as gn


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else gn


def _svd_invariant(full):
    def f(x):
        u, s, vh = _lib(x).linalg.svd(x, full_matrices=full)
        k = s.shape[-1]
        return (u[..., :, :k] ** 2, s, vh[..., :k, :] ** 2)
    return f


@pytest.mark.parametrize("shape", [(4, 3), (3, 5), (3, 3), (2, 4, 2), (2, 2, 5)])
@pytest.mark.parametrize("full", [False, True])
def test_svd_gradient_through_u_s_vh(shape, full):
    a = np.random.default_rng(0).standard_normal(shape)
    check_parity(_svd_invariant(full), _svd_invariant(full), [a], dtype=np.float64)
    check_parity(_svd_invariant(full), _svd_invariant(full), [a], rtol=1e-3, atol=1e-4)
    gradcheck(_svd_invariant(full), [a])


@pytest.mark.parametrize("shape", [(4, 3), (3, 5)])
def test_svd_one_factor_at_a_time_and_legacy_svd(shape):
    a = np.random.default_rng(1).standard_normal(shape)
    only_u = lambda x: _lib(x).linalg.svd(x, full_matrices=False)[0] ** 2
    only_vh = lambda x: _lib(x).linalg.svd(x, full_matrices=False)[2] ** 2
    legacy_v = lambda x: _lib(x).svd(x)[2] ** 2
    for f in (only_u, only_vh, legacy_v):
        check_parity(f, f, [a], dtype=np.float64)
        gradcheck(f, [a])


def test_svd_second_order():
    a = gn.tensor(np.random.default_rng(2).standard_normal((3, 2)), requires_grad=True)
    assert gn.autograd.gradgradcheck(lambda x: _svd_invariant(False)(x), (a,))


def _qr(mode):
    def f(x):
        q, r = _lib(x).linalg.qr(x, mode=mode)
        return q, r
    return f


@pytest.mark.filterwarnings("ignore:torch.qr is deprecated")
@pytest.mark.parametrize("shape, mode", [
    ((5, 3), "reduced"), ((3, 3), "reduced"), ((3, 5), "reduced"), ((2, 4, 3), "reduced"),
    ((2, 2, 4), "reduced"), ((3, 3), "complete"), ((3, 5), "complete"), ((2, 2, 4), "complete")])
def test_qr_gradient(shape, mode):
    a = np.random.default_rng(3).standard_normal(shape)
    check_parity(_qr(mode), _qr(mode), [a], dtype=np.float64)
    check_parity(_qr(mode), _qr(mode), [a], rtol=1e-3, atol=1e-4)
    gradcheck(_qr(mode), [a])
    only_r = lambda x: _lib(x).linalg.qr(x)[1]
    only_q = lambda x: x.qr()[0]
    for f in (only_r, only_q):
        check_parity(f, f, [a], dtype=np.float64)


def test_qr_second_order():
    a = gn.tensor(np.random.default_rng(4).standard_normal((3, 2)), requires_grad=True)
    assert gn.autograd.gradgradcheck(lambda x: gn.linalg.qr(x), (a,))


def test_qr_not_differentiable_where_pytorch_refuses():
    a = np.random.default_rng(5).standard_normal((4, 2))
    for mode, pick in (("r", 1), ("complete", 0)):
        for lib in (gn, torch):
            x = lib.tensor(a, requires_grad=True)
            with pytest.raises(RuntimeError, match="qr|QR"):
                lib.linalg.qr(x, mode=mode)[pick].sum().backward()
