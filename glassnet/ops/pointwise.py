"""Pointwise maths: exp and log (log1p, expm1, exp2, log2, log10), sqrt, abs, the
trigonometric and hyperbolic functions and their inverses, atan2, and the activations of the
lectures (tanh, sigmoid, relu, clamp).

Every gradient is the local derivative times the incoming gradient (the chain rule):
grad * f'(x), e.g. exp' = exp, tanh' = 1 - tanh^2, sigmoid' = sigmoid (1 - sigmoid); for a
complex x, grad * conj(f'(x)) (PyTorch's convention, see ops/complex.py).
``differentiable_backward`` is the same product written on Tensors (``create_graph=True``), so
that the gradient can be differentiated again. The table ops are each one Function made by
``_unary`` from a forward kernel f(xp, a) and its derivative f'(xp, a, out); their
differentiable backward (``_chain``) writes f' on Tensors, so the second derivative flows through
f' back into the graph. The special functions (erf, lgamma, ...) are in ``special.py``.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module
from .arithmetic import _shape, _sum_pair
from .complex import conj, sgn


class Exp(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).exp(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g * conj(out)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * conj(ctx.output_tensor(ctx.saved_tensors[0]))


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / conj(a)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g / conj(ctx.input_tensor(0, ctx.saved_tensors[0]))


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).log1p(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / conj(1 + a)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g / conj(1 + ctx.input_tensor(0, ctx.saved_tensors[0]))


class Sqrt(Function):
    @staticmethod
    def forward(ctx, a):
        out = array_module(a).sqrt(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        return g / (2 * conj(out))

    @staticmethod
    def differentiable_backward(ctx, g):
        return g / (2 * conj(ctx.output_tensor(ctx.saved_tensors[0])))


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        # sign(0) = 0, as in PyTorch; complex: d|z| = Re(conj(z/|z|) dz), so g z/|z|
        return g * sgn(a)

    @staticmethod
    def differentiable_backward(ctx, g):
        (a,) = ctx.saved_tensors
        if a.dtype.kind == "c":  # z/|z| depends on z: keep it in the graph
            A = ctx.input_tensor(0, a)
            return (g * A / A.abs().where(a != 0, 1.0)).where(a != 0, 0.0)
        return g * ctx.constant(array_module(a).sign(a), g.dtype)


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).sin(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * conj(array_module(a).cos(a))

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * conj(ctx.input_tensor(0, ctx.saved_tensors[0]).cos())


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).cos(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * conj(array_module(a).sin(a))

    @staticmethod
    def differentiable_backward(ctx, g):
        return -g * conj(ctx.input_tensor(0, ctx.saved_tensors[0]).sin())


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
        return g * conj(1 - out * out)

    @staticmethod
    def differentiable_backward(ctx, g):
        y = ctx.output_tensor(ctx.saved_tensors[0])
        return g * conj(1 - y * y)


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

    @staticmethod
    def differentiable_backward(ctx, g):
        y = ctx.output_tensor(ctx.saved_tensors[0])
        return g * y * (1 - y)


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

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.constant(ctx.saved_tensors[0] > 0, g.dtype)


class Clamp(Function):
    """min(max(x, lo), hi), with ``lo`` and ``hi`` numbers, arrays (broadcasting) or None.

    As PyTorch: x gets the gradient where lo <= x <= hi (ties included); a tensor lo gets it
    where x < lo and lo < hi; a tensor hi where x > hi or hi < lo (when lo > hi the output is hi).
    """

    @staticmethod
    def forward(ctx, a, lo, hi):
        ctx.save_for_backward(a, lo, hi)
        xp = array_module(a)
        out = a
        if lo is not None:
            out = xp.maximum(out, lo)
        if hi is not None:
            out = xp.minimum(out, hi)
        ctx.shape = _shape(out)
        return out.astype(a.dtype, copy=False) if out is not a else out.copy()

    @staticmethod
    def _masks(ctx):
        """(x's mask, lo's mask, hi's mask) of where each receives the gradient."""
        a, lo, hi = ctx.saved_tensors
        _, nlo, nhi = ctx.needs_input_grad
        mask = np.True_
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = mask & (a <= hi)
        mlo = mhi = None
        if nlo:
            mlo = (a < lo) & (lo < hi) if hi is not None else a < lo
        if nhi:
            mhi = (a > hi) | (hi < lo) if lo is not None else a > hi
        return mask, mlo, mhi

    @staticmethod
    def backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        mask, mlo, mhi = Clamp._masks(ctx)
        ga = unbroadcast(g * mask, _shape(a)) if ctx.needs_input_grad[0] else None
        return (ga, None if mlo is None else unbroadcast(g * mlo, _shape(lo)),
                None if mhi is None else unbroadcast(g * mhi, _shape(hi)))

    @staticmethod
    def differentiable_backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        mask, mlo, mhi = Clamp._masks(ctx)
        xp = array_module(a)

        def part(m, shape):
            return (g * ctx.constant(xp.broadcast_to(m, ctx.shape), g.dtype)).sum_to_size(shape)

        return (part(mask, _shape(a)) if ctx.needs_input_grad[0] else None,
                None if mlo is None else part(mlo, _shape(lo)),
                None if mhi is None else part(mhi, _shape(hi)))


# ----------------------------------------------------------------------------- the unary table
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
        return (g * conj(derivative(array_module(g), a, out))).astype(g.dtype, copy=False)

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
        return g * conj(derivative(ctx.input_tensor(0, a), ctx.output_tensor(out)))

    return differentiable_backward


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
