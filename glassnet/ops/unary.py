"""More pointwise Functions: inverse trigonometric and hyperbolic functions, exp2/expm1,
erfc/erfinv, lgamma/digamma, sinc, and the binary atan2, fmod and remainder.

Each unary op is one Function made from a forward kernel f(xp, a) and its derivative
f'(xp, a, out); backward is the chain rule, grad * f'(a). Its ``differentiable_backward``
(``create_graph=True``) is the same product with f' written on Tensors (``_chain``), so that
the second derivative flows through f' back into the graph.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module
from .elementwise import _shape, _sum_pair


def _unary(name, forward, derivative, doc, differentiable_backward):
    """A pointwise Function: ``differentiable_backward`` is ``_chain(f')`` with f' on Tensors,
    another function of (ctx, grad), or None for an op without a second derivative."""

    def fwd(ctx, a):
        out = forward(array_module(a), a)
        out = out.astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    def bwd(ctx, g):
        a, out = ctx.saved_tensors
        return (g * derivative(array_module(g), a, out)).astype(g.dtype, copy=False)

    if differentiable_backward is not None:
        differentiable_backward = staticmethod(differentiable_backward)
    return type(name, (Function,), {"forward": staticmethod(fwd), "backward": staticmethod(bwd),
                                    "differentiable_backward": differentiable_backward,
                                    "__doc__": doc})


def _chain(derivative):
    """grad * f'(x) on Tensors, with ``derivative(A, Y)`` given the input A and the output Y
    as graph-connected Tensors."""

    def differentiable_backward(ctx, g):
        a, out = ctx.saved_tensors
        return g * derivative(ctx.input_tensor(0, a), ctx.output_tensor(out))

    return differentiable_backward


# ----------------------------------------------------------------------------- special functions
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


def erf(xp, a):
    from .elementwise import _erf

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


# ----------------------------------------------------------------------------- the unary table
_LN2, _LN10 = math.log(2.0), math.log(10.0)

Asin = _unary("Asin", lambda xp, a: xp.arcsin(a), lambda xp, a, o: 1 / xp.sqrt(1 - a * a),
              "asin(x); d/dx = 1 / sqrt(1 - x^2).",
              _chain(lambda A, Y: 1 / (1 - A * A).sqrt()))
Acos = _unary("Acos", lambda xp, a: xp.arccos(a), lambda xp, a, o: -1 / xp.sqrt(1 - a * a),
              "acos(x); d/dx = -1 / sqrt(1 - x^2).",
              _chain(lambda A, Y: -1 / (1 - A * A).sqrt()))
Atan = _unary("Atan", lambda xp, a: xp.arctan(a), lambda xp, a, o: 1 / (1 + a * a),
              "atan(x); d/dx = 1 / (1 + x^2).",
              _chain(lambda A, Y: 1 / (1 + A * A)))
Sinh = _unary("Sinh", lambda xp, a: xp.sinh(a), lambda xp, a, o: xp.cosh(a),
              "sinh(x); d/dx = cosh(x).",
              _chain(lambda A, Y: A.cosh()))
Cosh = _unary("Cosh", lambda xp, a: xp.cosh(a), lambda xp, a, o: xp.sinh(a),
              "cosh(x); d/dx = sinh(x).",
              _chain(lambda A, Y: A.sinh()))
Asinh = _unary("Asinh", lambda xp, a: xp.arcsinh(a), lambda xp, a, o: 1 / xp.sqrt(a * a + 1),
               "asinh(x); d/dx = 1 / sqrt(x^2 + 1).",
               _chain(lambda A, Y: 1 / (A * A + 1).sqrt()))
Acosh = _unary("Acosh", lambda xp, a: xp.arccosh(a), lambda xp, a, o: 1 / xp.sqrt(a * a - 1),
               "acosh(x); d/dx = 1 / sqrt(x^2 - 1).",
               _chain(lambda A, Y: 1 / (A * A - 1).sqrt()))
Atanh = _unary("Atanh", lambda xp, a: xp.arctanh(a), lambda xp, a, o: 1 / (1 - a * a),
               "atanh(x); d/dx = 1 / (1 - x^2).",
               _chain(lambda A, Y: 1 / (1 - A * A)))
Tan = _unary("Tan", lambda xp, a: xp.tan(a), lambda xp, a, o: 1 + o * o,
             "tan(x); d/dx = 1 + tan(x)^2.",
             _chain(lambda A, Y: 1 + Y * Y))
Expm1 = _unary("Expm1", lambda xp, a: xp.expm1(a), lambda xp, a, o: o + 1,
               "exp(x) - 1, accurate near 0; d/dx = exp(x).",
               _chain(lambda A, Y: Y + 1))
Exp2 = _unary("Exp2", lambda xp, a: xp.exp2(a), lambda xp, a, o: o * math.log(2),
              "2^x; d/dx = 2^x ln 2.",
              _chain(lambda A, Y: Y * _LN2))
Log2 = _unary("Log2", lambda xp, a: xp.log2(a), lambda xp, a, o: 1 / (a * math.log(2)),
              "log2(x); d/dx = 1 / (x ln 2).",
              _chain(lambda A, Y: 1 / (A * _LN2)))
Log10 = _unary("Log10", lambda xp, a: xp.log10(a), lambda xp, a, o: 1 / (a * math.log(10)),
               "log10(x); d/dx = 1 / (x ln 10).",
               _chain(lambda A, Y: 1 / (A * _LN10)))
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
# No second derivative: that would need polygamma(2, x).
Digamma = _unary("Digamma", digamma, lambda xp, a, o: polygamma1(xp, a),
                 "digamma(x) = d/dx log Gamma(x); d/dx = trigamma(x).", None)


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


# ----------------------------------------------------------------------------- binary
class Atan2(Function):
    """atan2(y, x), the angle of the point (x, y); d/dy = x / r^2, d/dx = -y / r^2."""

    @staticmethod
    def forward(ctx, y, x):
        ctx.save_for_backward(y, x)
        return array_module(y, x).arctan2(y, x)

    @staticmethod
    def backward(ctx, g):
        y, x = ctx.saved_tensors
        r2 = x * x + y * y
        ny, nx = ctx.needs_input_grad
        return (unbroadcast(g * x / r2, _shape(y)) if ny else None,
                unbroadcast(-g * y / r2, _shape(x)) if nx else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        y, x = ctx.saved_tensors
        Y, X = ctx.input_tensor(0, y), ctx.input_tensor(1, x)
        r2 = X * X + Y * Y
        return _sum_pair(ctx, lambda: g * X / r2, lambda: -g * Y / r2, _shape(y), _shape(x))


class _ModBase(Function):
    """a - q b with q = trunc(a / b) (fmod) or floor(a / b) (remainder); d/da = 1, d/db = -q."""

    kernel = rounding = None

    @classmethod
    def forward(cls, ctx, a, b):
        xp = array_module(a, b)
        ctx.save_for_backward(a, b)
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return getattr(xp, cls.kernel)(a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        xp = array_module(g)
        na, nb = ctx.needs_input_grad
        gb = None
        if nb:
            q = getattr(xp, cls.rounding)(a / b)
            gb = unbroadcast(-g * q, ctx.sb)
        return (unbroadcast(g, ctx.sa) if na else None), gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        q = getattr(array_module(g._data), ctx.fn.rounding)(a / b)
        return _sum_pair(ctx, lambda: g, lambda: -g * ctx.constant(q, g.dtype), ctx.sa, ctx.sb)


class Fmod(_ModBase):
    kernel, rounding = "fmod", "trunc"


class Remainder(_ModBase):
    kernel, rounding = "remainder", "floor"
