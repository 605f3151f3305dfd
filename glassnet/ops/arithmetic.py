"""Arithmetic with broadcasting: add, sub, mul, div, neg, pow, maximum and minimum, fmod and
remainder, where, and the dtype cast.

A binary op broadcasts its two inputs to one shape, so the gradient of each input is summed back
to that input's shape: the adjoint of broadcasting is summation (``unbroadcast`` on arrays in
``backward``, ``sum_to_size`` on Tensors in ``differentiable_backward``). Each gradient is a local
derivative times the incoming gradient (the chain rule), e.g. d(a b)/da = b, d(a / b)/db = -a / b^2,
d(a^b)/da = b a^(b-1), d(a^b)/db = a^b log a. ``differentiable_backward`` is the same formula on
Tensors (``create_graph=True``), so that the gradient can be differentiated again.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module, is_differentiable
from .complex import conj


def _shape(x):
    return x.shape if hasattr(x, "shape") else ()


def _sum_pair(ctx, ga, gb, sa, sb):
    """The gradient Tensors of a broadcasting binary op, summed back to the input shapes
    ``sa`` and ``sb``; ``ga()`` / ``gb()`` are only built for an input that needs one."""
    na, nb = ctx.needs_input_grad[:2]
    return (ga().sum_to_size(sa) if na else None, gb().sum_to_size(sb) if nb else None)


class Add(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return a + b

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, ctx.sa) if na else None, unbroadcast(g, ctx.sb) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        return _sum_pair(ctx, lambda: g, lambda: g, ctx.sa, ctx.sb)


class Sub(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return a - b

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad
        return (unbroadcast(g, ctx.sa) if na else None, unbroadcast(-g, ctx.sb) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        return _sum_pair(ctx, lambda: g, lambda: -g, ctx.sa, ctx.sb)


class Mul(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        # complex: d(ab)/da = b, so the gradient is g conj(b) (see ops/complex.py)
        return (unbroadcast(g * conj(b), _shape(a)) if na else None,
                unbroadcast(g * conj(a), _shape(b)) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        return _sum_pair(ctx, lambda: g * conj(B), lambda: g * conj(A), _shape(a), _shape(b))


class Div(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g / conj(b), _shape(a)) if na else None
        gb = unbroadcast(-g * conj(a / (b * b)), _shape(b)) if nb else None
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        return _sum_pair(ctx, lambda: g / conj(B), lambda: -g * conj(A / (B * B)), _shape(a),
                         _shape(b))


class Neg(Function):
    @staticmethod
    def forward(ctx, a):
        return -a

    @staticmethod
    def backward(ctx, g):
        return -g

    @staticmethod
    def differentiable_backward(ctx, g):
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
            # complex: times the conjugate of the derivative (see ops/complex.py)
            if _is_scalar(b):
                ga = g * conj(b * a ** (b - 1)) if b != 0 else g * 0
            else:
                ga = xp.where(b == 0, 0, g * conj(b * a ** (b - 1)))
            ga = unbroadcast(ga, _shape(a))
        if nb:
            # d/db a^b = a^b log a (0 where a == 0 and b >= 0, as PyTorch does)
            loga = xp.log(xp.where(a == 0, 1, a)) if not _is_scalar(a) else xp.log(a if a != 0 else 1)
            gb = unbroadcast(g * conj(out * loga), _shape(b))
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b, out = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            if _is_scalar(b):
                ga = g * conj(B * A ** (B - 1)) if b != 0 else g * 0
            else:  # PyTorch: 0 where the exponent is 0
                ga = (g * conj(B * A ** (B - 1))).where(b != 0, 0.0)
            ga = ga.sum_to_size(_shape(a))
        if nb:
            if hasattr(a, "shape"):  # A is a Tensor
                loga = A.where(a != 0, 1.0).log()
            else:
                loga = np.log(a if a != 0 else 1).item()
            gb = (g * conj(ctx.output_tensor(out) * loga)).sum_to_size(_shape(b))
        return ga, gb


def _is_scalar(x):
    return not hasattr(x, "shape") or x.shape == ()


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

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_differentiable(ctx, g, a, b, a > b)


class Minimum(Function):
    @staticmethod
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a).minimum(a, b)

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_grads(ctx, g, a, b, a < b)

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        return _minmax_differentiable(ctx, g, a, b, a < b)


def _minmax_grads(ctx, g, a, b, a_wins):
    eq = (a == b) * 0.5
    wa = a_wins + eq
    na, nb = ctx.needs_input_grad
    return (unbroadcast(g * wa, _shape(a)) if na else None,
            unbroadcast(g * (1 - wa), _shape(b)) if nb else None)


def _minmax_differentiable(ctx, g, a, b, a_wins):
    wa = ctx.constant(a_wins + (a == b) * 0.5, g.dtype)
    return _sum_pair(ctx, lambda: g * wa, lambda: g * (1 - wa), _shape(a), _shape(b))


class Where(Function):
    @staticmethod
    def forward(ctx, cond, a, b):
        ctx.save_for_backward(cond)
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return array_module(a, b).where(cond, a, b)

    @staticmethod
    def backward(ctx, g):
        # a select, not a product: the side not picked gets exactly 0 even where g is inf or nan
        # (a fully masked row's nan gradient must not leak into the input, as in PyTorch)
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        xp = array_module(g)
        return (None, unbroadcast(xp.where(cond, g, 0), ctx.sa) if na else None,
                unbroadcast(xp.where(cond, 0, g), ctx.sb) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        return (None, g.where(cond, 0.0).sum_to_size(ctx.sa) if na else None,
                g.where(~cond, 0.0).sum_to_size(ctx.sb) if nb else None)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype. Complex to real keeps the
    real part (as PyTorch does), so real to complex gives a real input the real part of its
    complex gradient, and complex to real gives the complex input that gradient plus 0j."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        if a.dtype.kind == "c" and dtype.kind != "c":
            a = a.real
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        if not is_differentiable(ctx.src):
            return None, None
        if g.dtype.kind == "c" and ctx.src.kind != "c":
            g = g.real
        return g.astype(ctx.src), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.to(ctx.src) if is_differentiable(ctx.src) else None, None


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


class NextAfter(Function):
    """The next float after a towards b. It moves a by one unit in the last place, so as
    PyTorch defines it, d/da = 1 and d/db = 0."""

    @staticmethod
    def forward(ctx, a, b):
        ctx.sa, ctx.sb = _shape(a), _shape(b)
        return array_module(a, b).nextafter(a, b)

    @staticmethod
    def backward(ctx, g):
        return (unbroadcast(g, ctx.sa) if ctx.needs_input_grad[0] else None), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return (g.sum_to_size(ctx.sa) if ctx.needs_input_grad[0] else None), None


class Frexp(Function):
    """(mantissa, exponent) with a = mantissa 2^exponent, 0.5 <= |mantissa| < 1. The exponent
    is constant between powers of two, so d mantissa / da = 2^-exponent."""

    @staticmethod
    def forward(ctx, a):
        m, e = array_module(a).frexp(a)
        ctx.save_for_backward(e)
        return m, e.astype(np.int32)  # an integer output: never differentiable

    @staticmethod
    def backward(ctx, gm, ge=None):
        (e,) = ctx.saved_tensors
        return gm * array_module(gm).ldexp(gm.dtype.type(1), -e)

    @staticmethod
    def differentiable_backward(ctx, gm, ge=None):
        (e,) = ctx.saved_tensors
        return gm * ctx.constant(array_module(e).ldexp(1.0, -e), gm.dtype)
