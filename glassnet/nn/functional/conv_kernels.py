"""One pass of a convolution over the batch in cache-sized chunks (internal).

``conv_pass`` computes any combination of the convolution's output, its input gradient, its
weight gradient and its bias gradient. The batch is cut into chunks whose columns (im2col) fit
in the processor's cache, so each chunk's columns are written, multiplied and (in backward)
multiplied again while they are still in cache, instead of streaming a matrix up to prod(K)
times the size of the input through main memory: the products run faster and the columns of
the whole batch never exist at once. Scratch buffers are reused between calls (per thread).

Chunks are independent, so when there are several they are shared out among the threads
(``glassnet.backend.parallel_map``; NumPy releases the interpreter lock in its copies and
products) with BLAS limited to one thread meanwhile: the copies of im2col and col2im then run
in parallel too, not only the products. The chunks and the order in which their gradients are
added do not depend on the number of threads, so neither does the result. This needs ``threadpoolctl`` to set the BLAS thread
count; without it the chunks run one after the other.

Stride-1 3x3 convolutions may run Winograd's F(2x2, 3x3) or F(4x4, 3x3) instead of im2col
(``winograd.py``; ``uses_winograd`` decides, by ``glassnet.backends.conv_algorithm``); its
chunks are scheduled the same way.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from ... import backend, backends
from ...backend import array_module
from .im2col import (
    ConvGeometry,
    col2im,
    cols_grad,
    forward_product,
    geometry,
    im2col,
    weight_grad_t,
)
from .winograd import CHUNK_BYTES as WINOGRAD_CHUNK_BYTES
from .winograd import KEEP_BYTES as WINOGRAD_KEEP_BYTES
from .winograd import KeptTransforms, WinogradJob
from .winograd import applicable as winograd_applicable
from .winograd import preferred as winograd_preferred
from .winograd import sample_bytes as winograd_sample_bytes
from .winograd import tile as winograd_tile

# Target size of one chunk's columns: a few MiB stay in the caches of current CPUs.
CHUNK_BYTES = 2 * 2**20
# Columns of at most this size (all chunks together) are kept from forward for backward.
# Kept columns are fresh arrays, written and reread from memory instead of the cache-resident
# scratch: for LeNet-5's first layer at batch 64 (5.6 MiB of columns) keeping them made a
# training step 9-14 % slower than rebuilding them in backward, so only small ones are kept.
KEEP_COLS_BYTES = 1 * 2**20
# Scratch memory kept between calls (per thread): buffers and views of recent chunk shapes.
SCRATCH_BYTES = 96 * 2**20
# Problems with less column data than this run on one thread.
MIN_PARALLEL_BYTES = 2 * 2**20

_local = threading.local()


def conv_pass(geom: ConvGeometry, w, groups, x=None, g=None, bias=None, cols=None,
              want_y=False, want_dx=False, want_dw=False, want_db=False, keep_cols=False):
    """One chunked pass of the convolution ``y = conv(x, w) + bias`` described by ``geom``.

    Computes y (needs x), dx = conv's input gradient of dy = g, dw (needs x and g) and db
    (needs g), as asked. ``cols`` are the columns of x kept by an earlier pass (a dict: chunk
    start -> columns; for Winograd, a KeptTransforms of the transformed x). Returns (y, dx, dw,
    db, cols), with cols only when ``keep_cols`` and all the columns together are at most
    KEEP_COLS_BYTES (Winograd: winograd.KEEP_BYTES; larger ones are rebuilt in backward).
    """
    ref = x if x is not None else g
    xp = array_module(ref, w)
    dt = ref.dtype
    n = geom.n
    tile = uses_winograd(geom, w, groups) if xp is np else 0
    winograd = bool(tile)
    # Samples per chunk: about CHUNK_BYTES of columns (Winograd: WINOGRAD_CHUNK_BYTES of
    # transformed input); when the work may be shared among threads, a multiple of
    # backend.parallel_parts() of chunks of near-equal size. The chunks do not depend on how
    # many threads run them, and their weight and bias gradients are added in chunk order, so
    # the result is the same whatever the thread count.
    if winograd:
        per_sample = winograd_sample_bytes(geom, dt, tile)
        nb = max(1, min(n, WINOGRAD_CHUNK_BYTES // per_sample))
    else:
        per_sample = max(geom.c * geom.kprod * geom.p_wide * dt.itemsize, 1)
        nb = max(1, min(n, CHUNK_BYTES // per_sample))
    total = per_sample * n
    parallel = (total >= MIN_PARALLEL_BYTES and xp is np and n > 1
                and backend.blas_threads_controllable())
    if parallel:
        parts = backend.parallel_parts()
        chunks = -(-n // nb)
        chunks = -(-chunks // parts) * parts
        nb = max(1, -(-n // chunks))
    starts = list(range(0, n, nb))
    single = len(starts) == 1
    if cols is not None and (len(cols) != len(starts)  # chunked differently: rebuild
                             or isinstance(cols, KeptTransforms) != winograd):
        cols = None
    keep = keep_cols and total <= (WINOGRAD_KEEP_BYTES if winograd else KEEP_COLS_BYTES)
    if winograd:  # cols: the transformed input V of each chunk
        job = WinogradJob(geom, w, x, g, bias, cols, want_y, want_dx, want_dw, want_db, keep,
                          nb, dt, tile)
    else:
        job = _Job(geom, w, groups, x, g, bias, cols, want_y, want_dx, want_dw, want_db, keep,
                   nb, xp, dt)
    if parallel and not single:
        with backend.one_blas_thread():
            parts = backend.parallel_map(job.run, [[s] for s in starts])
    else:
        parts = [job.run(starts)]
    dw = db = None
    if want_dw:
        dwt = parts[0][0]
        for p in parts[1:]:
            dwt += p[0]
        dw = job.weight_grad(dwt)
    if want_db:
        db = parts[0][1]
        for p in parts[1:]:
            db = db + p[1]
    return job.y, job.dx, dw, db, job.kept


def uses_winograd(geom: ConvGeometry, w, groups) -> int:
    """The output tile m of the Winograd F(m x m, 3x3) that the convolution ``geom`` runs
    (``winograd.py``), or 0 for im2col, as ``glassnet.backends.conv_algorithm`` says, where
    Winograd applies (2-D 3x3, stride 1, no dilation, one group, NumPy float32/float64):
    "winograd" runs F(winograd.TILE); "auto" runs what ``winograd.preferred`` picks."""
    algo = backends.conv_algorithm
    if algo == "im2col":
        return 0
    if algo not in ("auto", "winograd"):
        raise ValueError("glassnet.backends.conv_algorithm must be 'auto', 'winograd' or "
                         f"'im2col', got {algo!r}")
    if not winograd_applicable(geom, w, groups):
        return 0
    if algo == "winograd":
        return winograd_tile()
    return winograd_preferred(geom, w)


class _Job:
    """The arrays of one conv_pass, and the work on one chunk of the batch."""

    def __init__(self, geom, w, groups, x, g, bias, cols, want_y, want_dx, want_dw, want_db,
                 keep, nb, xp, dt):
        self.geom, self.w, self.groups, self.x, self.g, self.bias = geom, w, groups, x, g, bias
        self.cols, self.keep, self.nb, self.xp, self.dt = cols, keep, nb, xp, dt
        self.want = (want_y, want_dx, want_dw, want_db)
        n, c, o = geom.n, geom.c, w.shape[0]
        self.single = nb >= n
        self.y = xp.empty((n, o) + geom.out, dtype=dt) if want_y else None
        self.dx = xp.empty((n, c) + geom.spatial, dtype=dt) if want_dx and not self.single \
            else None
        self.kept = {} if keep else None
        self.key = (geom.in_shape[1:], geom.key, nb)

    def weight_grad(self, dwt):
        """dW from the summed dW.T of all chunks."""
        return dwt.transpose(0, 2, 1).reshape(self.w.shape)

    def run(self, starts):
        """Process the chunks beginning at ``starts``; returns this thread's (dW.T, db) sums."""
        geom, w, groups, xp = self.geom, self.w, self.groups, self.xp
        want_y, want_dx, want_dw, want_db = self.want
        nb, o = self.nb, w.shape[0]
        need_cols = (want_y or want_dw) and self.cols is None
        need_g = want_dx or want_dw or want_db
        bias = None if self.bias is None else self.bias.reshape((o,) + (1,) * geom.nd)
        dwt = db = None
        for n0 in starts:
            m = min(nb, geom.n - n0)
            sc = _chunk_scratch(xp, self.key, m, geom, o, self.dt)
            cm = None if self.cols is None else self.cols[n0]
            if need_cols:  # kept for backward: a fresh array, not scratch
                cm = xp.empty(sc.cols.shape, dtype=self.dt) if self.keep else sc.cols
                if sc.geom.needs_buffer:
                    im2col(self.x[n0:n0 + m], sc.geom, out=cm, xbuf=sc.xbuf,
                           windows=sc.xbuf_windows)
                else:
                    im2col(self.x[n0:n0 + m], sc.geom, out=cm)
                if self.keep:
                    self.kept[n0] = cm
            if want_y:
                forward_product(w, cm, groups, out=sc.y2)
                if bias is None:
                    xp.copyto(self.y[n0:n0 + m], sc.y2_out)
                else:
                    xp.add(sc.y2_out, bias, out=self.y[n0:n0 + m])
            if not need_g:
                continue
            g = self.g[n0:n0 + m]
            xp.copyto(sc.g2_in, g.transpose((1, 0) + tuple(range(2, g.ndim))))
            g2 = sc.g2  # (O, m * P_wide), zero on the scratch columns
            if want_db:
                part = g2.sum(axis=1)
                db = part if db is None else db + part
            if want_dw:
                part = weight_grad_t(g2, cm, groups)
                if dwt is None:
                    dwt = part
                else:
                    dwt += part
            if want_dx:
                dcols = cols_grad(g2, w, groups, out=sc.dcols)
                if self.single:  # a view of a fresh buffer: no copy
                    self.dx = col2im(dcols, sc.geom)
                else:
                    xp.copyto(self.dx[n0:n0 + m], col2im(dcols, sc.geom, buf=sc.dxbuf))
        return dwt, db


class _ChunkScratch:
    """One thread's buffers for chunks of ``m`` samples, with the views into them prepared once.

    Each buffer or view is made on first use (``__getattr__``) and is a plain attribute after
    that. The padding buffer's border stays zero (only its interior is ever written) and so do
    the scratch columns of the widened dy: neither is cleared again between calls.
    """

    def __init__(self, xp, geom, o, dt):
        self.xp, self.geom, self.o, self.dt = xp, geom, o, dt

    def __getattr__(self, name):
        if name.startswith("_"):
            raise AttributeError(name)
        value = getattr(self, "_make_" + name)()
        setattr(self, name, value)
        return value

    def _buffer(self, size, zero=False):
        return (self.xp.zeros if zero else self.xp.empty)(size, self.dt)

    def _make_xbuf(self):
        g = self.geom
        return self._buffer(g.n * g.c * int(np.prod(g.buf_spatial)), zero=True).reshape(
            (g.n, g.c) + g.buf_spatial)

    def _make_xbuf_windows(self):
        return self.geom.windows(self.xbuf)

    def _make_cols(self):
        g = self.geom
        return self._buffer(g.c * g.kprod * g.n * g.p_wide).reshape(g.c * g.kprod, -1)

    def _make_y2(self):
        return self._buffer(self.o * self.geom.n * self.geom.p_wide).reshape(self.o, -1)

    def _make_y2_out(self):
        """y2 seen as the output (m, O, *out): scratch columns dropped, batch first."""
        g = self.geom
        v = self.y2.reshape((self.o, g.n) + g.out_wide)
        if g.wide:
            v = v[..., :g.out[-1]]
        return v.transpose((1, 0) + tuple(range(2, 2 + g.nd)))

    def _make_g2(self):
        return self._buffer(self.o * self.geom.n * self.geom.p_wide, zero=True).reshape(
            self.o, -1)

    def _make_g2_in(self):
        """The part of g2 that holds dy, (O, m, *out); the scratch columns stay zero."""
        g = self.geom
        v = self.g2.reshape((self.o, g.n) + g.out_wide)
        return v[..., :g.out[-1]] if g.wide else v

    def _make_dcols(self):
        g = self.geom
        return self._buffer(g.c * g.kprod * g.n * g.p_wide).reshape(g.c * g.kprod, -1)

    def _make_dxbuf(self):
        g = self.geom
        return self._buffer(g.n * g.c * int(np.prod(g.buf_spatial))).reshape(
            (g.n, g.c) + g.buf_spatial)


def _chunk_scratch(xp, key, m, geom, o, dt):
    """This thread's _ChunkScratch for chunks of m samples of this convolution (cached)."""
    cache = getattr(_local, "chunks", None)
    if cache is None:
        cache = _local.chunks = OrderedDict()
    full_key = (xp.__name__, key, m, o, dt.str)
    sc = cache.get(full_key)
    if sc is None:
        sc = cache[full_key] = _ChunkScratch(xp, geom.with_batch(m), o, dt)
        _local.chunk_bytes = getattr(_local, "chunk_bytes", 0) + _chunk_nbytes(geom, m, o, dt)
        while _local.chunk_bytes > SCRATCH_BYTES and len(cache) > 1:
            _, old = cache.popitem(last=False)
            _local.chunk_bytes -= _chunk_nbytes(old.geom, old.geom.n, old.o, old.dt)
    cache.move_to_end(full_key)
    return sc


def _chunk_nbytes(geom, m, o, dt):
    """An upper bound of the memory a _ChunkScratch may hold."""
    g = geom
    plane = g.c * int(np.prod(g.buf_spatial))
    return m * (2 * plane + (2 * g.c * g.kprod + 2 * o) * g.p_wide) * dt.itemsize


def input_grad(geom: ConvGeometry, w, groups, g):
    """dx = the input gradient of the convolution ``geom`` for dy = g (N, O, *out).

    With stride 1 this is itself a convolution: dy, padded by dilation (K - 1) - padding on each
    side, correlated with the kernel flipped in space and with its in/out channels exchanged
    ("full" correlation). Computed that way it is one more im2col + product, which is cheaper
    than scattering the columns back (col2im). Other strides use col2im.
    """
    plan = full_correlation(geom, w, groups, g.shape)
    if plan is None:
        return conv_pass(geom, w, groups, g=g, want_dx=True)[1]
    geom_g, wt = plan
    return conv_pass(geom_g, wt, groups, x=g, want_y=True)[0]


def full_correlation(geom: ConvGeometry, w, groups, g_shape):
    """(geometry, weight) of the input gradient as a stride-1 convolution of dy, or None.

    None when the stride is not 1, or when that convolution would copy more columns than
    col2im scatters (many more output than input channels, or a wide padding), or when the
    convolution runs Winograd's F(4x4), whose backward pass computes dx and dW together from
    one transform of dy. F(2x2) does not share it: on ResNet-20 (batch 128, one thread) the
    step took 1.15 of PyTorch's time with dx as a full correlation (itself F(2x2) where it
    qualifies) against 1.27 with the shared backward, and the same with two threads.
    """
    if uses_winograd(geom, w, groups) == 4 and array_module(w) is np:
        return None
    nd = geom.nd
    k, d = geom.ksize, geom.dilation
    # low side: dilation (K - 1) - padding; high side: whatever makes the output as large as
    # x (more than dilation (K - 1) - padding when trailing input rows saw no window)
    pads = tuple((d[i] * (k[i] - 1) - geom.pads[i][0],
                  geom.spatial[i] - geom.out[i] + geom.pads[i][0]) for i in range(nd))
    if not all(s == 1 for s in geom.stride) or any(lo < 0 or hi < 0 for lo, hi in pads):
        return None
    o, cg = w.shape[:2]
    geom_g = geometry(tuple(g_shape), tuple(k), (1,) * nd, pads, tuple(d))
    if o * geom_g.p_wide > 1.25 * geom.c * geom.p_wide:
        return None
    og = o // groups
    # W'[group, c, o, flipped k] = W[group, o, c, k]
    wt = w.reshape((groups, og, cg) + tuple(k)).swapaxes(1, 2)
    wt = wt[(Ellipsis,) + (slice(None, None, -1),) * nd]
    wt = array_module(w).ascontiguousarray(wt).reshape((groups * cg, og) + tuple(k))
    return geom_g, wt
