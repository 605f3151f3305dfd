"""Max unpooling: put pooled maxima back where they came from (``F.max_unpool2d``).

The partial inverse of max pooling used by decoders and for visualising what a CNN responds to:
each value returns to the position recorded by ``max_pool2d(..., return_indices=True)``, every
other output pixel is zero. The gradient gathers from those same positions.
"""

from __future__ import annotations

import math

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor
from .im2col import ntuple
from .pooling import _batched


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


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of ``max_pool2d``: each value goes back to the position it came from.

    Every other output pixel is zero. ``indices`` are those returned by
    ``max_pool2d(..., return_indices=True)``.

    Shape:
        input and indices (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out) with
        H_out = (H - 1) stride - 2 padding + kernel_size, or ``output_size``.
    """
    x, unbatched = _batched("max_unpool2d", input, 2)
    ind = indices.data if isinstance(indices, Tensor) else np.asarray(indices)
    if unbatched:
        ind = ind[None]
    if tuple(ind.shape) != tuple(x.shape):
        raise RuntimeError(f"max_unpool2d: indices shape {tuple(ind.shape)} must equal input "
                           f"shape {tuple(x.shape)}")
    k = ntuple(kernel_size, 2, "max_unpool2d", "kernel_size", minimum=1)
    s = k if stride is None else ntuple(stride, 2, "max_unpool2d", "stride", minimum=1)
    p = ntuple(padding, 2, "max_unpool2d", "padding", minimum=0)
    if output_size is None:
        out = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(2))
    else:
        out = tuple(int(v) for v in tuple(output_size)[-2:])
    total = out[0] * out[1]
    if ind.size and (int(ind.min()) < 0 or int(ind.max()) >= total):
        raise RuntimeError(f"max_unpool2d: found an index outside the output plane of size "
                           f"{out} (indices must be in [0, {total}))")
    y = MaxUnpool.apply(x, ind.astype(np.int64, copy=False), out)
    return y.squeeze(0) if unbatched else y
