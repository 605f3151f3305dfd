"""Differentiable gradients of the primitive ops in glassnet/ops (used by ``create_graph=True``).

Each formula is the op's ``backward`` rewritten with Tensor operations, so that the gradient it
returns is recorded in the graph and can be differentiated again (glassnet/_double_backward.py).
``I(ctx, i, a)`` is forward argument ``i`` as a graph-connected Tensor with the saved value ``a``,
``O(ctx, a)`` the op's own output: the second derivative of tanh, for instance, flows through
``1 - tanh(x)^2`` back into the tanh node itself, exactly as the chain rule asks.
"""

from __future__ import annotations

import math

import numpy as np

from . import autograd
from ._grad_registry import O, Relabel, _unsupported, const, register, sum_to
from ._grad_registry import input_tensor as I
from .backend import array_module
from .ops import elementwise as E
from .ops import reduce as R
from .ops import scan as SC
from .ops import unary as U
from .tensor import _Clone, _Contig, _ToDevice
from .tensor_arith import where


def _shape(x):
    return tuple(x.shape) if hasattr(x, "shape") else ()


def _pair(ctx, ga, gb, sa, sb):
    na, nb = ctx.needs_input_grad[:2]
    return (sum_to(ga(), sa) if na else None, sum_to(gb(), sb) if nb else None)


register(_Clone, _Contig)(lambda ctx, g: (g, None))
register(_ToDevice)(lambda ctx, g: (g.to(ctx.src), None))


# ----------------------------------------------------------------------------- arithmetic
@register(E.Add)
def _add(ctx, g):
    return _pair(ctx, lambda: g, lambda: g, ctx.sa, ctx.sb)


@register(E.Sub)
def _sub(ctx, g):
    return _pair(ctx, lambda: g, lambda: -g, ctx.sa, ctx.sb)


@register(E.Mul)
def _mul(ctx, g):
    a, b = ctx.saved_tensors
    A, B = I(ctx, 0, a), I(ctx, 1, b)
    return _pair(ctx, lambda: g * B, lambda: g * A, _shape(a), _shape(b))


@register(E.Div)
def _div(ctx, g):
    a, b = ctx.saved_tensors
    A, B = I(ctx, 0, a), I(ctx, 1, b)
    return _pair(ctx, lambda: g / B, lambda: -g * A / (B * B), _shape(a), _shape(b))


register(E.Neg)(lambda ctx, g: -g)


@register(E.Pow)
def _pow(ctx, g):
    a, b, out = ctx.saved_tensors
    A, B = I(ctx, 0, a), I(ctx, 1, b)
    na, nb = ctx.needs_input_grad
    ga = gb = None
    if na:
        if not hasattr(b, "shape") or b.shape == ():
            ga = g * (B * A ** (B - 1)) if b != 0 else g * 0
        else:  # PyTorch: 0 where the exponent is 0
            ga = where(b == 0, 0.0, g * B * A ** (B - 1))
        ga = sum_to(ga, _shape(a))
    if nb:
        if isinstance(A, autograd._Tensor):
            loga = where(a == 0, 1.0, A).log()
        else:
            loga = float(np.log(a if a != 0 else 1))
        gb = sum_to(g * O(ctx, out) * loga, _shape(b))
    return ga, gb


register(E.Exp)(lambda ctx, g: g * O(ctx, ctx.saved_tensors[0]))
register(E.Log)(lambda ctx, g: g / I(ctx, 0, ctx.saved_tensors[0]))
register(E.Log1p)(lambda ctx, g: g / (1 + I(ctx, 0, ctx.saved_tensors[0])))
register(E.Sqrt)(lambda ctx, g: g / (2 * O(ctx, ctx.saved_tensors[0])))
register(E.Sin)(lambda ctx, g: g * I(ctx, 0, ctx.saved_tensors[0]).cos())
register(E.Cos)(lambda ctx, g: -g * I(ctx, 0, ctx.saved_tensors[0]).sin())


@register(E.Abs)
def _abs(ctx, g):
    (a,) = ctx.saved_tensors
    return g * const(array_module(a).sign(a), g.dtype)


@register(E.Tanh)
def _tanh(ctx, g):
    y = O(ctx, ctx.saved_tensors[0])
    return g * (1 - y * y)


@register(E.Sigmoid)
def _sigmoid(ctx, g):
    y = O(ctx, ctx.saved_tensors[0])
    return g * y * (1 - y)


register(E.ReLU)(lambda ctx, g: g * const(ctx.saved_tensors[0] > 0, g.dtype))


@register(E.Clamp)
def _clamp(ctx, g):
    a, lo, hi = ctx.saved_tensors
    mask = np.True_
    if lo is not None:
        mask = a >= lo
    if hi is not None:
        mask = mask & (a <= hi)
    return g * const(mask, g.dtype), None, None


def _minmax(ctx, g):
    a, b = ctx.saved_tensors
    wins = (a > b) if ctx.fn is E.Maximum else (a < b)
    wa = const(wins + (a == b) * 0.5, g.dtype)
    return _pair(ctx, lambda: g * wa, lambda: g * (1 - wa), _shape(a), _shape(b))


register(E.Maximum, E.Minimum)(_minmax)


@register(E.Where)
def _where(ctx, g):
    (cond,) = ctx.saved_tensors
    _, na, nb = ctx.needs_input_grad
    return (None, sum_to(where(cond, g, 0.0), ctx.sa) if na else None,
            sum_to(where(cond, 0.0, g), ctx.sb) if nb else None)


register(E.Cast)(lambda ctx, g: (g.to(ctx.src) if ctx.src.kind == "f" else None, None))


@register(E.Erf)
def _erf(ctx, g):
    A = I(ctx, 0, ctx.saved_tensors[0])
    return g * (2.0 / math.sqrt(math.pi)) * (-(A * A)).exp()


# ----------------------------------------------------------------------------- ops/unary.py
_LN2, _LN10 = math.log(2.0), math.log(10.0)
_UNARY = {
    U.Asin: lambda A, Y: 1 / (1 - A * A).sqrt(),
    U.Acos: lambda A, Y: -1 / (1 - A * A).sqrt(),
    U.Atan: lambda A, Y: 1 / (1 + A * A),
    U.Sinh: lambda A, Y: A.cosh(),
    U.Cosh: lambda A, Y: A.sinh(),
    U.Asinh: lambda A, Y: 1 / (A * A + 1).sqrt(),
    U.Acosh: lambda A, Y: 1 / (A * A - 1).sqrt(),
    U.Atanh: lambda A, Y: 1 / (1 - A * A),
    U.Tan: lambda A, Y: 1 + Y * Y,
    U.Expm1: lambda A, Y: Y + 1,
    U.Exp2: lambda A, Y: Y * _LN2,
    U.Log2: lambda A, Y: 1 / (A * _LN2),
    U.Log10: lambda A, Y: 1 / (A * _LN10),
    U.Erfc: lambda A, Y: (-(A * A)).exp() * (-2 / math.sqrt(math.pi)),
    U.Erfinv: lambda A, Y: (Y * Y).exp() * (math.sqrt(math.pi) / 2),
    U.Lgamma: lambda A, Y: A.digamma(),
}


def _unary(ctx, g):
    a, out = ctx.saved_tensors
    return g * _UNARY[ctx.fn](I(ctx, 0, a), O(ctx, out))


register(*_UNARY)(_unary)


@register(U.Atan2)
def _atan2(ctx, g):
    y, x = ctx.saved_tensors
    Y, X = I(ctx, 0, y), I(ctx, 1, x)
    r2 = X * X + Y * Y
    return _pair(ctx, lambda: g * X / r2, lambda: -g * Y / r2, _shape(y), _shape(x))


@register(U.Fmod, U.Remainder)
def _mod(ctx, g):
    a, b = ctx.saved_tensors
    xp = array_module(g._data)
    q = getattr(xp, ctx.fn.rounding)(a / b)
    return _pair(ctx, lambda: g, lambda: -g * const(q, g.dtype), ctx.sa, ctx.sb)


# ----------------------------------------------------------------------------- reductions
def expand_back(g, shape, axes, keepdim):
    """Reinsert the reduced axes of ``g`` and broadcast it over the input's ``shape``."""
    if not keepdim and len(shape):
        g = g.reshape([1 if i in axes else s for i, s in enumerate(shape)])
    return g if tuple(g.shape) == tuple(shape) else g.expand(*shape)


register(R.Sum)(lambda ctx, g: (expand_back(g, ctx.shape, ctx.axes, ctx.keepdim), None, None))


@register(R.Mean)
def _mean(ctx, g):
    g = expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)
    return (g / ctx.n if ctx.n else g), None, None


def _var_grad(ctx, g):
    (d,) = ctx.saved_tensors[:1]
    A = I(ctx, 0, d)  # the input up to a constant shift: only a - mean(a) is used
    dt = Relabel.apply(A - A.mean(ctx.axes, keepdim=True), d)
    g = expand_back(g, d.shape, ctx.axes, ctx.keepdim)
    if not ctx.denom:
        return g * dt * float("nan"), None, None, None
    return g * (2.0 / ctx.denom) * dt, None, None, None


register(R.Var)(_var_grad)


@register(R.Std)
def _std(ctx, g):
    out = ctx.saved_tensors[1]
    zero = out == 0
    y = where(zero, 1.0, O(ctx, out))
    return _var_grad(ctx, where(zero, 0.0, g / (2 * y)))


@register(R.AMax)
def _amax(ctx, g):
    a, out = ctx.saved_tensors
    mask = a == out
    count = mask.sum(axis=ctx.axes, keepdims=True)
    g = expand_back(g, a.shape, ctx.axes, ctx.keepdim)
    return g * const(mask / count, g.dtype), None, None, None


def _onehot(idx, n, dim, ndim):
    """mask[..., j, ...] = (j == idx[...]) along ``dim``, idx holding size 1 at ``dim``."""
    xp = array_module(idx)
    ar = xp.arange(n).reshape([-1 if i == dim else 1 for i in range(ndim)])
    return ar == idx


@register(R.MaxDim)
def _maxdim(ctx, g, _gi):
    (idx,) = ctx.saved_tensors
    if not ctx.keepdim:
        g = g.unsqueeze(ctx.dim)
    mask = _onehot(idx, ctx.shape[ctx.dim], ctx.dim, len(ctx.shape))
    return g * const(mask, g.dtype), None, None, None


@register(R.TopK)
def _topk(ctx, g, _gi):
    (idx,) = ctx.saved_tensors
    xp = array_module(idx)
    n = ctx.shape[ctx.dim]
    mask = const(idx[..., None] == xp.arange(n), g.dtype)  # idx.shape + (n,)
    out = (g.unsqueeze(-1) * mask).sum(ctx.dim)
    return out.movedim(-1, ctx.dim), None, None, None, None


@register(R.Prod)
def _prod(ctx, g):
    a, out = ctx.saved_tensors
    if bool((a == 0).any()):
        return _unsupported(ctx, (g,))
    y = O(ctx, out if ctx.keepdim else out.reshape(
        [s for i, s in enumerate(a.shape) if i not in ctx.axes]))
    g = expand_back(g * y, a.shape, ctx.axes, ctx.keepdim)
    return g / I(ctx, 0, a), None, None


@register(R.LogSumExp)
def _logsumexp(ctx, g):
    a, out = ctx.saved_tensors
    y = O(ctx, out if ctx.keepdim else out.reshape(
        [s for i, s in enumerate(a.shape) if i not in ctx.axes]))
    g = expand_back(g, a.shape, ctx.axes, ctx.keepdim)
    ye = expand_back(y, a.shape, ctx.axes, ctx.keepdim)
    return g * (I(ctx, 0, a) - ye).exp(), None, None


register(R.Cumsum)(lambda ctx, g: (g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None))


@register(SC.VectorNorm)
def _vector_norm(ctx, g):
    a, out = ctx.saved_tensors
    p, axes, keepdim = ctx.p, ctx.axes, ctx.keepdim
    A = I(ctx, 0, a)
    g = expand_back(g, a.shape, axes, keepdim)
    if p == 0:
        return g * 0, None, None, None
    if p == 1:
        return g * const(array_module(a).sign(a), g.dtype), None, None, None
    zero = (out == 0) if keepdim or not len(a.shape) else (out == 0).reshape(
        [1 if i in axes else s for i, s in enumerate(a.shape)])
    n = expand_back(where(out == 0, 1.0, O(ctx, out)), a.shape, axes, keepdim)
    if p == 2:
        return A * where(zero, 0.0, g / n), None, None, None
    sign = const(array_module(a).sign(a), g.dtype)
    return where(zero, 0.0, g * sign * A.abs() ** (p - 1) / n ** (p - 1)), None, None, None
