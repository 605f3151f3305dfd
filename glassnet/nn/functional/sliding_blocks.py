"""Sliding local blocks: ``unfold`` (im2col) and ``fold`` (col2im) as public functions.

``unfold`` copies every kernel_size block of the (padded) input into a column, so a 2-D
convolution is one matrix product, ``W.view(C_out, -1) @ unfold(x)``; ``fold`` is its adjoint,
the scatter-add of columns back onto the image (overlapping blocks add up). They share the
kernels of ``im2col.py`` with the convolutions, in the per-sample layout (N, C * kH * kW, L).
"""

from __future__ import annotations

import math

from ...autograd import Function
from ...backend import array_module
from .conv import _check_tensor
from .im2col import col2im, geometry, im2col, ntuple, out_size


def _block_args(op, kernel_size, dilation, padding, stride):
    """The block geometry arguments of unfold / fold as checked pairs (k, d, p, s)."""
    return (ntuple(kernel_size, 2, op, "kernel_size", minimum=1),
            ntuple(dilation, 2, op, "dilation", minimum=1),
            ntuple(padding, 2, op, "padding", minimum=0),
            ntuple(stride, 2, op, "stride", minimum=1))


class Unfold(Function):
    @staticmethod
    def forward(ctx, x, ksize, stride, pads, dilation):
        geom = geometry(x.shape, ksize, stride, pads, dilation, wide=False)
        ctx.geom = geom
        return im2col(x, geom, layout="nc")

    @staticmethod
    def backward(ctx, g):
        return col2im(g, ctx.geom, layout="nc"), None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # unfold (im2col) and fold (col2im) are each other's transposes
        return (Fold.apply(g, ctx.geom.in_shape, *ctx.geom.key[:4]),) + (None,) * 4


class Fold(Function):
    @staticmethod
    def forward(ctx, cols, in_shape, ksize, stride, pads, dilation):
        geom = geometry(in_shape, ksize, stride, pads, dilation, wide=False)
        ctx.geom = geom
        return array_module(cols).ascontiguousarray(col2im(cols, geom, layout="nc"))

    @staticmethod
    def backward(ctx, g):
        return im2col(g, ctx.geom, layout="nc"), None, None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return (Unfold.apply(g, *ctx.geom.key[:4]),) + (None,) * 5


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """im2col: every kernel_size block of the (padded) input as a column.

    out[n, (c, u, v), l] = x_pad[n, c, i_l stride + u dilation, j_l stride + v dilation], l
    running over the L = H_out * W_out block positions in row-major order. ``conv2d`` is
    ``W.view(C_out, -1) @ unfold(x)`` reshaped.

    Shape:
        input (N, C, H, W) or (C, H, W); output (N, C * kH * kW, L).
    """
    _check_tensor("unfold", "input", input)
    if input.ndim not in (3, 4):
        raise RuntimeError(f"unfold: expected a 3-D or 4-D input, got shape {tuple(input.shape)}")
    unbatched = input.ndim == 3
    x = input.unsqueeze(0) if unbatched else input
    k, d, p, s = _block_args("unfold", kernel_size, dilation, padding, stride)
    for i in range(2):
        if out_size(x.shape[2 + i], k[i], s[i], p[i], p[i], d[i]) <= 0:
            raise RuntimeError(f"unfold: kernel_size {k} (dilation {d}) does not fit in the "
                               f"padded input (input shape {tuple(input.shape)}, padding {p})")
    y = Unfold.apply(x, k, s, ((p[0], p[0]), (p[1], p[1])), d)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """col2im, the adjoint of ``unfold``: sum every column back onto the pixels of its block.

    Overlapping blocks add up, so ``fold(unfold(x))`` multiplies each pixel by the number of
    blocks that contain it.

    Shape:
        input (N, C * kH * kW, L) or (C * kH * kW, L); output (N, C, *output_size).
    """
    _check_tensor("fold", "input", input)
    if input.ndim not in (2, 3):
        raise RuntimeError(f"fold: expected a 2-D or 3-D input, got shape {tuple(input.shape)}")
    unbatched = input.ndim == 2
    x = input.unsqueeze(0) if unbatched else input
    osz = ntuple(output_size, 2, "fold", "output_size", minimum=1)
    k, d, p, s = _block_args("fold", kernel_size, dilation, padding, stride)
    kp = math.prod(k)
    if x.shape[1] % kp:
        raise RuntimeError(f"fold: expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size {k}, got {x.shape[1]}")
    blocks = [out_size(osz[i], k[i], s[i], p[i], p[i], d[i]) for i in range(2)]
    if blocks[0] * blocks[1] != x.shape[2]:
        raise RuntimeError(f"fold: expected input's last dimension to be {blocks[0] * blocks[1]} "
                           f"blocks for output_size {osz}, got {x.shape[2]}")
    in_shape = (x.shape[0], x.shape[1] // kp) + osz
    y = Fold.apply(x, in_shape, k, s, ((p[0], p[0]), (p[1], p[1])), d)
    return y.squeeze(0) if unbatched else y
