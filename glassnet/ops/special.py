"""Special functions: the error function and its relatives (erf, erfc, erfinv), the gamma
family (lgamma, digamma and polygamma: each derivative is the next polygamma), sinc, and xlogy
(x log y).

The kernels come from scipy.special (cupyx.scipy.special on a GPU) where it is installed, and
from NumPy otherwise: the asymptotic series of digamma and trigamma after lifting x above 6 with
their recurrences, and Newton's method for erfinv. Each op is one pointwise Function made by
``pointwise._unary``: backward is grad * f'(x), with erf'(x) = 2/sqrt(pi) exp(-x^2),
lgamma' = digamma and digamma' = trigamma.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module
from .arithmetic import _shape, _sum_pair
from .pointwise import _chain, _unary


# ----------------------------------------------------------------------------- kernels
def _scipy_special(xp):
    """scipy.special (cupyx.scipy.special on a GPU), or None when it is not installed."""
    try:
        if xp.__name__ != "numpy":
            import cupyx.scipy.special as sp  # type: ignore
        else:
            import scipy.special as sp
    except ImportError:
        return None
    return sp


def lgamma(xp, a):
    sp = _scipy_special(xp)
    if sp is not None:
        return sp.gammaln(a)
    return np.vectorize(lambda v: math.lgamma(v) if v > 0 or v != math.floor(v) else math.inf,
                        otypes=[np.float64])(a)


def digamma(xp, a):
    """psi(x) = d/dx log Gamma(x): the recurrence psi(x) = psi(x + 1) - 1/x lifts x above 6,
    then the asymptotic series; x < 0 by reflection, psi(1 - x) - pi cot(pi x)."""
    sp = _scipy_special(xp)
    if sp is not None:
        return sp.digamma(a)
    x = np.asarray(a, dtype=np.float64)
    neg = x < 0.5
    y = np.where(neg, 1 - x, x)
    acc = np.zeros_like(y)
    while True:
        small = y < 6
        if not small.any():
            break
        acc -= np.where(small, 1 / np.where(small, y, 1), 0)
        y = np.where(small, y + 1, y)
    inv2 = 1 / (y * y)
    res = np.log(y) - 0.5 / y - inv2 * (1 / 12 - inv2 * (1 / 120 - inv2 * (1 / 252 - inv2 / 240)))
    res = res + acc
    with np.errstate(divide="ignore", invalid="ignore"):
        res = np.where(neg, res - np.pi / np.tan(np.pi * x), res)
        res = np.where((x <= 0) & (x == np.floor(x)), np.nan, res)
    return res


def polygamma1(xp, a):
    """psi'(x), the trigamma function: the derivative of digamma."""
    sp = _scipy_special(xp)
    if sp is not None:
        return sp.polygamma(1, a)
    x = np.asarray(a, dtype=np.float64)
    acc = np.zeros_like(x)
    y = x.copy()
    while True:
        small = y < 6
        if not small.any():
            break
        acc += np.where(small, 1 / np.where(small, y, 1) ** 2, 0)
        y = np.where(small, y + 1, y)
    inv = 1 / y
    inv2 = inv * inv
    res = inv + inv2 / 2 + inv * inv2 * (1 / 6 - inv2 * (1 / 30 - inv2 * (1 / 42 - inv2 / 30)))
    return res + acc


def polygamma(xp, n, a):
    """psi^(n)(x), the n-th derivative of digamma (n = 0: digamma; n = 1: trigamma, which
    works without SciPy; n >= 2 needs it)."""
    if n == 0:
        return digamma(xp, a)
    sp = _scipy_special(xp)
    if sp is not None:
        return sp.polygamma(n, a)
    if n == 1:
        return polygamma1(xp, a)
    raise RuntimeError(f"polygamma: n = {n} >= 2 needs SciPy (pip install scipy)")


class Polygamma(Function):
    """psi^(n)(x) for a fixed order n >= 1; d/dx psi^(n)(x) = psi^(n+1)(x), so every
    derivative, of any order, is the next polygamma."""

    @staticmethod
    def forward(ctx, x, n):
        ctx.n = n
        ctx.save_for_backward(x)
        return polygamma(array_module(x), n, x).astype(x.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * polygamma(array_module(x), ctx.n + 1, x).astype(g.dtype, copy=False), None

    @staticmethod
    def differentiable_backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * Polygamma.apply(ctx.input_tensor(0, x), ctx.n + 1), None


def _erf(a):
    """erf(x) = 2/sqrt(pi) * integral from 0 to x of exp(-t^2) dt, elementwise."""
    xp = array_module(a)
    if xp.__name__ != "numpy":
        import cupyx.scipy.special as sp  # type: ignore
        return sp.erf(a)
    try:
        from scipy.special import erf
        return erf(a).astype(a.dtype, copy=False)
    except ImportError:  # Abramowitz-Stegun 7.1.26 refined with a Newton-free series is enough here
        return xp.vectorize(math.erf, otypes=[a.dtype])(a)


def erf(xp, a):
    """erf as a kernel f(xp, a) of the unary table (``_erf`` finds the array library itself)."""
    return _erf(a)


def erfinv(xp, a):
    """The inverse of erf: scipy's where available, else Newton's method from a closed-form
    first guess (Giles' single-precision approximation)."""
    sp = _scipy_special(xp)
    if sp is not None:
        return sp.erfinv(a)
    x = np.asarray(a, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        w = -np.log((1 - x) * (1 + x))
        y = x * np.where(w < 5, 1.5 + 0.25 * (w - 2.5), 3 + (np.sqrt(w) - 3) * 0.3)
        for _ in range(40):
            err = erf(np, y) - x
            y = y - err / (2 / math.sqrt(math.pi) * np.exp(-y * y))
        y = np.where(x == 1, np.inf, np.where(x == -1, -np.inf, y))
        return np.where(np.abs(x) > 1, np.nan, y)


# ----------------------------------------------------------------------------- the Functions
class Erf(Function):
    """erf(x); d/dx = 2/sqrt(pi) exp(-x^2)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = array_module(a)
        return g * (2.0 / 1.7724538509055159) * xp.exp(-a * a)

    @staticmethod
    def differentiable_backward(ctx, g):
        A = ctx.input_tensor(0, ctx.saved_tensors[0])
        return g * (2.0 / math.sqrt(math.pi)) * (-(A * A)).exp()


def _xlogy(x, y):
    """x log(y) on arrays, 0 where x == 0 and y is not NaN; in the dtype of x and y."""
    xp = array_module(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = xp.where((x == 0) & ~xp.isnan(y), 0.0, x * xp.log(y))
    return out.astype(xp.result_type(x, y), copy=False)


class Xlogy(Function):
    """x log(y), and 0 where x == 0 (unless y is NaN).

    Gradients as PyTorch: d/dx = log(y), taken as 0 where x == 0 and y <= 0 (and as 0 where
    the incoming gradient is 0: xlogy(grad, y)); d/dy = x / y.
    """

    @staticmethod
    def forward(ctx, x, y):
        ctx.save_for_backward(x, y)
        return _xlogy(x, y)

    @staticmethod
    def _dx_mask(x, y):
        return (x == 0) & (y <= 0)

    @staticmethod
    def backward(ctx, g):
        x, y = ctx.saved_tensors
        nx, ny = ctx.needs_input_grad
        gx = gy = None
        if nx:
            dx = array_module(g).where(Xlogy._dx_mask(x, y), 0.0, _xlogy(g, y))
            gx = unbroadcast(dx.astype(g.dtype, copy=False), _shape(x))
        if ny:
            with np.errstate(divide="ignore", invalid="ignore"):
                gy = unbroadcast(g * x / y, _shape(y))
        return gx, gy

    @staticmethod
    def differentiable_backward(ctx, g):
        x, y = ctx.saved_tensors
        X, Y = ctx.input_tensor(0, x), ctx.input_tensor(1, y)
        keep = ctx.constant(~Xlogy._dx_mask(x, y), bool)
        return _sum_pair(ctx, lambda: g.xlogy(Y).where(keep, 0.0), lambda: g * X / Y,
                         _shape(x), _shape(y))


Erfc = _unary("Erfc", lambda xp, a: 1 - erf(xp, a) if _scipy_special(xp) is None
              else _scipy_special(xp).erfc(a),
              lambda xp, a, o: -2 / math.sqrt(math.pi) * xp.exp(-a * a),
              "erfc(x) = 1 - erf(x); d/dx = -2/sqrt(pi) exp(-x^2).",
              _chain(lambda A, Y: (-(A * A)).exp() * (-2 / math.sqrt(math.pi))))
Erfinv = _unary("Erfinv", erfinv, lambda xp, a, o: math.sqrt(math.pi) / 2 * xp.exp(o * o),
                "erfinv(x), the y with erf(y) = x; d/dx = sqrt(pi)/2 exp(y^2).",
                _chain(lambda A, Y: (Y * Y).exp() * (math.sqrt(math.pi) / 2)))
Lgamma = _unary("Lgamma", lgamma, lambda xp, a, o: digamma(xp, a),
                "log|Gamma(x)|; d/dx = digamma(x).",
                _chain(lambda A, Y: A.digamma()))
Digamma = _unary("Digamma", digamma, lambda xp, a, o: polygamma1(xp, a),
                 "digamma(x) = d/dx log Gamma(x); d/dx = trigamma(x).",
                 _chain(lambda A, Y: Polygamma.apply(A, 1)))


def _erfcx(xp, a):
    sp = _scipy_special(xp)
    if sp is not None:
        return sp.erfcx(a)
    return xp.exp(a * a) * (1 - erf(xp, a))  # overflows for x > ~9 without SciPy


Erfcx = _unary("Erfcx", _erfcx, lambda xp, a, o: 2 * a * o - 2 / math.sqrt(math.pi),
               "erfcx(x) = exp(x^2) erfc(x), the scaled complementary error function; "
               "d/dx = 2 x erfcx(x) - 2/sqrt(pi).",
               _chain(lambda A, Y: 2 * A * Y - 2 / math.sqrt(math.pi)))


# SciPy's names for torch.special's functions that have no gradient in PyTorch either
# (Bessel functions of integer order, Airy Ai, Hurwitz zeta, the regularised incomplete gamma).
SCIPY_FORWARD_ONLY = {
    "bessel_j0": "j0", "bessel_j1": "j1", "bessel_y0": "y0", "bessel_y1": "y1",
    "modified_bessel_i0": "i0", "modified_bessel_i1": "i1", "modified_bessel_k0": "k0",
    "modified_bessel_k1": "k1", "scaled_modified_bessel_k0": "k0e",
    "scaled_modified_bessel_k1": "k1e", "zeta": "zeta", "gammainc": "gammainc",
    "gammaincc": "gammaincc",
}


def forward_only(name, xp, *arrays):
    """torch.special.``name`` on arrays, from SciPy (float64 inside, cast back by the caller)."""
    sp = _scipy_special(xp)
    if sp is None:
        raise RuntimeError(f"special.{name}: needs SciPy (pip install scipy)")
    if name == "airy_ai":
        return sp.airy(*arrays)[0]
    if name == "spherical_bessel_j0":  # sin(x) / x, 1 at 0
        return sp.spherical_jn(0, *arrays)
    return getattr(sp, SCIPY_FORWARD_ONLY[name])(*arrays)


def _sinc(xp, a):
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.where(a == 0, 1.0, xp.sin(math.pi * a) / (math.pi * a))


def _dsinc(xp, a, o):
    # d/dx sin(pi x)/(pi x) = (cos(pi x) - sinc(x)) / x, and 0 at x = 0
    with np.errstate(divide="ignore", invalid="ignore"):
        return xp.where(a == 0, 0.0, (xp.cos(math.pi * a) - o) / a)


def _sinc_differentiable_backward(ctx, g):
    # d sinc / dx = (cos(pi x) - sinc(x)) / x, set to 0 at x = 0 as PyTorch does
    a, out = ctx.saved_tensors
    A, Y = ctx.input_tensor(0, a), ctx.output_tensor(out)
    zero = a == 0
    safe = A.where(~zero, 1.0)
    return (g * ((math.pi * safe).cos() - Y) / safe).where(~zero, 0.0)


Sinc = _unary("Sinc", _sinc, _dsinc, "sinc(x) = sin(pi x) / (pi x), 1 at 0.",
              _sinc_differentiable_backward)
