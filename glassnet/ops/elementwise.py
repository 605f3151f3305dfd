"""Elementwise Functions: arithmetic with broadcasting, and the pointwise maths of the lectures.

Every gradient here is a local derivative times the incoming gradient (the chain rule), followed
by ``unbroadcast`` where the input was broadcast. ``differentiable_backward`` is the same
formula on Tensors (``create_graph=True``), so that the gradient can be differentiated again.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module


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
        return (unbroadcast(g * b, _shape(a)) if na else None,
                unbroadcast(g * a, _shape(b)) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        return _sum_pair(ctx, lambda: g * B, lambda: g * A, _shape(a), _shape(b))


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

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        return _sum_pair(ctx, lambda: g / B, lambda: -g * A / (B * B), _shape(a), _shape(b))


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

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b, out = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        na, nb = ctx.needs_input_grad
        ga = gb = None
        if na:
            if _is_scalar(b):
                ga = g * (B * A ** (B - 1)) if b != 0 else g * 0
            else:  # PyTorch: 0 where the exponent is 0
                ga = (g * B * A ** (B - 1)).where(b != 0, 0.0)
            ga = ga.sum_to_size(_shape(a))
        if nb:
            if hasattr(a, "shape"):  # A is a Tensor
                loga = A.where(a != 0, 1.0).log()
            else:
                loga = float(np.log(a if a != 0 else 1))
            gb = (g * ctx.output_tensor(out) * loga).sum_to_size(_shape(b))
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

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.output_tensor(ctx.saved_tensors[0])


class Log(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).log(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / a

    @staticmethod
    def differentiable_backward(ctx, g):
        return g / ctx.input_tensor(0, ctx.saved_tensors[0])


class Log1p(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).log1p(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g / (1 + a)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g / (1 + ctx.input_tensor(0, ctx.saved_tensors[0]))


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

    @staticmethod
    def differentiable_backward(ctx, g):
        return g / (2 * ctx.output_tensor(ctx.saved_tensors[0]))


class Abs(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).abs(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * array_module(a).sign(a)  # sign(0) = 0, as in PyTorch

    @staticmethod
    def differentiable_backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * ctx.constant(array_module(a).sign(a), g.dtype)


class Sin(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).sin(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return g * array_module(a).cos(a)

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.input_tensor(0, ctx.saved_tensors[0]).cos()


class Cos(Function):
    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return array_module(a).cos(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        return -g * array_module(a).sin(a)

    @staticmethod
    def differentiable_backward(ctx, g):
        return -g * ctx.input_tensor(0, ctx.saved_tensors[0]).sin()


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

    @staticmethod
    def differentiable_backward(ctx, g):
        y = ctx.output_tensor(ctx.saved_tensors[0])
        return g * (1 - y * y)


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

    @staticmethod
    def differentiable_backward(ctx, g):
        a, lo, hi = ctx.saved_tensors
        mask = np.True_
        if lo is not None:
            mask = a >= lo
        if hi is not None:
            mask = mask & (a <= hi)
        return g * ctx.constant(mask, g.dtype), None, None


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
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        return (None, unbroadcast(g * cond, ctx.sa) if na else None,
                unbroadcast(g * ~cond, ctx.sb) if nb else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        (cond,) = ctx.saved_tensors
        _, na, nb = ctx.needs_input_grad
        return (None, g.where(cond, 0.0).sum_to_size(ctx.sa) if na else None,
                g.where(~cond, 0.0).sum_to_size(ctx.sb) if nb else None)


class Cast(Function):
    """Change dtype; the gradient is cast back to the input's dtype."""

    @staticmethod
    def forward(ctx, a, dtype):
        ctx.src = a.dtype
        return a.astype(dtype)

    @staticmethod
    def backward(ctx, g):
        return g.astype(ctx.src) if ctx.src.kind == "f" else None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.to(ctx.src) if ctx.src.kind == "f" else None, None


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

    @staticmethod
    def differentiable_backward(ctx, g):
        A = ctx.input_tensor(0, ctx.saved_tensors[0])
        return g * (2.0 / math.sqrt(math.pi)) * (-(A * A)).exp()


def _erf(a):
    xp = array_module(a)
    if xp.__name__ != "numpy":
        import cupyx.scipy.special as sp  # type: ignore
        return sp.erf(a)
    try:
        from scipy.special import erf
        return erf(a).astype(a.dtype, copy=False)
    except ImportError:  # Abramowitz-Stegun 7.1.26 refined with a Newton-free series is enough here
        return xp.vectorize(math.erf, otypes=[a.dtype])(a)
