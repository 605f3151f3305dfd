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


def test_xlogy_matches_torch_at_zero_and_nan(rng):
    """xlogy's value and both gradients at x == 0 (with y > 0, 0, < 0, NaN, inf), and elsewhere,
    for torch.xlogy, torch.special.xlogy and Tensor.xlogy; and the gradient of the gradient."""
    import torch

    import glassnet as gn

    x = np.concatenate([[0.0, 0.0, 0.0, 0.0, 0.0, 1.0, -0.0], rng.uniform(-2, 2, 6)])
    y = np.concatenate([[2.0, 0.0, -1.0, np.nan, np.inf, 0.0, 3.0], rng.uniform(0.1, 3, 6)])
    for g_fn, t_fn in ((gn.xlogy, torch.xlogy), (gn.special.xlogy, torch.special.xlogy),
                       (lambda a, b: a.xlogy(b), lambda a, b: a.xlogy(b))):
        for dtype in (np.float32, np.float64):
            with np.errstate(all="ignore"):
                check_parity(g_fn, t_fn, [x, y], dtype=dtype)
    # a zero upstream gradient gives 0 to x even where log(y) is -inf (xlogy(grad, y))
    with np.errstate(all="ignore"):
        check_parity(gn.xlogy, torch.xlogy, [np.array([1.0, 2.0]), np.array([0.0, 3.0])],
                     dtype=np.float64, upstream=np.array([0.0, 1.0]))
    # broadcasting, and the second derivative through the differentiable backward
    xs, ys = rng.uniform(0.5, 2, (3, 1)), rng.uniform(0.5, 2, (4,))
    check_parity(gn.xlogy, torch.xlogy, [xs, ys], dtype=np.float64)
    out = []
    for lib in (gn, torch):
        a = lib.tensor(xs, requires_grad=True)
        b = lib.tensor(ys, requires_grad=True)
        ga, gb = lib.autograd.grad(lib.xlogy(a, b).sum(), (a, b), create_graph=True)
        out.append([t.detach().numpy() for t in lib.autograd.grad((ga * ga).sum() + gb.sum(),
                                                                   (a, b))])
    for g, t in zip(*out):
        np.testing.assert_allclose(g, t, rtol=1e-7, atol=1e-7)


def test_polygamma_gradient_is_the_next_polygamma():
    """d/dx psi^(n)(x) = psi^(n+1)(x): first and second derivatives against PyTorch and
    finite differences."""
    import pytest
    import torch
    from helpers import gradcheck

    import glassnet as gn

    x = np.random.default_rng(0).uniform(-3.7, 6.0, (4, 5))
    x = np.where(np.abs(x - np.round(x)) < 0.1, x + 0.25, x)  # away from the poles
    for n in range(5):
        f = lambda t, n=n: t.polygamma(n)
        check_parity(f, f, [x], dtype=np.float64)
        check_parity(f, f, [np.abs(x) + 0.5], rtol=1e-3)
        gradcheck(lambda t, n=n: gn.polygamma(n, t), [x])
        gradcheck(lambda t, n=n: gn.special.polygamma(n, t), [x])
    a = gn.tensor(x[:2, :2], requires_grad=True)
    for n in range(3):
        assert gn.autograd.gradgradcheck(lambda t, n=n: t.polygamma(n), (a,))
    (g,) = gn.autograd.grad(a.digamma().sum(), a, create_graph=True)
    (gg,) = gn.autograd.grad(g.sum(), a)
    t = torch.tensor(x[:2, :2], requires_grad=True)
    (tg,) = torch.autograd.grad(t.digamma().sum(), t, create_graph=True)
    (tgg,) = torch.autograd.grad(tg.sum(), t)
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-7)
    with pytest.raises(RuntimeError, match="polygamma"):
        gn.tensor([1.0]).polygamma(-1)
