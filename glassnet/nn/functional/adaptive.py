"""Adaptive pooling: pool to a fixed output size whatever the input size.

Output position i of a dimension of size L pooled to size O covers the input range
[floor(i L / O), ceil((i + 1) L / O)) (PyTorch's bins; neighbouring bins may overlap by one when
O does not divide L). ``adaptive_avg_pool2d(x, 1)`` is global average pooling, the usual bridge
from the last feature map of a CNN to its classifier.

Averaging is linear and separable: per dimension it is a matrix A (O, L) with 1 / |bin| on each
bin, so the forward pass multiplies by A along each dimension and the backward pass by A.T.
The maximum is separable too (max over a box = max over rows of the max over columns), which
also keeps PyTorch's first-maximum-in-scan-order rule for the indices.
"""

from __future__ import annotations

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor
from .adjoint import Adjoint, scatter_planes


def adaptive_bins(size: int, out: int):
    """(start, end) arrays of PyTorch's adaptive pooling bins."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _output_size(op, x, output_size, nd):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != nd:
            raise ValueError(f"{op}: output_size must be an int or a tuple of {nd} values, "
                             f"got {output_size!r}")
        sizes = tuple(x.shape[x.ndim - nd + i] if v is None else int(v)
                      for i, v in enumerate(output_size))
    else:
        sizes = (int(output_size),) * nd
    if any(s <= 0 for s in sizes):
        raise ValueError(f"{op}: output_size must be positive, got {output_size!r}")
    return sizes


def _check(op, input, nd):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                           f"input, got shape {tuple(input.shape)}")
    if any(s == 0 for s in input.shape[-nd:]):
        raise RuntimeError(f"{op}: expected non-empty spatial dimensions, got input shape "
                           f"{tuple(input.shape)}")


def _along(xp, x, mat, axis):
    """Multiply ``x`` along ``axis`` by ``mat`` (out, in)."""
    y = xp.tensordot(x, mat, axes=([axis], [1]))  # the new axis goes last
    return xp.moveaxis(y, -1, axis)


class AdaptiveAvgPool(Function):
    @staticmethod
    def forward(ctx, x, mats):
        xp = array_module(x)
        lead = x.ndim - len(mats)
        ctx.mats, ctx.lead = mats, lead
        y = x
        for i, m in enumerate(mats):
            y = _along(xp, y, m, lead + i)
        return xp.ascontiguousarray(y)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        for i, m in enumerate(ctx.mats):
            g = _along(xp, g, m.T, ctx.lead + i)
        return xp.ascontiguousarray(g), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return Adjoint.apply(g, AdaptiveAvgPool, ctx, (ctx.mats,)), None

    @staticmethod
    def to_onnx(g, rec):
        x, mats = rec.args
        dt = g.operand_dtype()
        shape = g.shape(x)
        lead = len(shape) - len(mats)
        name = g.value(x)
        if all(m.shape[0] == 1 for m in mats):
            if lead == 2:
                g.out(g.op("GlobalAveragePool", [name]))
            else:
                g.out(g.reduce("ReduceMean", name, range(lead, len(shape)), True))
            return
        bins = [_onnx_regular_bins(np.asarray(m)) for m in mats]
        if lead == 2 and all(b is not None for b in bins):
            g.out(g.op("AveragePool", [name], kernel_shape=[b[0] for b in bins],
                       strides=[b[1] for b in bins]))
            return
        y = name
        for i, m in enumerate(mats):
            y = _onnx_along_axis(g, y, m, lead + i, len(shape), dt)
        g.out(y)


def _adaptive_avg(op, nd, input, output_size):
    _check(op, input, nd)
    sizes = _output_size(op, input, output_size, nd)
    xp = array_module(input._data)
    mats = []
    for i, o in enumerate(sizes):
        size = input.shape[input.ndim - nd + i]
        start, end = adaptive_bins(size, o)
        m = np.zeros((o, size))
        for r in range(o):
            m[r, start[r]:end[r]] = 1.0 / (end[r] - start[r])
        mats.append(xp.asarray(m.astype(input.dtype)))
    return AdaptiveAvgPool.apply(input, tuple(mats))


def adaptive_avg_pool1d(input, output_size):
    """Average over PyTorch's adaptive bins so the output has length ``output_size``.

    Shape: input (N, C, L) or (C, L); output (N, C, output_size).
    """
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Average over adaptive bins to an (H_out, W_out) map (an int means square; None keeps).

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out).
    """
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_avg_pool3d(input, output_size):
    """Average over adaptive bins to a (D_out, H_out, W_out) volume."""
    return _adaptive_avg("adaptive_avg_pool3d", 3, input, output_size)


def _max_along(xp, vals, pos, axis, size, out):
    """Max over PyTorch's adaptive bins along ``axis``, carrying ``pos`` (flat input positions).

    Taps run over each bin in order (short bins repeat their last element, which changes
    nothing); a tap wins if it is larger, or NaN, as in PyTorch's scan.
    """
    start, end = adaptive_bins(size, out)
    width = int((end - start).max())

    def taps():
        for t in range(width):
            idx = xp.asarray(np.minimum(start + t, end - 1))
            yield xp.take(vals, idx, axis=axis), xp.take(pos, idx, axis=axis)

    return scan_max(xp, taps())


def scan_max(xp, taps):
    """(max, position) over ``taps``, an iterable of (values, positions) arrays of one shape,
    taken in order: a tap wins if it is larger than the running max, or NaN (PyTorch's scan,
    so the first of equal maxima keeps its position and a NaN propagates)."""
    m = p = None
    for v, q in taps:
        if m is None:
            m, p = v, q
            continue
        upd = v > m
        if v.dtype.kind == "f":
            upd |= xp.isnan(v)
        xp.copyto(m, v, where=upd)
        xp.copyto(p, q, where=upd)
    return m, p


class AdaptiveMaxPool(Function):
    @staticmethod
    def forward(ctx, x, sizes):
        xp = array_module(x)
        nd = len(sizes)
        lead = x.ndim - nd
        spatial = x.shape[lead:]
        pos = xp.broadcast_to(xp.arange(int(np.prod(spatial))).reshape(spatial), x.shape)
        m = x
        for i in reversed(range(nd)):  # innermost dimension first (row-major scan order)
            m, pos = _max_along(xp, m, pos, lead + i, spatial[i], sizes[i])
        ctx.pos, ctx.shape = pos, x.shape
        return m, xp.ascontiguousarray(pos.astype(np.int64))

    @staticmethod
    def backward(ctx, g, _gi=None):
        xp = array_module(g)
        pos, shape = ctx.pos, ctx.shape
        rows = int(np.prod(g.shape[:2]))
        plane = int(np.prod(shape[2:]))
        gx = xp.zeros((rows, plane), dtype=g.dtype)
        flat_pos = pos.reshape(rows, -1)
        r = xp.broadcast_to(xp.arange(rows)[:, None], flat_pos.shape)
        xp.add.at(gx, (r, flat_pos), g.reshape(rows, -1))
        return gx.reshape(shape), None

    @staticmethod
    def differentiable_backward(ctx, g, *_):
        return scatter_planes(g, ctx.pos.astype(np.int64), ctx.shape), None

    @staticmethod
    def to_onnx(g, rec):
        x, sizes = rec.args
        shape = g.shape(x)
        spatial = shape[2:]
        name = g.value(x)
        if len(shape) - len(sizes) == 2 and all(s == 1 for s in sizes):
            g.out(g.op("GlobalMaxPool", [name]))
            return
        if len(shape) - len(sizes) == 2 and all(L % o == 0 for L, o in zip(spatial, sizes)):
            k = [L // o for L, o in zip(spatial, sizes)]
            g.out(g.op("MaxPool", [name], kernel_shape=k, strides=k))
            return
        g.unsupported(f"adaptive max pooling from {tuple(spatial)} to {tuple(sizes)} (ONNX pools "
                      "only whole windows: the output size must divide the input size)")


def _adaptive_max(op, nd, input, output_size, return_indices):
    _check(op, input, nd)
    unbatched = input.ndim == nd + 1
    x = input.unsqueeze(0) if unbatched else input
    sizes = _output_size(op, x, output_size, nd)
    out, idx = AdaptiveMaxPool.apply(x, sizes)
    if unbatched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over adaptive bins to length ``output_size``. Shape: (N, C, L) -> (N, C, L_out)."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over adaptive bins to an (H_out, W_out) map; indices are flat h * W + w.

    Shape: input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out).
    """
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max over adaptive bins to a (D_out, H_out, W_out) volume."""
    return _adaptive_max("adaptive_max_pool3d", 3, input, output_size, return_indices)


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool1d`` returning (output, indices) whatever ``return_indices`` says."""
    return adaptive_max_pool1d(input, output_size, True)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool2d`` returning (output, indices) whatever ``return_indices`` says."""
    return adaptive_max_pool2d(input, output_size, True)


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=False):
    """``adaptive_max_pool3d`` returning (output, indices) whatever ``return_indices`` says."""
    return adaptive_max_pool3d(input, output_size, True)


# ----------------------------------------------------------------------------- ONNX
def _onnx_regular_bins(mat):
    """(kernel, stride) if the averaging matrix is a plain strided window, else None."""
    o, size = mat.shape
    if size % o:
        return None
    k = size // o
    expect = np.zeros((o, size))
    for r in range(o):
        expect[r, r * k:(r + 1) * k] = 1.0 / k
    return (k, k) if np.allclose(np.asarray(mat, np.float64), expect) else None


def _onnx_along_axis(g, y, mat, axis, ndim, dt):
    """Multiply ``y`` by ``mat`` (O, L) along ``axis``: move it last, MatMul, move it back."""
    perm = [i for i in range(ndim) if i != axis] + [axis]
    inv = list(np.argsort(perm))
    t = g.op("Transpose", [y], perm=perm)
    t = g.op("MatMul", [t, g.const(np.ascontiguousarray(np.asarray(mat).T).astype(dt))])
    return g.op("Transpose", [t], perm=[int(i) for i in inv])
