"""Softmax and log-softmax: scores to a probability distribution along one dim, each one fused
Function (``glassnet.nn.functional.softmax`` and ``Tensor.softmax`` apply them).

softmax is invariant to adding the same constant to every score, which is what makes it
computable without overflow: subtract the max first. Its Jacobian is diag(s) - s s^T, so the
input gradient is s * (g - <g, s>); for log-softmax it is g - softmax * sum(g).
"""

from __future__ import annotations

import warnings

from ..autograd.function import Function
from ..backend import array_module, compute_in_float32


def softmax_dim(ndim, dim, op):
    """``dim`` as a non-negative dim of an ``ndim``-d input (None: PyTorch's legacy choice,
    with its deprecation warning)."""
    if dim is None:
        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      "to include dim=X as an argument.", stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} out of range for a tensor with {ndim} dimensions "
                         f"(expected to be in range of [{-n}, {n - 1}])")
    return dim % n


def _max_shifted(x, dim):
    """x - max(x) along ``dim`` (a zero-size x has no max, and nothing to shift)."""
    if x.size == 0:
        return x.copy()
    return x - x.max(axis=dim, keepdims=True)


class Softmax(Function):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``dim``."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, dim):
        xp = array_module(x)
        # softmax(x) = softmax(x - c) for any c: subtracting the max makes every exponent <= 0,
        # so e^x never overflows (the lectures' [21, 34, 10000, 680] example).
        e = xp.exp(_max_shifted(x, dim))
        e /= e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(e)
        return e

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        # Jacobian diag(s) - s s^T applied to g: s * (g - <g, s>).
        gs = g * s
        gs -= s * gs.sum(axis=ctx.dim, keepdims=True)
        return gs, None

    @staticmethod
    def differentiable_backward(ctx, g):
        s = ctx.output_tensor(ctx.saved_tensors[0])
        gs = g * s
        return gs - s * gs.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def to_onnx(g, rec):
        x, dim = rec.args
        g.out(g.op("Softmax", [g.value(x)], axis=int(dim)))


class LogSoftmax(Function):
    """log softmax(x)_i = (x_i - m) - log sum_j e^{x_j - m}, m = max_j x_j."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, dim):
        xp = array_module(x)
        shifted = _max_shifted(x, dim)
        out = shifted if x.size == 0 else \
            shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        xp = array_module(g)
        return g - xp.exp(out) * g.sum(axis=ctx.dim, keepdims=True), None

    @staticmethod
    def differentiable_backward(ctx, g):
        y = ctx.output_tensor(ctx.saved_tensors[0])
        return g - y.exp() * g.sum(ctx.dim, keepdim=True), None

    @staticmethod
    def to_onnx(g, rec):
        x, dim = rec.args
        g.out(g.op("LogSoftmax", [g.value(x)], axis=int(dim)))
