"""The special functions of glassnet/ops/special.py: erf against PyTorch, and the NumPy
fallbacks of lgamma, digamma, trigamma and erfinv (used without SciPy) against SciPy's values."""

from __future__ import annotations

import numpy as np
from helpers import check_parity, randn


def test_erf_matches_torch(rng):
    x = randn(rng, (50,), scale=2)
    check_parity(lambda t: t.erf(), lambda t: t.erf(), [x], dtype=np.float64)


def test_special_without_scipy(monkeypatch):
    """The NumPy fallbacks of lgamma, digamma, trigamma and erfinv agree with SciPy's."""
    from glassnet.ops import special as S

    x = np.linspace(-3.7, 9.0, 41)
    x = x[np.abs(x - np.round(x)) > 1e-3]
    p = np.linspace(-0.99, 0.99, 23)
    with_scipy = (S.lgamma(np, np.abs(x)), S.digamma(np, x), S.polygamma1(np, np.abs(x) + 0.1),
                  S.erfinv(np, p))
    monkeypatch.setattr(S, "_scipy_special", lambda xp: None)
    without = (S.lgamma(np, np.abs(x)), S.digamma(np, x), S.polygamma1(np, np.abs(x) + 0.1),
               S.erfinv(np, p))
    for a, b in zip(with_scipy, without):
        np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9)
