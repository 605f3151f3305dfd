"""Fractional max pooling (Graham, "Fractional Max-Pooling", 2014): shrink a map by a factor
that need not be an integer, e.g. 9 x 9 -> 6 x 6 with 2 x 2 windows.

Along a dimension of size L pooled with windows of size k to O outputs, output i covers
[s_i, s_i + k) with pseudo-random starts drawn once per (sample, channel) plane from a number
u in [0, 1) (PyTorch's rule, computed in the input's dtype):

    alpha = (L - k) / (O - 1),   s_i = int((i + u) alpha) - int(u alpha)  (i < O - 1),
    s_{O-1} = L - k

so the steps between windows are floor(alpha) or ceil(alpha), mixed in an order set by u, and
the windows cover the map from the first to the last element. ``_random_samples`` (N, C, d)
fixes the u's (one per dimension: width then height for 2-D; depth, height, width for 3-D);
without it they are drawn uniformly. The maximum and its index follow PyTorch's scan: the first
largest element in row-major order wins, and a NaN wins over numbers. The gradient goes to the
winners, as in every max pooling.
"""

from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor
from .adaptive import AdaptiveMaxPool, scan_max
from .adjoint import scatter_planes, zeros

__all__ = ["fractional_max_pool2d", "fractional_max_pool2d_with_indices",
           "fractional_max_pool3d", "fractional_max_pool3d_with_indices"]


def fractional_starts(u, size, out, k):
    """The window starts (..., out) for the samples ``u`` (...,) (see the module docstring)."""
    t = u.dtype.type
    starts = np.empty(u.shape + (out,), np.int64)
    if out > 1:
        alpha = t(size - k) / t(out - 1)
        i = np.arange(out - 1).astype(u.dtype)
        starts[..., :-1] = (((i + u[..., None]) * alpha).astype(np.int64)
                            - (u * alpha).astype(np.int64)[..., None])
    if out > 0:
        starts[..., -1] = size - k
    return starts


def _max_windows(xp, vals, pos, axis, starts, k):
    """Max over windows [starts, starts + k) along ``axis`` (starts: (N, C, out), one row of
    starts per plane), carrying ``pos``; a tap wins if larger, or NaN (PyTorch's scan)."""
    shape = [1] * vals.ndim
    shape[0], shape[1], shape[axis] = starts.shape
    base = xp.asarray(starts.reshape(shape))
    return scan_max(xp, ((xp.take_along_axis(vals, base + t, axis=axis),
                          xp.take_along_axis(pos, base + t, axis=axis)) for t in range(k)))


class FractionalMaxPool(Function):
    """(max, flat index within the plane) over the windows given by ``starts`` (one (N, C, O_d)
    array per spatial dim) of size ``ksize``."""

    @staticmethod
    def forward(ctx, x, starts, ksize):
        xp = array_module(x)
        nd = len(ksize)
        spatial = x.shape[2:]
        pos = xp.broadcast_to(xp.arange(math.prod(spatial)).reshape(spatial), x.shape)
        m = x
        for i in reversed(range(nd)):  # innermost dimension first (row-major scan order)
            m, pos = _max_windows(xp, m, pos, 2 + i, starts[i], ksize[i])
        ctx.pos, ctx.shape = pos, x.shape
        return m, xp.ascontiguousarray(pos.astype(np.int64))

    @staticmethod
    def backward(ctx, g, _gi=None):
        # The scatter of g into the winners' positions, as for adaptive max pooling.
        if not math.prod(ctx.shape):
            return array_module(g).zeros(ctx.shape, g.dtype), None, None
        return AdaptiveMaxPool.backward(ctx, g)[0], None, None

    @staticmethod
    def differentiable_backward(ctx, g, *_):
        if not math.prod(ctx.shape):
            return zeros(ctx.shape, g), None, None
        return scatter_planes(g, ctx.pos.astype(np.int64), ctx.shape), None, None


def _fractional(op, nd, input, kernel_size, output_size, output_ratio, _random_samples):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected {nd + 1}-D or {nd + 2}-D input, got shape "
                           f"{tuple(input.shape)}")
    if output_size is None and output_ratio is None:
        raise ValueError(f"{op} requires specifying either an output_size or an output_ratio")
    spatial = tuple(input.shape[-nd:])
    ksize = tuple(int(k) for k in (kernel_size if isinstance(kernel_size, (tuple, list))
                                   else (kernel_size,) * nd))
    if output_size is None:
        ratio = output_ratio if isinstance(output_ratio, (tuple, list)) else (output_ratio,) * nd
        if len(ratio) != nd:
            raise ValueError(f"{op} requires output_ratio to be a number or a tuple of {nd}")
        output_size = [int(s * r) for s, r in zip(spatial, ratio)]
    out = tuple(int(o) for o in (output_size if isinstance(output_size, (tuple, list))
                                 else (output_size,) * nd))
    if len(ksize) != nd or len(out) != nd:
        raise RuntimeError(f"{op}: kernel_size and output_size must have {nd} values, got "
                           f"{ksize} and {out}")
    names = ("width", "height") if nd == 2 else ("time", "height", "width")
    for s, k, o, name in zip(spatial, ksize, out, names[::-1] if nd == 2 else names):
        if k <= 0 or o <= 0:
            raise RuntimeError(f"{op}: kernel_size and output_size must be positive, got "
                               f"{ksize} and {out}")
        if o + k - 1 > s:
            raise RuntimeError(f"{op}(): pool {name} {k} too large relative to input {name} {s}"
                               f" (output {o})")
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    n, c = x.shape[:2]
    if _random_samples is None:
        u = backend.rng().random((n, c, nd)).astype(x.dtype)
    else:
        if not isinstance(_random_samples, Tensor):
            raise TypeError(f"{op}: _random_samples must be a Tensor, got "
                            f"{type(_random_samples).__name__}")
        if _random_samples.dtype != x.dtype:
            raise RuntimeError("Expect _random_samples to have the same dtype as input")
        u = backend.to_numpy(_random_samples._data)
        if u.ndim != 3 or u.shape[2] != nd or u.shape[0] < n or u.shape[1] != c:
            raise RuntimeError(f"{op}: expected _random_samples of shape (N={n}, C={c}, {nd}), "
                               f"got {tuple(u.shape)}")
        u = u[:n]
    # One sample per dimension: (W, H) for 2-D maps, (T, H, W) for volumes, as PyTorch.
    order = (1, 0) if nd == 2 else (0, 1, 2)
    starts = [fractional_starts(u[:, :, order[d]], spatial[d], out[d], ksize[d])
              for d in range(nd)]
    res, idx = FractionalMaxPool.apply(x, starts, ksize)
    if unbatched:
        res, idx = res.squeeze(0), idx.squeeze(0)
    return res, idx


def fractional_max_pool2d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool2d`` returning (output, indices) whatever ``return_indices`` says."""
    return _fractional("fractional_max_pool2d", 2, input, kernel_size, output_size,
                       output_ratio, _random_samples)


def fractional_max_pool2d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, H, W) or (C, H, W) input to ``output_size`` (or
    ``output_ratio`` times the input size) with ``kernel_size`` windows at pseudo-random
    starts (see the module docstring); indices are flat h * W + w within each plane.

    Shape: (N, C, H, W) -> (N, C, H_out, W_out); ``_random_samples`` (N, C, 2).
    """
    out = fractional_max_pool2d_with_indices(input, kernel_size, output_size, output_ratio,
                                             return_indices, _random_samples)
    return out if return_indices else out[0]


def fractional_max_pool3d_with_indices(input, kernel_size, output_size=None, output_ratio=None,
                                       return_indices=False, _random_samples=None):
    """``fractional_max_pool3d`` returning (output, indices) whatever ``return_indices`` says."""
    return _fractional("fractional_max_pool3d", 3, input, kernel_size, output_size,
                       output_ratio, _random_samples)


def fractional_max_pool3d(input, kernel_size, output_size=None, output_ratio=None,
                          return_indices=False, _random_samples=None):
    """Fractional max pooling of (N, C, T, H, W) or (C, T, H, W) input (see
    ``fractional_max_pool2d``); indices are flat (t * H + h) * W + w within each volume.

    Shape: (N, C, T, H, W) -> (N, C, T_out, H_out, W_out); ``_random_samples`` (N, C, 3).
    """
    out = fractional_max_pool3d_with_indices(input, kernel_size, output_size, output_ratio,
                                             return_indices, _random_samples)
    return out if return_indices else out[0]
