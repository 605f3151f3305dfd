"""Power-average (LP) pooling: the p-norm of each window.

lp_pool(x) = (sum_{window} x^p)^(1/p), computed as in PyTorch from average pooling,
(k * avg_pool(x^p))^(1/p) with k the window size. p = 1 is sum pooling, p = 2 the Euclidean
norm of each window, and p -> inf tends to max pooling of |x| (used for p = inf exactly).
Where a window's sum is 0 the gradient is 0 (the root is not differentiable there).
"""

from __future__ import annotations

import math

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...functions import where
from ...tensor import Tensor
from .im2col import ntuple
from .pooling import avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d

__all__ = ["lp_pool1d", "lp_pool2d", "lp_pool3d"]


class _Root(Function):
    """v^e with gradient e v^(e - 1), set to 0 where v = 0."""

    @staticmethod
    def forward(ctx, v, e):
        t = v.dtype.type
        ctx.save_for_backward(v)
        ctx.e = e
        with np.errstate(invalid="ignore"):  # a negative sum (odd p) gives NaN, as in PyTorch
            return v ** t(e)

    @staticmethod
    def backward(ctx, g):
        (v,) = ctx.saved_tensors
        xp = array_module(v)
        t = v.dtype.type
        zero = v == 0
        with np.errstate(invalid="ignore"):
            d = t(ctx.e) * xp.where(zero, t(1), v) ** t(ctx.e - 1)
        return xp.where(zero, t(0), g * d), None

    @staticmethod
    def differentiable_backward(ctx, g):
        # d v^e / dv = e v^(e - 1), set to 0 where v = 0 (a window of zeros), as the op does
        (v,) = ctx.saved_tensors
        e = ctx.e
        V = ctx.input_tensor(0, v)
        zero = v == 0
        if not zero.any():
            return g * (e * V ** (e - 1)), None
        return where(zero, 0.0, g * (e * where(zero, 1.0, V) ** (e - 1))), None

    @staticmethod
    def to_onnx(g, rec):
        v, e = rec.args
        g.out(g.op("Pow", [g.value(v), g.scalar(e, g.operand_dtype())]))


_POOLS = {1: (avg_pool1d, max_pool1d), 2: (avg_pool2d, max_pool2d), 3: (avg_pool3d, max_pool3d)}


def _lp_pool(nd, input, norm_type, kernel_size, stride, ceil_mode):
    op = f"lp_pool{nd}d"
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    avg, mx = _POOLS[nd]
    p = float(norm_type)
    if p == math.inf:
        return mx(input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if p == -math.inf:
        return -mx(-input.abs(), kernel_size, stride, 0, 1, ceil_mode)
    if p == 0:
        raise ValueError(f"{op}: norm_type must be non-zero, got {norm_type}")
    k = math.prod(ntuple(kernel_size, nd, op, "kernel_size", minimum=1))
    out = avg(input ** norm_type, kernel_size, stride, 0, ceil_mode)
    return _Root.apply(out * k, 1.0 / p)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each window of x^p)^(1/p), p = ``norm_type``.

    Shape: (N, C, L) or (C, L) -> (N, C, L_out), L_out = floor((L - k) / stride) + 1.
    """
    return _lp_pool(1, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each kH x kW window of x^p)^(1/p), p = ``norm_type``.

    Shape: (N, C, H, W) or (C, H, W) -> (N, C, H_out, W_out).
    """
    return _lp_pool(2, input, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(sum over each kD x kH x kW window of x^p)^(1/p), p = ``norm_type``.

    Shape: (N, C, D, H, W) or (C, D, H, W) -> (N, C, D_out, H_out, W_out).
    """
    return _lp_pool(3, input, norm_type, kernel_size, stride, ceil_mode)
