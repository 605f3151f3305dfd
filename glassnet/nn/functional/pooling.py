"""Pooling: max and average pooling in 1-D, 2-D and 3-D.

Pooling summarises each window of a feature map by one number, channel by channel: it lowers
the resolution, and the max makes the map tolerant to small shifts and deformations inside a
window (approximate invariance). It is *not* shift-equivariant: shifting the input by one pixel
can change a stride-2 max pool's output completely (aliasing; see ``nn.BlurPool2d`` for the
anti-aliased version of R. Zhang, ICML 2019).

Both poolings run over the prod(K) kernel offsets of a strided view (never over pixels). Max
pooling keeps, per output, the offset of the first maximum in window scan order (row-major),
exactly PyTorch's rule, so ties route the gradient to the same input pixel PyTorch picks; a NaN
in a window wins (the last NaN, as in PyTorch). 2x2 max pooling at stride 2 has its own
two-step kernel (``maxpool2x2.py``); adaptive pooling is in ``adaptive.py``, max unpooling in
``unpool.py``.
"""

from __future__ import annotations

import functools
import itertools

import numpy as np

from ...autograd import Function
from ...backend import array_module, compute_in_float32, is_floating
from ...tensor import Tensor
from .adjoint import Adjoint, scatter_planes
from .im2col import geometry, ntuple
from .maxpool2x2 import MaxPool2x2
from .padding import onnx_pads


def pool_output_size(size, k, s, p, d, ceil_mode):
    """PyTorch's pooling output size, including the ceil_mode rule.

    floor or ceil of (size + 2 p - d (k - 1) - 1) / s, plus 1; in ceil mode the last window must
    start inside the input or its left padding.
    """
    num = size + 2 * p - d * (k - 1) - 1
    o = (num + (s - 1 if ceil_mode else 0)) // s + 1
    if ceil_mode and (o - 1) * s >= size + p:
        o -= 1
    return o


def _plan(op, x_shape, ksize, stride, padding, dilation, ceil_mode, nd):
    """Validate pooling arguments; returns the ConvGeometry of the windows (cached per call
    signature, so a training loop validates once)."""
    args = (op, tuple(x_shape), ksize, stride, padding, dilation, ceil_mode, nd)
    try:
        return _make_plan(*args)
    except TypeError:  # unhashable arguments (lists): validated without the cache
        return _make_plan.__wrapped__(*args)


@functools.lru_cache(maxsize=512)
def _make_plan(op, x_shape, ksize, stride, padding, dilation, ceil_mode, nd):
    k = ntuple(ksize, nd, op, "kernel_size", minimum=1)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        ntuple(stride, nd, op, "stride", minimum=1)
    p = ntuple(padding, nd, op, "padding", minimum=0)
    d = ntuple(dilation, nd, op, "dilation", minimum=1)
    pads = []
    spatial = x_shape[2:]
    for i in range(nd):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"{op}: pad should be smaller than or equal to half of kernel "
                               f"size, but got padding={p}, kernel_size={k}")
        o = pool_output_size(spatial[i], k[i], s[i], p[i], d[i], ceil_mode)
        if o <= 0:
            raise RuntimeError(f"{op}: output size is too small ({o}) for input shape "
                               f"{tuple(x_shape)}, kernel_size={k}, stride={s}, padding={p}, "
                               f"dilation={d}")
        hi = max(p[i], (o - 1) * s[i] + d[i] * (k[i] - 1) + 1 - spatial[i] - p[i])
        pads.append((p[i], hi))
    return geometry(tuple(x_shape), k, s, tuple(pads), d, wide=False)


def _batched(op, input, nd):
    if not isinstance(input, Tensor):
        raise TypeError(f"{op}: input must be a Tensor, got {type(input).__name__}")
    if input.ndim not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}: expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) "
                           f"input, got shape {tuple(input.shape)}")
    if input.ndim == nd + 1:
        return input.unsqueeze(0), True
    return input, False


def _offsets(geom):
    return list(itertools.product(*(range(k) for k in geom.ksize)))


def _taps(buf, geom):
    """The views (N, C, *out) of the padded buffer that each window tap reads, in scan order."""
    return [buf[sl] for sl in _tap_slices(geom)]


@functools.lru_cache(maxsize=512)
def _tap_slices(geom):
    """Tap k of every window sits at ``o * stride + k * dilation``: a basic slice (start
    k * dilation, step stride), which NumPy builds without any Python-level stride arithmetic."""
    return [(slice(None), slice(None)) + tuple(
                slice(ki * d, ki * d + s * (o - 1) + 1, s)
                for ki, d, s, o in zip(k, geom.dilation, geom.stride, geom.out))
            for k in _offsets(geom)]


def _overlapping(geom):
    return any(s < d * (k - 1) + 1 for s, k, d in zip(geom.stride, geom.ksize, geom.dilation))


def _fill_value(dtype):
    return -np.inf if is_floating(dtype) else np.iinfo(dtype).min


def _padded(x, geom, value):
    if not geom.needs_buffer:
        return x
    xp = array_module(x)
    buf = xp.full(x.shape[:2] + geom.buf_spatial, value, dtype=x.dtype)
    buf[geom.interior] = x
    return buf


def _first_valid(xp, geom):
    """Per output, the scan-order index of the first window tap inside the input."""
    flat = 0
    for i in range(geom.nd):
        o = xp.arange(geom.out[i])
        lo, d = geom.pads[i][0], geom.dilation[i]
        ka = xp.maximum(0, -((o * geom.stride[i] - lo) // d))  # ceil((lo - o s) / d), >= 0
        shape = [1] * geom.nd
        shape[i] = geom.out[i]
        flat = flat * geom.ksize[i] + ka.reshape(shape)
    return flat


class MaxPoolNd(Function):
    """Max over each window; the arg-max offset (first maximum in scan order) is kept.

    One scan over the window taps: a tap replaces the running maximum only where it is strictly
    greater, so ties keep the earliest tap (PyTorch's rule). The arg-max is updated with integer
    arithmetic on the comparison's bytes (idx += gt * (j - idx)), which runs at memory speed,
    where a masked copy would not.
    """

    @staticmethod
    def forward(ctx, x, geom, return_indices):
        xp = array_module(x)
        buf = _padded(x, geom, _fill_value(x.dtype))
        views = _taps(buf, geom)
        kk = len(views)
        idx_t = np.int8 if kk < 127 else (np.int16 if kk < 32000 else np.int32)
        m = views[0].copy()
        idx = xp.zeros(m.shape, dtype=idx_t)
        if kk > 1:
            gt = xp.empty(m.shape, dtype=bool)
            step = xp.empty(m.shape, dtype=idx_t)
            gt_i = gt.view(idx_t) if idx_t == np.int8 else gt
            for j in range(1, kk):
                v = views[j]
                xp.greater(v, m, out=gt)
                xp.subtract(idx_t(j), idx, out=step)     # idx <- j where gt, unchanged elsewhere
                xp.multiply(step, gt_i, out=step)
                idx += step
                xp.maximum(m, v, out=m)                  # NaN propagates into m, as in PyTorch
        if is_floating(m.dtype):
            nan = xp.isnan(m)
            if nan.any():  # PyTorch takes the last NaN of the window
                for j in range(kk):
                    xp.copyto(idx, j, where=nan & xp.isnan(views[j]))
            if geom.needs_buffer:
                empty = m == -np.inf  # only padding-valued taps: the first real one wins
                if empty.any():
                    fv = xp.broadcast_to(_first_valid(xp, geom), m.shape)
                    xp.copyto(idx, fv.astype(idx_t), where=empty)
        ctx.geom, ctx.shape = geom, x.shape
        ctx.save_for_backward(idx)
        if return_indices:
            return m, _flat_indices(xp, idx, geom)
        return m

    @staticmethod
    def backward(ctx, g, *_):
        (idx,) = ctx.saved_tensors
        geom = ctx.geom
        xp = array_module(g)
        shape = ctx.shape[:2] + geom.buf_spatial
        overlap = _overlapping(geom)
        # Windows that tile the buffer exactly write every element once: no zero fill needed.
        tiled = not overlap and all(
            k == s and d == 1 and o * k == b for k, s, d, o, b in
            zip(geom.ksize, geom.stride, geom.dilation, geom.out, geom.buf_spatial))
        buf = xp.empty(shape, dtype=g.dtype) if tiled else xp.zeros(shape, dtype=g.dtype)
        mask = xp.empty(idx.shape, dtype=bool)
        for j, view in enumerate(_taps(buf, geom)):
            xp.equal(idx, j, out=mask)
            if overlap:
                view += g * mask
            else:  # each input pixel is in one window: write g where this tap won, else 0
                xp.multiply(g, mask, out=view)
        return (buf[geom.interior] if geom.needs_buffer else buf), None, None

    @staticmethod
    def differentiable_backward(ctx, g, *_):
        # dy scattered into the arg-max positions (linear in dy; zero second derivative in x,
        # as in PyTorch)
        (idx,) = ctx.saved_tensors
        flat = _flat_indices(array_module(idx), idx, ctx.geom)
        return scatter_planes(g, flat, ctx.shape), None, None

    @staticmethod
    def to_onnx(g, rec):
        _x, geom, return_indices = rec.args
        _onnx_max_pool(g, rec, geom, return_indices)


def _flat_indices(xp, idx, geom):
    """Window offsets -> PyTorch's indices: the flat position in the (unpadded) input plane."""
    taps = xp.unravel_index(idx.astype(np.int64), geom.ksize)
    flat = 0
    for i in range(geom.nd):
        shape = [1] * geom.nd
        shape[i] = geom.out[i]
        o = xp.arange(geom.out[i]).reshape(shape)
        pos = o * geom.stride[i] - geom.pads[i][0] + taps[i] * geom.dilation[i]
        flat = flat * geom.spatial[i] + pos
    return xp.ascontiguousarray(flat.astype(np.int64))


class AvgPoolNd(Function):
    """Sum over each window divided by the window's divisor (an array over output positions)."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, geom, divisor):
        xp = array_module(x)
        buf = _padded(x, geom, 0)
        views = _taps(buf, geom)
        acc = views[0].copy()
        for v in views[1:]:
            acc += v
        ctx.geom, ctx.shape, ctx.divisor = geom, x.shape, divisor
        if acc.dtype.kind != "f":  # integer tensors: C's truncating division, like PyTorch
            return (xp.abs(acc) // divisor * xp.sign(acc)).astype(acc.dtype)
        return xp.divide(acc, divisor, out=acc)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        geom = ctx.geom
        xp = array_module(g)
        gd = g / ctx.divisor
        buf = xp.zeros(ctx.shape[:2] + geom.buf_spatial, dtype=g.dtype)
        overlap = _overlapping(geom)
        for view in _taps(buf, geom):
            if overlap:
                view += gd
            else:
                view[...] = gd
        return (buf[geom.interior] if geom.needs_buffer else buf), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return Adjoint.apply(g, AvgPoolNd, ctx, (ctx.geom, ctx.divisor)), None, None

    @staticmethod
    def to_onnx(g, rec):
        x, geom, divisor = rec.args
        dt = g.operand_dtype()
        name, pads = _onnx_pool_input(g, x, geom.pads, geom.ksize, 0)
        y = g.op("AveragePool", [name], kernel_shape=list(geom.ksize), strides=list(geom.stride),
                 pads=pads, count_include_pad=1)
        div = np.asarray(divisor, dtype=np.float64)
        k = float(np.prod(geom.ksize))
        if not np.all(div == k):  # PyTorch's divisor differs from the full window somewhere
            y = g.op("Mul", [y, g.const((k / div).astype(dt), kind="pool_divisor")])
        g.out(y)


def _avg_divisor(xp, geom, dtype, count_include_pad, divisor_override):
    """PyTorch's divisor per output: the window size clipped to input + padding (or to input)."""
    if divisor_override is not None:
        if int(divisor_override) == 0:
            raise ValueError("avg_pool: divisor_override must be non-zero")
        return dtype.type(divisor_override)
    if not is_floating(dtype):
        dtype = np.int64
    div = 1
    for i in range(geom.nd):
        o = np.arange(geom.out[i])
        p, size, k = geom.pads[i][0], geom.spatial[i], geom.ksize[i]
        start = o * geom.stride[i] - p
        end = np.minimum(start + k, size + p)
        n = end - start if count_include_pad else \
            np.minimum(end, size) - np.maximum(start, 0)
        shape = [1] * geom.nd
        shape[i] = geom.out[i]
        div = div * n.reshape(shape)
    return xp.asarray(np.asarray(div, dtype=dtype))


# ------------------------------------------------------------------ public API
def _max_pool(op, nd, input, kernel_size, stride, padding, dilation, ceil_mode, return_indices):
    x, unbatched = _batched(op, input, nd)
    geom = _plan(op, x.shape, kernel_size, stride, padding, dilation, ceil_mode, nd)
    if nd == 2 and geom.ksize == (2, 2) and geom.stride == (2, 2) and \
            geom.dilation == (1, 1) and not geom.needs_buffer:
        out = MaxPool2x2.apply(x, bool(return_indices))  # the common case, in two steps
    else:
        out = MaxPoolNd.apply(x, geom, bool(return_indices))
    if unbatched:
        out = tuple(o.squeeze(0) for o in out) if return_indices else out.squeeze(0)
    return out


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-D max pooling: y[n, c, i] = max_k x_pad[n, c, i stride + k dilation] (pad = -inf).

    Shape:
        input (N, C, L) or (C, L); output (N, C, L_out) with
        L_out = floor_or_ceil((L + 2 padding - dilation (kernel_size - 1) - 1) / stride) + 1.
    """
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-D max pooling: the largest value of each kernel_size window, channel by channel.

    ``stride`` defaults to ``kernel_size`` (non-overlapping windows). Padding is -inf (never
    picked). With ``return_indices`` also returns, per output, the flat index h * W + w of the
    chosen input pixel (what ``max_unpool2d`` needs). The gradient flows only to that pixel.

    Shape:
        input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out), H_out as in ``max_pool1d``.

    Example (the lectures): 2x2 max pooling of [[12, 20, 30, 0], [8, 12, 2, 0],
    [34, 70, 37, 4], [112, 100, 25, 12]] gives [[20, 30], [112, 37]].
    """
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-D max pooling over (N, C, D, H, W); see ``max_pool2d``. Indices are flat in D*H*W."""
    return _max_pool("max_pool3d", 3, input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices)


def _avg_pool(op, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x, unbatched = _batched(op, input, nd)
    k = ntuple(kernel_size, nd, op, "kernel_size", minimum=1)
    p = ntuple(padding, nd, op, "padding", minimum=0)
    if nd == 3 and any(x.shape[2 + i] < k[i] for i in range(3)):  # PyTorch's avg_pool3d check
        raise RuntimeError(f"{op}: input image {tuple(x.shape[2:])} is smaller than the kernel "
                           f"size {k}")
    geom = _plan(op, x.shape, k, stride, p, 1, ceil_mode, nd)
    div = _avg_divisor(array_module(x._data), geom, x.dtype, count_include_pad, divisor_override)
    out = AvgPoolNd.apply(x, geom, div)
    return out.squeeze(0) if unbatched else out


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-D average pooling (see ``avg_pool2d``). Shape: (N, C, L) -> (N, C, L_out)."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-D average pooling: the mean of each window, channel by channel.

    The divisor is the window size, counting zero padding when ``count_include_pad`` (but never
    the part of a ceil_mode window that hangs past the padding), only real pixels otherwise, or
    ``divisor_override``. A fixed linear filter (a box blur followed by subsampling).

    Shape:
        input (N, C, H, W) or (C, H, W); output (N, C, H_out, W_out), H_out as in ``max_pool2d``.
    """
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-D average pooling over (N, C, D, H, W); see ``avg_pool2d``."""
    return _avg_pool("avg_pool3d", 3, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


# ----------------------------------------------------------------------------- ONNX
def _onnx_pool_input(g, x, pads, ksize, fill):
    """ORT wants every pad smaller than the kernel: pad explicitly when one is not."""
    name = g.value(x)
    if all(lo < k and hi < k for (lo, hi), k in zip(pads, ksize)):
        return name, onnx_pads(len(pads), pads)
    nd = len(pads)
    full = [0, 0] + [p[0] for p in pads] + [0, 0] + [p[1] for p in pads]
    dt = g.operand_dtype()
    padded = g.op("Pad", [name, g.ints(full), g.const(np.asarray(fill, dtype=dt))],
                  mode="constant")
    return padded, [0] * (2 * nd)


def _onnx_max_pool(g, rec, geom, return_indices):
    x = rec.args[0]
    fill = np.finfo(g.operand_dtype()).min if g.operand_dtype().kind == "f" else 0
    name, pads = _onnx_pool_input(g, x, geom.pads, geom.ksize, fill)
    attrs = {"kernel_shape": list(geom.ksize), "strides": list(geom.stride), "pads": pads}
    if any(d != 1 for d in geom.dilation):
        attrs["dilations"] = list(geom.dilation)
    if not return_indices:
        g.out(g.op("MaxPool", [name], **attrs))
        return
    if any(p for p in pads) or pads != onnx_pads(geom.nd, geom.pads):
        g.unsupported("max pooling with return_indices and padding")
    y, idx = g.op("MaxPool", [name], n_out=2, **attrs)
    plane = int(np.prod(g.shape(x)[2:]))
    g.out(y, 0)  # ONNX indexes the whole (N, C, *S) tensor; PyTorch one plane
    g.out(g.op("Mod", [idx, g.const(np.asarray(plane, np.int64))]), 1)
