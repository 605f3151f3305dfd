"""The matrix exponential (glassnet/ops/matrix_exp.py) against PyTorch: one matrix at norms
that select each Taylor degree (1, 2, 4, 8, 12, 18 with scaling), batches (degree 18 for all),
complex matrices, the trivial sizes, the gradient and its second derivative, and float64
finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck

import glassnet as gn

# 1-norms inside each degree's interval for float32 (1e-8 -> T1 ... 2.0 -> T18 with one
# squaring) and well beyond (40: five squarings).
NORMS = [1e-8, 1e-5, 1e-3, 0.3, 1.2, 2.0, 40.0]


def _scaled(rng, shape, norm):
    a = rng.standard_normal(shape)
    return a / np.abs(a).sum(-2).max(-1)[..., None, None] * norm


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 5)])
def test_matrix_exp_matches_pytorch(norm, shape, rng):
    a = _scaled(rng, shape, norm)
    for dtype, rtol in ((np.float32, 1e-5), (np.float64, 1e-12)):
        g = gn.matrix_exp(gn.tensor(a.astype(dtype))).numpy()
        t = torch.matrix_exp(torch.tensor(a.astype(dtype))).numpy()
        scale = np.abs(t).max()
        np.testing.assert_allclose(g, t, rtol=0, atol=rtol * scale)


def test_matrix_exp_float32_large_norm_batch():
    """The OpInfo case that used to differ: a (5, 5, 5) batch with norms near 27, values up to
    1e5 after four squarings; the answer agrees with PyTorch to float32 rounding and with the
    float64 exponential as closely as PyTorch's does."""
    rng = np.random.default_rng(0)
    a = rng.uniform(-9, 9, (5, 5, 5)).astype(np.float32)
    g = gn.matrix_exp(gn.tensor(a)).numpy().astype(np.float64)
    t = torch.matrix_exp(torch.tensor(a)).numpy().astype(np.float64)
    exact = torch.matrix_exp(torch.tensor(a, dtype=torch.float64)).numpy()
    scale = np.abs(exact).max()
    assert np.abs(g - t).max() < 1e-6 * scale
    assert np.abs(g - exact).max() <= 2 * np.abs(t - exact).max() + 1e-7 * scale


@pytest.mark.parametrize("norm", [0.05, 0.9, 5.0])
def test_matrix_exp_complex(norm, rng):
    a = _scaled(rng, (2, 3, 3), norm) + 1j * _scaled(rng, (2, 3, 3), norm)
    for dtype in (np.complex64, np.complex128):
        g = gn.matrix_exp(gn.tensor(a.astype(dtype))).numpy()
        t = torch.matrix_exp(torch.tensor(a.astype(dtype))).numpy()
        assert g.dtype == dtype
        np.testing.assert_allclose(g, t, rtol=0, atol=2e-6 * np.abs(t).max())


def test_matrix_exp_trivial_sizes_and_nan():
    for shape in ((0, 0), (2, 0, 0), (3, 1, 1)):
        x = np.random.default_rng(1).standard_normal(shape)
        np.testing.assert_allclose(gn.matrix_exp(gn.tensor(x)).numpy(),
                                   torch.matrix_exp(torch.tensor(x)).numpy())
    x = np.array([[[np.nan, 0.0], [0.0, 1.0]], [[0.5, 0.1], [0.0, 0.2]]])
    g, t = gn.matrix_exp(gn.tensor(x)).numpy(), torch.matrix_exp(torch.tensor(x)).numpy()
    np.testing.assert_allclose(g, t)
    assert np.isnan(g[0]).all()


@pytest.mark.parametrize("norm", [0.02, 0.7, 6.0])
def test_matrix_exp_gradient(norm, rng):
    for shape in ((3, 3), (2, 4, 4)):
        a = _scaled(rng, shape, norm)
        check_parity(gn.matrix_exp, torch.matrix_exp, [a], dtype=np.float64)
        check_parity(gn.matrix_exp, torch.matrix_exp, [a], dtype=np.float32, rtol=1e-4,
                     atol=1e-5 * max(1.0, np.exp(norm)))
        gradcheck(gn.matrix_exp, [a])


def test_matrix_exp_second_derivative(rng):
    a = _scaled(rng, (3, 3), 1.5)
    w = rng.standard_normal((3, 3))
    v = rng.standard_normal((3, 3))

    def hvp(lib, x):
        x = lib.tensor(x, requires_grad=True)
        (g,) = lib.autograd.grad((lib.matrix_exp(x) * lib.tensor(w)).sum(), x,
                                 create_graph=True)
        (h,) = lib.autograd.grad((g * lib.tensor(v)).sum(), x)
        return h.detach().numpy()

    np.testing.assert_allclose(hvp(gn, a), hvp(torch, a), rtol=1e-10, atol=1e-10)
