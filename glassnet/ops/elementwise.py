"""Elementwise Functions: arithmetic with broadcasting, and the pointwise maths of the lectures.

Every gradient here is a local derivative times the incoming gradient (the chain rule), followed
by ``unbroadcast`` where the input was broadcast.
"""

from __future__ import annotations

from ..autograd import Function
from ..backend import array_module


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting is summation.

    Broadcasting copies an input along new leading axes and along axes of size 1; each copy
    contributes to the loss, so the input's gradient is the sum of the copies' gradients over
    exactly those axes.
    """
    if grad.shape == shape:
        return grad
    nlead = grad.ndim - len(shape)
    axes = tuple(range(nlead)) + tuple(
        i + nlead for i, s in enumerate(shape) if s == 1 and grad.shape[i + nlead] != 1)
    g = grad.sum(axis=axes, keepdims=True) if axes else grad
    if nlead:
        g = g.reshape(shape)
    return g


def _shape(x):
    return x.shape if hasattr(x, "shape") else ()


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, ctx.sa) if na else None, unbroadcast(g, ctx.sb) if nb else None)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, ctx.sa) if na else None, unbroadcast(-g, ctx.sb) if nb else None)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g * b, _shape(a)) if na else None,
                unbroadcast(g * a, _shape(b)) if nb else None)


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g / b, _shape(a)) if na else None
        gb = unbroadcast(-g * a / (b * b), _shape(b)) if nb else None
        return ga, gb


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g


class Pow(Function):
    """a ** b for tensors a, b (either may be a Python scalar)."""

    @staticmethod
    def forward(ctx, a, b):
        out = a ** b
        ctx.save_for_backward(a, b, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, b, out = ctx.saved_tensors
        xp = array_module(g)
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            # d/da a^b = b a^(b-1); PyTorch defines it as 0 where b == 0.
            if _is_scalar(b):
                ga = g * (b * a ** (b - 1)) if b != 0 else g * 0
            else:
                ga = xp.where(b == 0, 0, g * b * a ** (b - 1))
            ga = unbroadcast(ga, _shape(a))
        if nb:
            # d/db a^b = a^b log a (0 where a == 0 and b >= 0, as PyTorch does)
            loga = xp.log(xp.where(a == 0, 1, a)) if not _is_scalar(a) else xp.log(a if a != 0 else 1)
            gb = unbroadcast(g * out * loga, _shape(b))
        return ga, gb


def _is_scalar(x):
    return not hasattr(x, "shape") or x.shape == ()


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).log1p(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (1 + a)


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * out)


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * array_module(a).sign(a)  # sign(0) = 0, as in PyTorch


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).sin(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * array_module(a).cos(a)


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).cos(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * array_module(a).sin(a)


class Tanh(Function):
    """tanh(x); derivative 1 - tanh(x)^2, computed from the saved output."""

    @staticmethod
    def forward(ctx, a):
        out = array_module(a).tanh(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (1 - out * out)


class Sigmoid(Function):
    """sigma(x) = 1 / (1 + e^-x); derivative sigma(x)(1 - sigma(x)) <= 1/4 (vanishing gradients)."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        # Stable for large |x|: exp is only ever taken of a non-positive number.
        e = xp.exp(-xp.abs(a))
        out = xp.where(a >= 0, 1 / (1 + e), e / (1 + e)).astype(a.dtype, copy=False)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * out * (1 - out)


class ReLU(Function):
    """max(0, x). Its subgradient at 0 is taken as 0, as PyTorch does (the lectures use 1)."""

    @staticmethod
    def forward(ctx, a):
        out = array_module(a).maximum(a, 0)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * (out > 0)


class Clamp(Function):
    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        xp = array_module(a)
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        return out.astype(a.dtype, copy=False) if out is not a else out.copy()

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        mask = True
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = mask & (a <= hi)
        return g * mask, None, None


class Maximum(Function):
    """Elementwise max; where both inputs are equal the gradient is split half and half (PyTorch)."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).maximum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_grads(ctx, g, a, b, a > b)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_grads(ctx, g, a, b, a < b)


def _minmax_grads(ctx, g, a, b, a_wins):
    eq = (a == b) * 0.5
    wa = a_wins + eq
    na, nb = ctx.needs_input_grad
    return (unbroadcast(g * wa, _shape(a)) if na else None,
            unbroadcast(g * (1 - wa), _shape(b)) if nb else None)


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return array_module(a, b).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        return (None, unbroadcast(g * cond, ctx.sa) if na else None,
                unbroadcast(g * ~cond, ctx.sb) if nb else None)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src) if ctx.src.kind == "f" else None, None


class Erf(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return _erf(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = array_module(a)
        return g * (2.0 / 1.7724538509055159) * xp.exp(-a * a)


def _erf(a):
    xp = array_module(a)
    if xp.__name__ != "numpy":
        import cupyx.scipy.special as sp  # type: ignore
        return sp.erf(a)
    try:
        from scipy.special import erf
        return erf(a).astype(a.dtype, copy=False)
    except ImportError:  # Abramowitz-Stegun 7.1.26 refined with a Newton-free series is enough here
        import math
        return xp.vectorize(math.erf, otypes=[a.dtype])(a)
