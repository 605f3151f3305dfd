"""torch.special's orthogonal polynomials (glassnet/ops/polynomials.py) against PyTorch: every
family at points inside, at and beyond the ends of its interval, for degrees -1 to 12 and
fractional degrees (truncated, as PyTorch truncates them)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn

FAMILIES = ["chebyshev_polynomial_t", "chebyshev_polynomial_u", "chebyshev_polynomial_v",
            "chebyshev_polynomial_w", "shifted_chebyshev_polynomial_t",
            "shifted_chebyshev_polynomial_u", "shifted_chebyshev_polynomial_v",
            "shifted_chebyshev_polynomial_w", "hermite_polynomial_h", "hermite_polynomial_he",
            "laguerre_polynomial_l", "legendre_polynomial_p"]


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_orthogonal_polynomials_match_torch(name, dtype):
    x = np.concatenate([np.linspace(-1.5, 1.5, 13), [-1.0, 0.0, 0.5, 1.0]]).astype(dtype)
    n = np.array([-1, 0, 1, 2, 3, 5, 8, 12, 2.7, -0.5])
    xs, ns = np.meshgrid(x, n)
    g = getattr(gn.special, name)(gn.tensor(xs), gn.tensor(ns.astype(dtype)))
    t = getattr(torch.special, name)(torch.tensor(xs), torch.tensor(ns.astype(dtype)))
    assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    rtol = 1e-4 if dtype == np.float32 else 1e-10
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=rtol, atol=rtol)
    # a number for the degree, as PyTorch allows
    np.testing.assert_allclose(getattr(gn.special, name)(gn.tensor(x), 4).numpy(),
                               getattr(torch.special, name)(torch.tensor(x), 4).numpy(),
                               rtol=rtol, atol=rtol)
