"""Softmax and its relatives: turning scores into a probability distribution.

softmax(x)_i = e^{x_i} / sum_j e^{x_j} is positive and sums to 1 (lectures: "softmax and its
properties"); it is invariant to adding the same constant to every score, which is exactly what
makes it computable without overflow. log_softmax is what cross-entropy needs, and is finite even
where softmax underflows to 0.
"""

from __future__ import annotations

from ...autograd import Function
from ...backend import array_module
from .activation import _check

__all__ = ["softmax", "log_softmax", "softmin"]


def _softmax_dim(ndim, dim, op):
    if dim is None:
        import warnings

        warnings.warn(f"Implicit dimension choice for {op} has been deprecated. Change the call "
                      "to include dim=X as an argument.", stacklevel=3)
        dim = 0 if ndim in (0, 1, 3) else 1
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"{op}: dim {dim} out of range for a tensor with {ndim} dimensions "
                         f"(expected to be in range of [{-n}, {n - 1}])")
    return dim % n


class _Softmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        # softmax(x) = softmax(x - c) for any c: subtracting the max makes every exponent <= 0,
        # so e^x never overflows (the lectures' [21, 34, 10000, 680] example).
        e = xp.exp(x - x.max(axis=dim, keepdims=True))
        e /= e.sum(axis=dim, keepdims=True)
        ctx.dim = dim
        ctx.save_for_backward(e)
        return e

    @staticmethod
    def backward(ctx, g):
        (s,) = ctx.saved_tensors
        # Jacobian diag(s) - s s^T applied to g: s * (g - <g, s>).
        gs = g * s
        gs -= s * gs.sum(axis=ctx.dim, keepdims=True)
        return gs, None


class _LogSoftmax(Function):
    @staticmethod
    def forward(ctx, x, dim):
        xp = array_module(x)
        shifted = x - x.max(axis=dim, keepdims=True)
        out = shifted - xp.log(xp.exp(shifted).sum(axis=dim, keepdims=True))
        ctx.dim = dim
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (out,) = ctx.saved_tensors
        xp = array_module(g)
        return g - xp.exp(out) * g.sum(axis=ctx.dim, keepdims=True), None


def _prep(input, dtype, op):
    """Cast to ``dtype`` first when given (PyTorch's way to get a float64 softmax)."""
    x = input if dtype is None else input.to(dtype)
    _check(x, op)
    return x


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``dim``: positive, sums to 1, invariant to
    adding a constant to every x_i (which is how it is computed stably).

    Shape: any; output has the input's shape.
    """
    x = _prep(input, dtype, "softmax")
    if x.ndim == 0:
        return _Softmax.apply(x.reshape(1), 0).reshape(())
    return _Softmax.apply(x, _softmax_dim(x.ndim, dim, "softmax"))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log softmax(x)_i = x_i - logsumexp(x), computed as (x_i - m) - log sum_j e^{x_j - m}
    with m = max x, so it is finite even where softmax underflows to 0."""
    x = _prep(input, dtype, "log_softmax")
    if x.ndim == 0:
        return _LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return _LogSoftmax.apply(x, _softmax_dim(x.ndim, dim, "log_softmax"))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmin(x) = softmax(-x)."""
    x = _prep(input, dtype, "softmin")
    return softmax(-x, _softmax_dim(x.ndim, dim, "softmin"))
