"""``glassnet.special`` (glassnet/special.py) against ``torch.special``: values and
gradients, and float64 finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn


def _M(x):
    return torch if isinstance(x, torch.Tensor) else gn


# ----------------------------------------------------------------------------- special
SPECIAL = {
    "erf": (lambda x: _M(x).special.erf(x), (-2, 2)),
    "erfc": (lambda x: _M(x).special.erfc(x), (-2, 2)),
    "erfinv": (lambda x: _M(x).special.erfinv(x), (-0.9, 0.9)),
    "expit": (lambda x: _M(x).special.expit(x), (-3, 3)),
    "logit": (lambda x: _M(x).special.logit(x), (0.1, 0.9)),
    "gammaln": (lambda x: _M(x).special.gammaln(x), (0.2, 6)),
    "digamma": (lambda x: _M(x).special.digamma(x), (0.2, 6)),
    "psi": (lambda x: _M(x).special.psi(x), (0.2, 6)),
    "multigammaln": (lambda x: _M(x).special.multigammaln(x, 3), (1.5, 6)),
    "xlog1py": (lambda x: _M(x).special.xlog1py(x, x * x), (-0.9, 2)),
    "entr": (lambda x: _M(x).special.entr(x), (0.05, 3)),
    "ndtr": (lambda x: _M(x).special.ndtr(x), (-3, 3)),
    "ndtri": (lambda x: _M(x).special.ndtri(x), (0.05, 0.95)),
    "log_ndtr": (lambda x: _M(x).special.log_ndtr(x), (-5, 3)),
    "i0": (lambda x: _M(x).special.i0(x), (-8, 8)),
    "i0e": (lambda x: _M(x).special.i0e(x), (-8, 8)),
    "i1": (lambda x: _M(x).special.i1(x), (-8, 8)),
    "i1e": (lambda x: _M(x).special.i1e(x), (-8, 8)),
    "sinc": (lambda x: _M(x).special.sinc(x), (-2, 2)),
    "exp2": (lambda x: _M(x).special.exp2(x), (-2, 2)),
    "log_softmax": (lambda x: _M(x).special.log_softmax(x, 0), (-2, 2)),
    "logsumexp": (lambda x: _M(x).special.logsumexp(x, 0), (-2, 2)),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_parity(name, dtype, rng):
    fn, (lo, hi) = SPECIAL[name]
    tol = {"rtol": 2e-4, "atol": 2e-5} if dtype == np.float32 else {"rtol": 1e-6, "atol": 1e-7}
    check_parity(fn, fn, [rng.uniform(lo, hi, (7,))], dtype=dtype, **tol)


@pytest.mark.parametrize("name", list(SPECIAL))
def test_special_gradcheck(name, rng):
    fn, (lo, hi) = SPECIAL[name]
    gradcheck(fn, [rng.uniform(lo, hi, (7,))])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", ["i0e", "i1e", "i1"])
def test_scaled_bessel_is_finite_for_large_inputs(name, dtype):
    """i0e and i1e stay finite far out (their asymptotic series past |x| = 30, where the power
    series overflows), across the switch at 30; i1 overflows exactly where PyTorch's does."""
    x = np.array([-800.0, -100.0, -31.0, -30.0, -29.9, -1.0, 0.0, 0.5, 10.0, 29.9, 30.0, 30.1,
                  40.0, 90.0, 200.0, 800.0])
    if name == "i1":
        x = x[np.abs(x) < 85]  # float32 i1 overflows near 89
    fn = (lambda lib: lambda t: getattr(lib.special, name)(t))
    check_parity(fn(gn), fn(torch), [x], dtype=dtype)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_log_ndtr_in_the_far_lower_tail(dtype):
    """log_ndtr(-20) is about -203.917 (not -inf): the asymptotic series below x = -10, joined
    to log(erfc(-x / sqrt 2) / 2) above it."""
    x = np.array([-40.0, -20.0, -10.01, -10.0, -9.99, -5.0, 0.0, 3.0])
    check_parity(gn.special.log_ndtr, torch.special.log_ndtr, [x], dtype=dtype)
    assert abs(gn.special.log_ndtr(gn.tensor(-20.0)).item() + 203.917155) < 1e-3


# ----------------------------------------------------------------------------- no gradient
FORWARD_ONLY = ["bessel_j0", "bessel_j1", "bessel_y0", "bessel_y1", "modified_bessel_i0",
                "modified_bessel_i1", "modified_bessel_k0", "modified_bessel_k1",
                "scaled_modified_bessel_k0", "scaled_modified_bessel_k1", "spherical_bessel_j0",
                "airy_ai"]


@pytest.mark.parametrize("name", FORWARD_ONLY)
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_bessel_and_airy_match_torch(name, dtype):
    """Functions PyTorch gives no gradient: values and dtype against torch.special."""
    pytest.importorskip("scipy")
    x = np.concatenate([np.linspace(-8, 8, 33), [0.0, 1e-3, 25.0]]).astype(dtype)
    g = getattr(gn.special, name)(gn.tensor(x))
    t = getattr(torch.special, name)(torch.tensor(x))
    assert str(g.dtype) == str(t.dtype).replace("torch.", "") and not g.requires_grad
    # PyTorch's float64 kernels (Cephes' rational approximations) agree with SciPy's to ~1e-7
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=2e-5, atol=1e-6, equal_nan=True)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_zeta_and_incomplete_gamma_match_torch(dtype):
    pytest.importorskip("scipy")
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0.1, 6, (4, 5)).astype(dtype), rng.uniform(0.1, 6, (4, 5)).astype(dtype)
    tol = 1e-5 if dtype == np.float32 else 1e-9
    pairs = [(gn.special.zeta, torch.special.zeta), (gn.igamma, torch.igamma),
             (gn.igammac, torch.igammac), (gn.special.gammainc, torch.special.gammainc),
             (gn.special.gammaincc, torch.special.gammaincc)]
    for g, t in pairs:
        np.testing.assert_allclose(g(gn.tensor(a), gn.tensor(b)).numpy(),
                                   t(torch.tensor(a), torch.tensor(b)).numpy(), rtol=tol)
    np.testing.assert_allclose(gn.tensor(a).igamma(gn.tensor(b)).numpy(),
                               torch.tensor(a).igamma(torch.tensor(b)).numpy(), rtol=tol)


def test_erfcx_values_and_gradient():
    x = np.linspace(-3, 12, 31)
    f = lambda t: _M(t).special.erfcx(t)
    check_parity(f, f, [x], dtype=np.float64)
    check_parity(f, f, [x])
    gradcheck(f, [x])
