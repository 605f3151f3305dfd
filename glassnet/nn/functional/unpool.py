"""Max unpooling: put pooled maxima back where they came from (``F.max_unpool1d/2d/3d``).

The partial inverse of max pooling used by decoders and for visualising what a CNN responds to:
each value returns to the position recorded by ``max_pool2d(..., return_indices=True)``, every
other output pixel is zero. The gradient gathers from those same positions. Indices are flat
within each (N, C) plane, so one Function serves 1-D, 2-D and 3-D. PyTorch's
``max_pool*_with_indices`` names are here too.
"""

from __future__ import annotations

import math

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...ops.shape import Gather
from ...tensor import Tensor
from .im2col import ntuple
from .pooling import _batched, max_pool1d, max_pool2d, max_pool3d


class MaxUnpool(Function):
    @staticmethod
    def forward(ctx, x, indices, out_plane):
        xp = array_module(x)
        n, c = x.shape[:2]
        flat = indices.reshape(n * c, -1)
        out = xp.zeros((n * c, math.prod(out_plane)), dtype=x.dtype)
        rows = xp.arange(n * c).reshape(-1, 1)
        out[rows, flat] = x.reshape(n * c, -1)  # (put_along_axis, written for numpy and cupy)
        ctx.flat, ctx.xshape = flat, x.shape
        return out.reshape((n, c) + tuple(out_plane))

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        rows = xp.arange(ctx.flat.shape[0]).reshape(-1, 1)
        gx = g.reshape(ctx.flat.shape[0], -1)[rows, ctx.flat]
        return gx.reshape(ctx.xshape), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        flat = ctx.flat  # (N*C, plane_in): where each input value was put
        gx = Gather.apply(g.reshape(flat.shape[0], -1), 1, flat)
        return gx.reshape(ctx.xshape), None, None


def _unpool_output_size(op, x_spatial, k, s, p, output_size):
    """PyTorch's default output size (H - 1) stride - 2 padding + kernel_size, or a checked
    ``output_size`` (which may include the (N, C) dimensions and must lie strictly within one
    stride of the default)."""
    nd = len(k)
    default = tuple((x_spatial[i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
    if output_size is None:
        out = default
    else:
        out = tuple(int(v) for v in (tuple(output_size) if isinstance(output_size, (list, tuple))
                                     else tuple(output_size.tolist())))
        if len(out) == nd + 2:
            out = out[2:]
        if len(out) != nd:
            raise ValueError(f"{op}: output_size should be a sequence containing {nd} or "
                             f"{nd + 2} elements, but it has a length of '{len(out)}'")
        for d in range(nd):
            lo, hi = default[d] - s[d], default[d] + s[d]
            if not lo < out[d] < hi:
                raise ValueError(f'{op}: invalid output_size "{list(out)}" (dim {d} must be '
                                 f"between {lo} and {hi})")
    for d in range(nd):
        if out[d] < 0:
            raise ValueError(f"{op}: output_size must contain non-negative spatial dimensions, "
                             f"but got output_size[{d}]={out[d]}")
    return out


def _max_unpool(op, nd, input, indices, kernel_size, stride, padding, output_size):
    x, unbatched = _batched(op, input, nd)
    ind = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if ind.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected indices to be an int64 tensor, got dtype {ind.dtype}")
    if tuple(ind.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: indices shape {tuple(ind.shape)} must equal input shape "
                           f"{tuple(input.shape)}")
    if unbatched:
        ind = ind[None]
    k = ntuple(kernel_size, nd, op, "kernel_size", minimum=1)
    s = k if stride is None else ntuple(stride, nd, op, "stride", minimum=1)
    p = ntuple(padding, nd, op, "padding", minimum=0)
    out = _unpool_output_size(op, x.shape[2:], k, s, p, output_size)
    total = math.prod(out)
    if ind.size and (int(ind.min()) < 0 or int(ind.max()) >= total):
        bad = int(ind.min()) if int(ind.min()) < 0 else int(ind.max())
        raise RuntimeError(f"{op}: found an invalid max index {bad} (output volume of size "
                           f"{out}: indices must be in [0, {total}))")
    y = MaxUnpool.apply(x, ind.astype(np.int64, copy=False), out)
    return y.squeeze(0) if unbatched else y


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool1d``: each value goes back to the position it came from
    (``indices`` from ``max_pool1d(..., return_indices=True)``); every other position is zero.

    Shape:
        input and indices (N, C, L) or (C, L); output (N, C, L_out) with
        L_out = (L - 1) stride - 2 padding + kernel_size, or ``output_size``.
    """
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: each value goes back to the position it came from.

    Every other output pixel is zero. ``indices`` are those returned by
    ``max_pool2d(..., return_indices=True)``.

    Shape:
        input and indices (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
        H_out = (H - 1) stride - 2 padding + kernel_size, or ``output_size``.
    """
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool3d`` (indices flat in D_out * H_out * W_out).

    Shape: input and indices (N, C, D, H, W) or (C, D, H, W); output (N, C, D_out, H_out,
    W_out), each as in ``max_unpool1d``.
    """
    return _max_unpool("max_unpool3d", 3, input, indices, kernel_size, stride, padding,
                       output_size)


# ----------------------------------------------------------------- PyTorch's *_with_indices names
def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool1d`` returning (output, indices) whatever ``return_indices`` says."""
    return max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool2d`` returning (output, indices) whatever ``return_indices`` says."""
    return max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=False):
    """``max_pool3d`` returning (output, indices) whatever ``return_indices`` says."""
    return max_pool3d(input, kernel_size, stride, padding, dilation, ceil_mode, True)
