"""Scans along a dim (cumulative product, log-cumulative-sum-exp) and the vector p-norm.

cumsum lives with the reductions; these two need their own backward because the naive
formulas break down: cumprod's gradient divides by the input (zeros), and logcumsumexp's
forward must not take exp of large numbers. Their ``differentiable_backward``
(``create_graph=True``) is written on Tensors; cumprod's recomputes the product chain.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function
from ..autograd.recompute import recompute
from ..backend import array_module, compute_in_float32
from .reduce import _broadcast_back, _expand_back
from .shape import Stack


def _cumprod_loop(a, dim):
    """cumprod of the Tensor ``a`` as a chain of products (differentiable at zeros)."""
    out = [a.select(dim, 0)]
    for k in range(1, a.shape[dim]):
        out.append(out[-1] * a.select(dim, k))
    return Stack.apply(dim, *out)


class Cumprod(Function):
    """out_j = prod_{k <= j} x_k along ``dim``.

    d out_j / d x_i = prod_{k <= j, k != i} x_k for i <= j, so the gradient is
    grad_i = (prod_{k < i} x_k) * S_i with S_i = g_i + x_{i+1} S_{i+1}: one reverse pass,
    no division, exact where inputs are zero.
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, a, dim):
        xp = array_module(a)
        ctx.dim = dim
        ctx.save_for_backward(a)
        return xp.cumprod(a, axis=dim).astype(a.dtype, copy=False)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = array_module(g)
        d = ctx.dim
        x = xp.moveaxis(a, d, 0)
        gg = xp.moveaxis(g, d, 0)
        n = x.shape[0]
        if n == 0:
            return g, None
        excl = xp.ones_like(x)  # prod_{k < i} x_k
        if n > 1:
            excl[1:] = xp.cumprod(x[:-1], axis=0)
        s = xp.empty_like(gg)
        s[n - 1] = gg[n - 1]
        for i in range(n - 2, -1, -1):
            s[i] = gg[i] + x[i + 1] * s[i + 1]
        return xp.moveaxis(excl * s, 0, d), None

    @staticmethod
    def differentiable_backward(ctx, g):
        # The gradient divides by x in closed form (wrong at zeros): differentiate the product
        # chain itself instead, exact everywhere.
        (a,) = ctx.saved_tensors
        if a.shape[ctx.dim] == 0:
            return g, None
        return recompute(ctx, (g,), (a, None), lambda A, _: _cumprod_loop(A, ctx.dim))


def _logcumsumexp(a, dim):
    """The running logaddexp of ``a`` along ``dim``, accumulated in float64 and rounded once
    to ``a``'s dtype (as PyTorch's CPU kernel accumulates float32 in double): with large
    inputs (x ~ 1e4) a float32 running sum would lose the small terms that the gradient's
    exp(x_i - out_j) depends on."""
    xp = array_module(a)
    if a.dtype.itemsize >= 8 or a.dtype.kind != "f":
        return xp.logaddexp.accumulate(a, axis=dim)
    return xp.logaddexp.accumulate(a.astype(np.float64), axis=dim).astype(a.dtype)


class LogCumSumExp(Function):
    """out_j = log sum_{k <= j} exp(x_k), accumulated with logaddexp (no overflow).

    grad_i = sum_{j >= i} g_j exp(x_i - out_j) = exp(x_i) * (reverse cumulative sum of
    g_j exp(-out_j)), accumulated in log space (for the positive and negative parts of g).
    Both running sums are accumulated in float64 for float32 inputs (``_logcumsumexp``).
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, a, dim):
        out = _logcumsumexp(a, dim) if a.shape[dim] else a.copy()
        ctx.dim = dim
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(g)
        d = ctx.dim
        if a.shape[d] == 0:
            return g, None
        with _ignore(xp):
            # log of the reverse cumulative sums of g+ exp(-out) and g- exp(-out), kept apart
            # so that every exponent taken below is <= log sum |g| (no overflow, no inf * 0).
            grad = 0
            for part, sign in ((xp.maximum(g, 0), 1), (xp.maximum(-g, 0), -1)):
                lw = xp.log(part) - out
                rev = xp.flip(_logcumsumexp(xp.flip(lw, d), d), d)
                grad = grad + sign * xp.exp(a + rev)
        return grad.astype(g.dtype, copy=False), None

    @staticmethod
    def differentiable_backward(ctx, g):
        # grad_i = sum_(j >= i) g_j exp(x_i - out_j), summed in log space for the positive and
        # negative parts of g apart (PyTorch's formula; differentiable through logcumsumexp
        # again).
        a, out = ctx.saved_tensors
        d = ctx.dim
        if a.shape[d] == 0:
            return g, None
        X, Y = ctx.input_tensor(0, a), ctx.output_tensor(out)
        low = float(np.finfo(g._data.dtype).min)
        logabs = g.where(g._data != 0, 1.0).abs().log()
        res = 0
        for sign, mask in ((1, g._data > 0), (-1, g._data < 0)):
            lg = logabs.where(mask, low)
            rev = LogCumSumExp.apply((lg - Y).flip(d), d).flip(d)
            res = res + sign * (rev + X).exp()
        return res, None


class VectorNorm(Function):
    """||x||_p = (sum |x|^p)^(1/p) over ``axes``; p = +-inf: max / min |x|; p = 0: the number
    of nonzeros (gradient 0).

    d/dx = sign(x) |x|^(p-1) / ||x||^(p-1), with PyTorch's choices where the norm is not
    differentiable: the gradient is 0 where the norm is 0 (not 0/0), and 0 where x = 0 for
    p < 1. For p = +-inf the gradient goes to the extreme entries: divided equally among ties
    with ``split_ties`` (``torch.linalg.vector_norm``), whole to each tied entry without it
    (``torch.pdist``).
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, a, p, axes, keepdim, split_ties=True):
        xp = array_module(a)
        absa = xp.abs(a)
        if p == 0:  # the number of nonzeros: piecewise constant, gradient 0
            out = (a != 0).sum(axis=axes, keepdims=keepdim)
        elif p == 2:
            out = xp.sqrt((a * a).sum(axis=axes, keepdims=keepdim))
        elif p == 1:
            out = absa.sum(axis=axes, keepdims=keepdim)
        elif p == math.inf:
            out = absa.max(axis=axes, keepdims=keepdim)
        elif p == -math.inf:
            out = absa.min(axis=axes, keepdims=keepdim)
        else:
            with _ignore(xp):
                out = (absa ** p).sum(axis=axes, keepdims=keepdim) ** (1.0 / p)
        out = xp.asarray(out, dtype=a.dtype)
        ctx.p, ctx.axes, ctx.keepdim, ctx.split_ties = p, axes, keepdim, split_ties
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def _extremes(ctx, a, n):
        """For p = +-inf: the share of the gradient each entry of ``a`` gets (1 at the extreme
        |x|, split among ties with ``split_ties``; NaN entries count as extreme)."""
        xp = array_module(a)
        absa = xp.abs(a)
        mask = ((absa == n) | xp.isnan(absa)).astype(a.dtype)
        if ctx.split_ties:
            mask = mask / mask.sum(axis=ctx.axes, keepdims=True)
        return xp.sign(a) * mask

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(g)
        p = ctx.p
        g = _expand_back(g, a.shape, ctx.axes, ctx.keepdim)
        n = _expand_back(out, a.shape, ctx.axes, ctx.keepdim)
        with _ignore(xp):
            if p == 0:
                grad = xp.zeros_like(a)
            elif p == 1:
                grad = g * xp.sign(a)
            elif p == 2:
                grad = xp.where(n == 0, 0, g * a / n)
            elif math.isinf(p):
                grad = g * VectorNorm._extremes(ctx, a, n)
            else:
                scale = xp.abs(a) ** (p - 1) / n ** (p - 1)
                grad = xp.where(n == 0, 0, g * xp.sign(a) * scale)
                if p < 1:
                    grad = xp.where(a == 0, 0, grad)
        return grad.astype(a.dtype, copy=False), None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(a)
        p, axes, keepdim = ctx.p, ctx.axes, ctx.keepdim
        A = ctx.input_tensor(0, a)
        g = _broadcast_back(g, a.shape, axes, keepdim)
        none = (None,) * 4
        if p == 0:
            return (g * 0, *none)
        if p == 1:
            return (g * ctx.constant(xp.sign(a), g.dtype), *none)
        if math.isinf(p):
            n = _expand_back(out, a.shape, axes, keepdim)
            return (g * ctx.constant(VectorNorm._extremes(ctx, a, n), g.dtype), *none)
        zero = (out == 0) if keepdim or not len(a.shape) else (out == 0).reshape(
            [1 if i in axes else s for i, s in enumerate(a.shape)])
        n = _broadcast_back(ctx.output_tensor(out).where(out != 0, 1.0), a.shape, axes, keepdim)
        if p == 2:
            return (A * (g / n).where(~zero, 0.0), *none)
        sign = ctx.constant(xp.sign(a), g.dtype)
        absa = A.abs() if p >= 1 else A.abs().where(a != 0, 1.0)
        grad = (g * sign * absa ** (p - 1) / n ** (p - 1)).where(~zero, 0.0)
        return (grad if p >= 1 else grad.where(a != 0, 0.0), *none)


class _ignore:
    """Silence NumPy's floating-point warnings (0/0 where the result is then masked)."""

    def __init__(self, xp):
        self.ctx = xp.errstate(divide="ignore", invalid="ignore", over="ignore") \
            if hasattr(xp, "errstate") else None

    def __enter__(self):
        if self.ctx is not None:
            self.ctx.__enter__()

    def __exit__(self, *exc):
        if self.ctx is not None:
            self.ctx.__exit__(*exc)
