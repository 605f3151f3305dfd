"""The convolution kernels on raw arrays: im2col, col2im and the three matrix products.

A convolution of an input ``x`` of shape (N, C, *S) with a weight of shape (O, C/g, *K) is one
matrix product once every receptive field has been copied into a column (im2col)::

    cols[(c, k), (n, p)] = x_padded[n, c, p * stride + k * dilation]      (C*prod(K), N*P)
    y[o, (n, p)]         = sum_(c, k) W[o, (c, k)] * cols[(c, k), (n, p)]   (O, N*P)

and its two gradients are matrix products too (the backward pass of a product is a product)::

    dW    = dy @ cols.T                  (the weight gradient)
    dcols = W.T @ dy;  dx = col2im(dcols)  (the input gradient: scatter-add the columns back)

``col2im`` is the transpose of ``im2col``, which is why a transposed convolution is computed as
a convolution's input gradient and the other way round (DESIGN.md habit 4). One N-d
implementation serves 1-D, 2-D and 3-D: the receptive fields are a strided *view* of the padded
input (no Python loop over pixels), copied once into columns; col2im loops over the prod(K)
kernel offsets, never over pixels.

The "wide row" trick. For a stride-1 last dimension the columns are built over rows as wide as
the padded input (Wp instead of Wo), so each copied run is a whole contiguous block of rows
rather than Wo elements: the copy runs at memory speed. The Wp - Wo extra positions of each row
are scratch; they are dropped from the output and their gradient is zero.

These are the functions the convolution runs: ``conv_kernels.conv_pass`` calls ``im2col``,
the products and ``col2im`` on cache-sized chunks of the batch, and ``F.unfold``/``F.fold`` call
``im2col``/``col2im`` on the whole batch. The public API is in ``conv.py``, ``pooling.py``,
``sliding_blocks.py`` and ``padding.py``.
"""

from __future__ import annotations

import functools
import itertools
import math

import numpy as np

from ... import accel
from ...backend import array_module

# Wide rows are used while the scratch columns are at most this fraction of the real ones.
WIDE_WASTE = 0.5


def as_strided(xp, a, shape, strides):
    """A view of ``a`` with the given shape and byte strides (numpy or cupy)."""
    return xp.lib.stride_tricks.as_strided(a, shape=shape, strides=strides)


def ntuple(value, n: int, op: str, name: str, minimum: int | None = None) -> tuple:
    """``value`` (an int or a sequence of n ints) as an n-tuple, with a clear error otherwise
    (RuntimeError, as PyTorch, for a value below ``minimum``: a zero stride, a negative padding)."""
    if isinstance(value, (list, tuple)):
        if len(value) == 1 and n > 1:
            value = tuple(value) * n
        if len(value) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} ints, got {value!r}")
        out = tuple(int(v) for v in value)
    else:
        try:
            out = (int(value),) * n
        except (TypeError, ValueError):
            raise TypeError(f"{op}: {name} must be an int or a tuple of {n} ints, "
                            f"got {value!r}") from None
    if minimum is not None and any(v < minimum for v in out):
        expected = {0: "non-negative", 1: "positive"}.get(minimum, f">= {minimum}")
        raise RuntimeError(f"{op}: {name} must be {expected}, got {value!r}")
    return out


def out_size(size: int, k: int, s: int, lo: int, hi: int, d: int) -> int:
    """floor((size + lo + hi - d (k - 1) - 1) / s) + 1: how many windows fit."""
    return (size + lo + hi - d * (k - 1) - 1) // s + 1


class ConvGeometry:
    """Everything about one convolution's shapes that does not depend on the values.

    ``in_shape`` = (N, C, *S) is the convolution's input; ``pads`` holds (low, high) per spatial
    dimension. Geometries are cached per shape (``geometry``), so a training loop pays for this
    bookkeeping once.
    """

    def __init__(self, in_shape, ksize, stride, pads, dilation, wide=None, out=None):
        n, c, *spatial = in_shape
        nd = len(spatial)
        self.in_shape, self.n, self.c, self.spatial = tuple(in_shape), n, c, tuple(spatial)
        self.ksize, self.stride, self.pads, self.dilation = ksize, stride, pads, dilation
        self.nd = nd
        self.kprod = math.prod(ksize)
        # ``out`` may ask for fewer windows than fit (a transposed convolution whose
        # output_padding leaves trailing rows that no input pixel reaches).
        self.out = tuple(out) if out is not None else tuple(
            out_size(spatial[i], ksize[i], stride[i], pads[i][0], pads[i][1], dilation[i])
            for i in range(nd))
        self.padded = tuple(spatial[i] + pads[i][0] + pads[i][1] for i in range(nd))
        # The wide-row trick pays when rows are short and the scratch part is small.
        if wide is None:
            wo, wp = self.out[-1], self.padded[-1]
            wide = nd >= 2 and stride[-1] == 1 and wo <= 128 and wp - wo <= WIDE_WASTE * wo
        self.wide = bool(wide) and nd >= 2 and stride[-1] == 1
        # Extra zero rows at the bottom so the last wide row may run past its end.
        extra = 1 if self.wide and (ksize[-1] - 1) * dilation[-1] > 0 else 0
        self.buf_spatial = self.padded[:-2] + (self.padded[-2] + extra,) + self.padded[-1:] \
            if nd >= 2 else self.padded
        self.out_wide = self.out[:-1] + (self.padded[-1],) if self.wide else self.out
        self.p = math.prod(self.out)
        self.p_wide = math.prod(self.out_wide)
        self.needs_buffer = any(lo or hi for lo, hi in pads) or extra > 0
        self.interior = (slice(None), slice(None)) + tuple(
            slice(lo, lo + s) for (lo, _), s in zip(pads, spatial))
        self.key = (ksize, stride, pads, dilation, wide, out)
        # the windows' axes (N, C, *K, *out) in the order of the "cn" columns: (C, *K, N, *out)
        self.cn_order = (1,) + tuple(range(2, 2 + nd)) + (0,) + tuple(range(2 + nd, 2 + 2 * nd))
        # When every kernel offset touches one contiguous run of each (n, c) plane of the
        # buffer (stride 1, wide rows or 1-D), col2im adds plain slices: the element offsets.
        sizes = self.buf_spatial
        elem = [math.prod(sizes[i + 1:]) for i in range(nd)]
        view = [stride[i] * elem[i] for i in range(nd)]
        contig = [math.prod(self.out_wide[i + 1:]) for i in range(nd)]
        self.runs = None
        if all(v == c_ or o == 1 for v, c_, o in zip(view, contig, self.out_wide)):
            self.runs = [sum(k_ * d_ * e for k_, d_, e in zip(kk, dilation, elem))
                         for kk in itertools.product(*(range(k_) for k_ in ksize))]
        # The windows' dimensions after (N, C): (*K, *out_wide), with their byte strides over a
        # C-contiguous buffer, per item size (k * dilation and o * stride elements apart).
        self.win_tail = tuple(ksize) + self.out_wide
        win_elems = [d * e for d, e in zip(dilation, elem)] + [s * e for s, e in zip(stride, elem)]
        self.win_strides = {isz: tuple(e * isz for e in win_elems) for isz in (1, 2, 4, 8, 16)}

    def with_batch(self, n):
        """The same geometry for a batch of ``n`` samples (a chunk of this one)."""
        return self if n == self.n else geometry((n,) + self.in_shape[1:], *self.key)

    # -------------------------------------------------------------- buffers and views
    def padded_input(self, x):
        """x placed in a zero buffer of shape (N, C, *buf_spatial) (x itself when no padding)."""
        if not self.needs_buffer:
            return x
        xp = array_module(x)
        buf = xp.zeros((x.shape[0], x.shape[1]) + self.buf_spatial, dtype=x.dtype)
        buf[self.interior] = x
        return buf

    def windows(self, buf):
        """The strided view (N, C, *K, *out_wide) of the padded buffer: every receptive field.

        ``buf`` is the padding buffer (N, C, *buf_spatial); an input of the unpadded shape is
        first copied into one when the geometry pads (or reads past the last wide row).
        """
        if self.needs_buffer and buf.shape[2:] != self.buf_spatial:
            buf = self.padded_input(buf)
        st = buf.strides
        shape = buf.shape[:2] + self.win_tail
        if isinstance(buf, np.ndarray) and buf.flags.c_contiguous:
            return np.ndarray(shape, buf.dtype, buffer=buf,
                              strides=st[:2] + self.win_strides[buf.itemsize])
        sp = st[2:]
        strides = st[:2] + tuple(d * s for d, s in zip(self.dilation, sp)) + \
            tuple(s * t for s, t in zip(self.stride, sp))
        return as_strided(array_module(buf), buf, shape, strides)

    def offset_view(self, buf, k):
        """The view (N, C, *out_wide) of the buffer that kernel offset ``k`` (a tuple) touches."""
        st = buf.strides
        sp = st[2:]
        shape = buf.shape[:2] + self.out_wide
        strides = st[:2] + tuple(s * t for s, t in zip(self.stride, sp))
        if isinstance(buf, np.ndarray) and buf.flags.c_contiguous:
            # the ndarray constructor makes this view several times faster than as_strided
            offset = sum(ki * d * t for ki, d, t in zip(k, self.dilation, sp))
            return np.ndarray(shape, buf.dtype, buffer=buf, offset=offset, strides=strides)
        start = buf[(slice(None), slice(None)) + tuple(ki * d for ki, d in zip(k, self.dilation))]
        return as_strided(array_module(buf), start, shape, strides)


@functools.lru_cache(maxsize=512)
def geometry(in_shape, ksize, stride, pads, dilation, wide=None, out=None) -> ConvGeometry:
    """The ConvGeometry for these shapes and options (tuples), made once and cached."""
    return ConvGeometry(in_shape, ksize, stride, pads, dilation, wide, out)


# ------------------------------------------------------------------ im2col / col2im
def im2col(x, geom: ConvGeometry, layout: str = "cn", out=None, xbuf=None, windows=None):
    """Copy every receptive field of ``x`` into a column.

    layout "cn": (C * prod(K), N * P_wide), channels outermost, one matrix for the whole batch;
    layout "nc": (N, C * prod(K), P_wide), one matrix per sample (``F.unfold``'s layout).
    ``out`` (a C-contiguous array of that shape) and ``xbuf`` (a zero-bordered padding buffer
    of shape (N, C, *buf_spatial)) may be given to reuse memory, and with ``xbuf`` its
    ``windows = geom.windows(xbuf)``, made once (the view costs more than a small copy).
    """
    if geom.needs_buffer:
        if xbuf is None:
            xbuf = array_module(x).zeros((x.shape[0], x.shape[1]) + geom.buf_spatial,
                                         dtype=x.dtype)
            windows = None
        xbuf[geom.interior] = x
        win = geom.windows(xbuf) if windows is None else windows
    else:
        win = geom.windows(x)  # (N, C, *K, *out_wide)
    n, c = x.shape[0], x.shape[1]
    if layout == "cn":
        win = win.transpose(geom.cn_order)  # (C, *K, N, *out_wide)
        shape = (c * geom.kprod, n * geom.p_wide)
    else:
        shape = (n, c * geom.kprod, geom.p_wide)
    if out is None:
        return array_module(x).ascontiguousarray(win).reshape(shape)
    out.reshape(win.shape)[...] = win  # the one copy
    return out


def col2im(cols, geom: ConvGeometry, layout: str = "cn", buf=None):
    """The adjoint of ``im2col``: add every column back onto the pixels it was copied from.

    One strided add per kernel offset (prod(K) adds), each covering the whole batch; with
    compiled kernels (accel.py) and contiguous runs, one pass instead (``_col2im_runs``).
    ``buf`` (N, C, *buf_spatial) may be given to reuse memory; the result is a view into it.
    """
    xp = array_module(cols)
    n, c, nd = geom.n, geom.c, geom.nd
    if (layout == "cn" and geom.runs is not None and accel.available(cols)
            and cols.flags.c_contiguous and (buf is None or buf.flags.c_contiguous)):
        if buf is None:
            buf = xp.empty((n, c) + geom.buf_spatial, dtype=cols.dtype)
        _col2im_runs(cols, np.asarray(geom.runs, np.int64), n, geom.p_wide,
                     buf.reshape(n, c, -1))
        return buf[geom.interior] if geom.needs_buffer else buf
    if layout == "cn":
        v = cols.reshape((c,) + tuple(geom.ksize) + (n,) + geom.out_wide)
        v = v.transpose((nd + 1, 0) + tuple(range(1, nd + 1)) + tuple(range(nd + 2, 2 * nd + 2)))
    else:
        v = cols.reshape((n, c) + tuple(geom.ksize) + geom.out_wide)
    if buf is None:
        buf = xp.zeros((n, c) + geom.buf_spatial, dtype=cols.dtype)
    else:
        buf.fill(0)
    if geom.runs is not None and buf.flags.c_contiguous:
        flat = buf.reshape(n, c, -1)
        pw = geom.p_wide
        v = v.reshape(n, c, geom.kprod, pw)
        for j, off in enumerate(geom.runs):
            dst = flat[:, :, off:off + pw]
            dst += v[:, :, j]
    else:
        for k in itertools.product(*(range(ki) for ki in geom.ksize)):
            dst = geom.offset_view(buf, k)
            dst += v[(slice(None), slice(None)) + k]
    return buf[geom.interior] if geom.needs_buffer else buf


@accel.kernel
def _col2im_runs(cols, runs, n, pw, out):
    """col2im when each kernel offset j adds one contiguous run of every (sample, channel)
    plane (``geom.runs``): out[i, c, runs[j] + p] += cols[c * K + j, i * pw + p], for
    out (N, C, plane), all K offsets of a plane added while it is in cache (accel.py)."""
    kprod = runs.shape[0]
    for i in range(n):
        base = i * pw
        for ci in range(out.shape[1]):
            o = out[i, ci]
            o[:] = 0
            for j in range(kprod):
                off = runs[j]
                row = ci * kprod + j
                for p in range(pw):
                    o[off + p] += cols[row, base + p]


# ------------------------------------------------------------------ the three products
def forward_product(w, cols, groups: int, out=None):
    """W (O, C/g * prod(K)) @ cols, one product per group: the output as (O, N * P_wide)."""
    xp = array_module(w, cols)
    o = w.shape[0]
    w2 = w.reshape(o, -1)
    if groups == 1:
        return xp.matmul(w2, cols, out=out)
    res = xp.matmul(w2.reshape(groups, o // groups, -1), cols.reshape(groups, -1, cols.shape[1]),
                    out=None if out is None else out.reshape(groups, o // groups, -1))
    return res.reshape(o, -1)


def cols_grad(g2, w, groups: int, out=None):
    """dcols = W.T @ dy (per group) for dy given as the wide matrix (O, N * P_wide)."""
    xp = array_module(g2, w)
    o = w.shape[0]
    w2 = w.reshape(o, -1)
    if groups == 1:
        return xp.matmul(w2.T, g2, out=out)
    wg = w2.reshape(groups, o // groups, -1).transpose(0, 2, 1)
    res = xp.matmul(wg, g2.reshape(groups, o // groups, -1),
                    out=None if out is None else out.reshape(groups, wg.shape[1], -1))
    return res.reshape(-1, g2.shape[1])


def weight_grad_t(g2, cols, groups: int):
    """dW as (groups, C/g * prod(K), O/g): cols @ dy.T per group.

    The transpose of dW = dy @ cols.T is computed because BLAS runs the long inner dimension
    (N * P) several times faster with the operands in this order.
    """
    xp = array_module(g2, cols)
    o = g2.shape[0]
    return xp.matmul(cols.reshape(groups, -1, cols.shape[1]),
                     g2.reshape(groups, o // groups, -1).transpose(0, 2, 1))
