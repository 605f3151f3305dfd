"""Winograd's minimal filtering for stride-1 3x3 convolutions (internal).

Lavin & Gray, "Fast Algorithms for Convolutional Neural Networks" (CVPR 2016). A tile of
m x m outputs of a 3x3 correlation needs (m + 2)^2 input pixels; written with three small
constant matrices B, G, A (``TILES``), the tile is::

    Y = A^T [ (G w G^T) (.) (B^T d B) ] A              ((.) the element-wise product)

for one input tile d ((m+2) x (m+2)) and one 3x3 filter w. Summed over the input channels, the
element-wise product becomes, for each of the (m+2)^2 tile positions (xi, nu), one matrix
product of the transformed filters U = G w G^T (O, C) with the transformed tiles V = B^T d B
(C, tiles): (m+2)^2 products of total size (m+2)^2/m^2 of one output pixel's multiply-adds per
channel pair, against 9 for the direct (im2col) product. F(2x2, 3x3) (m = 2) needs 16/4 = 4 of
them, F(4x4, 3x3) (m = 4) 36/16 = 2.25. The price is the transforms, which are cheap per
element but touch every element several times, and some precision: the transform matrices of
F(4x4) hold 4, 5 and 1/24, so float32 results carry about ten times the error of the direct
product (docs/performance.md has the measured numbers); F(2x2) is as exact as im2col.

The backward pass is the adjoint of the same linear map, one tile position at a time::

    dM = A dY A^T                      (the output gradient, transformed)
    dU = sum over tiles of dM V^T      ->  dW = G^T dU G
    dV = U^T dM                        ->  dx = B dV B^T, overlapping tiles added up

so the input and the weight gradient share the transformed dy, and need no flipped kernel.

Layout. NumPy runs each step as a few large matrix products only if the data sit pixel-major:
a chunk of the batch is copied once into (H, column class j, tile column q, N, C), holding the
padded input's column m q + j (see ``WinogradPlan``), with zeros around it. The transform along
H is one product of B^T with a strided view of overlapping row windows per tile row, the one
along W one product per tile row and row of B^T; they leave V as (xi, nu, tile rows, tile
columns, N, C), so each tile position is one contiguous (tiles x C) matrix. The output
transform mirrors this, and transposing copies bring (N, O, Ho, Wo) back. ``conv_kernels.
conv_pass`` cuts the batch into chunks and runs ``WinogradJob`` on them as it runs the im2col
job (threads, chunk order, thread-count independent results); this module holds the arithmetic.

With numba (glassnet/accel.py), F(2x2)'s transforms run instead as compiled loops over the
tiles (``_f2_input`` and the three others, at the end of this file), on V, M, dM and dV laid out
(16, channels, tiles): each is one pass of a few additions per element. That is what makes
F(2x2) faster than im2col on 16- and 32-channel layers, and ``conv_algorithm = "auto"`` (the
default) runs it there (``preferred``).
"""

from __future__ import annotations

import functools
import math
import threading
from collections import OrderedDict

import numpy as np

from ... import accel
from .im2col import as_strided

# (B^T, G, A^T) of F(m x m, 3 x 3): Lavin & Gray (2016), interpolation points 0, -1, 1 (m = 2)
# and 0, 1, -1, 2, -2 (m = 4), plus the point at infinity.
TILES = {
    2: (np.array([[1, 0, -1, 0],
                  [0, 1, 1, 0],
                  [0, -1, 1, 0],
                  [0, 1, 0, -1]], dtype=np.float64),
        np.array([[1, 0, 0],
                  [1 / 2, 1 / 2, 1 / 2],
                  [1 / 2, -1 / 2, 1 / 2],
                  [0, 0, 1]], dtype=np.float64),
        np.array([[1, 1, 1, 0],
                  [0, 1, -1, -1]], dtype=np.float64)),
    4: (np.array([[4, 0, -5, 0, 1, 0],
                  [0, -4, -4, 1, 1, 0],
                  [0, 4, -4, -1, 1, 0],
                  [0, -2, -1, 2, 1, 0],
                  [0, 2, -1, -2, 1, 0],
                  [0, 4, 0, -5, 0, 1]], dtype=np.float64),
        np.array([[1 / 4, 0, 0],
                  [-1 / 6, -1 / 6, -1 / 6],
                  [-1 / 6, 1 / 6, -1 / 6],
                  [1 / 24, 1 / 12, 1 / 6],
                  [1 / 24, -1 / 12, 1 / 6],
                  [0, 0, 1]], dtype=np.float64),
        np.array([[1, 1, 1, 1, 1, 0],
                  [0, 1, -1, 2, -2, 0],
                  [0, 1, 1, 4, 4, 0],
                  [0, 1, -1, 8, -8, 1]], dtype=np.float64)),
}

# The output tile of ``conv_algorithm = "winograd"``: F(4x4, 3x3), the fastest and the least
# exact (docs/performance.md); "auto" picks F(2x2) or im2col (``preferred``).
TILE = 4
# "auto" runs F(2x2) with compiled transforms on outputs at least this wide, with at least
# this many input and output channels.
F2_MIN_WIDTH = 16
F2_MIN_CHANNELS = 16
# Target size of one chunk's transformed input V (bytes): it and its products stay in cache.
CHUNK_BYTES = 1 * 2**20
# The forward pass keeps V for the weight gradient when all chunks' V together are at most
# this size (2.25 times the input for F(4x4)); larger ones are transformed again in backward.
KEEP_BYTES = 16 * 2**20
# Scratch memory kept between calls (per thread).
SCRATCH_BYTES = 64 * 2**20

_local = threading.local()


def applicable(geom, w, groups) -> bool:
    """Whether Winograd can compute this convolution: 2-D, 3x3, stride 1, no dilation, one group,
    a real floating-point NumPy array."""
    return (geom.nd == 2 and tuple(geom.ksize) == (3, 3) and tuple(geom.stride) == (1, 1)
            and tuple(geom.dilation) == (1, 1) and groups == 1 and type(w) is np.ndarray
            and w.dtype in (np.float32, np.float64) and geom.out == tuple(
                s + lo + hi - 2 for s, (lo, hi) in zip(geom.spatial, geom.pads)))


def tile() -> int:
    """The output tile m of ``conv_algorithm = "winograd"``: TILE."""
    return TILE


def compiled(geom, w) -> bool:
    """Whether F(2x2) runs its transforms as compiled loops for the convolution ``geom`` with
    weight ``w`` (accel.py; decided by the input's size and the weight's dtype, so that forward
    and backward decide alike)."""
    return accel.available(w, size=math.prod(geom.in_shape))


def preferred(geom, w) -> int:
    """The tile m that ``conv_algorithm = "auto"`` (the default) runs, or 0 for im2col:
    F(2x2) with compiled transforms (accel.py) where it measured faster than im2col on one
    thread, forward and backward: at least F2_MIN_CHANNELS input and output channels and
    outputs at least F2_MIN_WIDTH wide (benchmarks/bench_conv.py, docs/performance.md).
    F(2x2)'s float32 results are as close to the exact convolution as im2col's; F(4x4), faster
    still but ten times less exact, runs only when asked for ("winograd")."""
    o, c = w.shape[:2]
    if min(o, c) >= F2_MIN_CHANNELS and geom.out[1] >= F2_MIN_WIDTH and compiled(geom, w):
        return 2
    return 0


@functools.lru_cache(maxsize=256)
def plan(in_shape, pads, m: int) -> WinogradPlan:
    """The WinogradPlan of a chunk of this shape (N, C, H, W) and padding, made once."""
    return WinogradPlan(in_shape, pads, m)


class WinogradPlan:
    """The shapes of one chunk's Winograd transforms, and the column classes of its buffers.

    th x tw tiles of m x m outputs cover the output (Ho, Wo); tile (t, q) reads the rows
    m t .. m t + a - 1 and the columns m q .. m q + a - 1 of the zero-padded input (a = m + 2),
    whose rows and columns past the padding are zero too (the outputs they make are dropped).

    Column classes. Along W, the input buffer holds column j of every tile side by side: it is
    (Hb, a, tw, N, C) with [h, j, q] = x_padded[h, m q + j], so that the transform along W is one
    (a x a) @ (a, tw N C) product per tile row instead of one small product per tile. ``x_cols``
    lists, per class j, the tiles q0:q1 whose column lies inside x and the first such column c0
    (x columns c0, c0 + m, ...). The output and its gradient use m classes (b, the column inside
    the output tile), listed the same way in ``y_cols``.
    """

    def __init__(self, in_shape, pads, m):
        n, c, h, w = in_shape
        (pt, pb), (pl, pr) = pads
        a = m + 2
        self.n, self.c, self.h, self.w, self.m, self.a = n, c, h, w, m, a
        self.ho, self.wo = h + pt + pb - 2, w + pl + pr - 2
        self.th, self.tw = -(-self.ho // m), -(-self.wo // m)
        self.hb = self.th * m + 2
        self.rows = slice(pt, pt + h)
        self.cols = slice(pl, pl + w)
        self.x_cols = []
        for j in range(a):
            q0 = max(0, -(-(pl - j) // m))
            q1 = min(self.tw, (w - 1 + pl - j) // m + 1)
            if q1 > q0:
                self.x_cols.append((j, q0, q1, m * q0 + j - pl))
        # the output's m classes: (b, 0, tiles with column b inside Wo, first column b)
        self.y_cols = [(b, 0, -(-(self.wo - b) // m), b) for b in range(min(m, self.wo))]
        # dx: classes j < m, and of the classes m + r only the last tile's column, which no
        # class r reaches (the others are added onto class r first)
        self.dx_cols = [col for col in self.x_cols if col[0] < m] + [
            (j, self.tw - 1, self.tw, c0 + m * (q1 - 1 - q0))
            for j, q0, q1, c0 in self.x_cols if j >= m and q1 == self.tw]
        self.tiles = self.th * self.tw * n  # rows of each tile position's matrix
        self.key = (in_shape, pads, m)

    def matrices(self, dtype):
        """(B^T, G, A^T) as arrays of ``dtype`` (cached)."""
        return _matrices(self.m, np.dtype(dtype).str)


@functools.lru_cache(maxsize=16)
def _matrices(m, dtype):
    return tuple(t.astype(dtype) for t in TILES[m])


def sample_bytes(geom, dtype, m=None) -> int:
    """The bytes of one sample's transformed input V for tiles of m x m outputs (default
    TILE): what chunks are sized by."""
    m = TILE if m is None else m
    th, tw = -(-geom.out[0] // m), -(-geom.out[1] // m)
    return max((m + 2) ** 2 * th * tw * geom.c * np.dtype(dtype).itemsize, 1)


# ------------------------------------------------------------------ filters
def filter_transform(w, m: int):
    """U^T = (G w G^T) per tile position, as (a*a, C, O): the right operand of V's products.

    Computed in float64 and rounded once (the filters are few; their precision is cheap).
    """
    _, g, _ = TILES[m]
    o, c = w.shape[:2]
    a = m + 2
    u = np.tensordot(w.astype(np.float64), g, axes=([3], [1]))      # (O, C, 3u, nu)
    u = np.tensordot(g, u, axes=([1], [2]))                          # (xi, O, C, nu)
    return np.ascontiguousarray(u.transpose(0, 3, 2, 1), dtype=w.dtype).reshape(a * a, c, o)


def filter_transform_adjoint(dut, o, c, dtype, m: int):
    """dW (O, C, 3, 3) from dU^T (a*a, C, O): the adjoint of ``filter_transform``, G^T dU G."""
    _, g, _ = TILES[m]
    a = m + 2
    d = dut.astype(np.float64).reshape(a, a, c, o)
    d = np.tensordot(g, d, axes=([0], [0]))                          # (u, nu, C, O)
    d = np.tensordot(d, g, axes=([1], [0]))                          # (u, C, O, v)
    return np.ascontiguousarray(d.transpose(2, 1, 0, 3), dtype=dtype)


# ------------------------------------------------------------------ one chunk
class KeptTransforms(dict):
    """The transformed input V of each chunk (chunk start -> V), kept by the forward pass for
    the weight gradient, for tiles of m x m outputs."""

    def __init__(self, m, compiled=False):
        super().__init__()
        self.m, self.compiled = m, compiled


class WinogradJob:
    """The Winograd convolution of one conv_pass, and its work on one chunk of the batch.

    The same interface as conv_kernels' im2col job: ``run(starts)`` processes the chunks that
    begin at ``starts`` and returns this thread's partial (dU^T, db) sums; ``weight_grad`` turns
    the summed dU^T into dW.
    """

    def __init__(self, geom, w, x, g, bias, cols, want_y, want_dx, want_dw, want_db, keep, nb,
                 dt, m=None):
        m = TILE if m is None else m
        # F(2x2) runs its transforms as compiled loops where numba is there (accel.py)
        self.compiled = m == 2 and compiled(geom, w)
        self.cols = cols if (cols is not None and cols.m == m
                             and cols.compiled == self.compiled) else None
        self.geom, self.x, self.g, self.bias, self.nb, self.dt, self.m = (
            geom, x, g, bias, nb, dt, m)
        self.want = (want_y, want_dx, want_dw, want_db)
        n, c, o = geom.n, geom.c, w.shape[0]
        self.o, self.c = o, c
        w = w.astype(dt, copy=False)
        self.ut = filter_transform(w, m)                                 # (aa, C, O)
        self.u = self.ut.transpose(0, 2, 1) if want_dx else None        # (aa, O, C)
        self.y = np.empty((n, o) + geom.out, dtype=dt) if want_y else None
        self.dx = np.empty((n, c) + geom.spatial, dtype=dt) if want_dx else None
        self.kept = KeptTransforms(m, self.compiled) if keep and want_y else None

    def weight_grad(self, dut):
        """dW from the summed partial dU^T of all chunks."""
        return filter_transform_adjoint(dut, self.o, self.c, self.dt, self.m)

    def _dy(self, n0, k, db):
        """dy of the chunk of k samples at n0, and the bias gradient summed so far with its."""
        g = self.g[n0:n0 + k]
        if self.want[3]:
            part = g.sum(axis=(0, 2, 3))
            db = part if db is None else db + part
        return g, db

    def run(self, starts):
        if self.compiled:
            return self._run_compiled(starts)
        want_y, want_dx, want_dw, want_db = self.want
        geom, nb, o, dt = self.geom, self.nb, self.o, self.dt
        bias = None if self.bias is None else self.bias.reshape(o, 1, 1)
        dut = db = None
        for n0 in starts:
            k = min(nb, geom.n - n0)
            p = plan((k, self.c) + geom.spatial, geom.pads, self.m)
            sc = _scratch(p, o, dt)
            v = None if self.cols is None else self.cols[n0]
            if v is None and (want_y or want_dw):
                v = input_transform(self.x[n0:n0 + k], p, sc, keep=self.kept is not None)
                if self.kept is not None:
                    self.kept[n0] = v
            if want_y:
                mm = np.matmul(v, self.ut, out=sc.get("m", (p.a * p.a, p.tiles, o)))
                output_transform(mm, p, sc, self.y[n0:n0 + k], bias)
            if not (want_dx or want_dw or want_db):
                continue
            g, db = self._dy(n0, k, db)
            if not (want_dx or want_dw):
                continue
            dm = grad_transform(g, p, sc)                                # (aa, tiles, O)
            if want_dw:
                part = np.matmul(v.transpose(0, 2, 1), dm)              # (aa, C, O)
                if dut is None:
                    dut = part
                else:
                    dut += part
            if want_dx:
                dv = np.matmul(dm, self.u, out=sc.get("dv", (p.a * p.a, p.tiles, self.c)))
                input_transform_adjoint(dv, p, sc, self.dx[n0:n0 + k])
        return dut, db

    def _run_compiled(self, starts):
        """``run`` for F(2x2) with compiled transforms: V, dV (16, C, T) and M, dM (16, O, T),
        the tiles T ordered (sample, tile row, tile column) (see ``_f2_input``)."""
        want_y, want_dx, want_dw, want_db = self.want
        geom, nb, o, c, dt = self.geom, self.nb, self.o, self.c, self.dt
        ut = self.ut                                  # (16, C, O)
        u = ut.transpose(0, 2, 1)                     # (16, O, C)
        bias = np.zeros(o, dt) if self.bias is None else self.bias.reshape(o)
        dut = db = None
        for n0 in starts:
            k = min(nb, geom.n - n0)
            p = plan((k, c) + geom.spatial, geom.pads, 2)
            sc = _scratch(p, o, dt)
            th, tw, t = p.th, p.tw, p.tiles
            even = (p.ho, p.wo) == (2 * th, 2 * tw)
            v = None if self.cols is None else self.cols[n0]
            if v is None and (want_y or want_dw):
                xpad = sc.get("xpad", (k, c, 2 * th + 2, 2 * tw + 2), zero=True)
                xpad[:, :, p.rows, p.cols] = self.x[n0:n0 + k]  # the border stays zero
                v = _streams(sc, "v", (16, c, t), dt, fresh=self.kept is not None)
                _f2_input(xpad, th, tw, v)
                if self.kept is not None:
                    self.kept[n0] = v
            if want_y:
                mm = np.matmul(u, v, out=_streams(sc, "m", (16, o, t), dt))
                out = self.y[n0:n0 + k]
                if even:
                    _f2_output(mm, th, tw, bias, out)
                else:
                    full = sc.get("yfull", (k, o, 2 * th, 2 * tw))
                    _f2_output(mm, th, tw, bias, full)
                    np.copyto(out, full[:, :, :p.ho, :p.wo])
            if not (want_dx or want_dw or want_db):
                continue
            g, db = self._dy(n0, k, db)
            if not (want_dx or want_dw):
                continue
            if not even:  # dy inside a zero border as wide as whole tiles
                gfull = sc.get("gfull", (k, o, 2 * th, 2 * tw), zero=True)
                gfull[:, :, :p.ho, :p.wo] = g
                g = gfull
            dm = _streams(sc, "dm", (16, o, t), dt)
            _f2_grad(g, th, tw, dm)
            if want_dw:
                part = np.matmul(v, dm.transpose(0, 2, 1))         # (16, C, O)
                if dut is None:
                    dut = part
                else:
                    dut += part
            if want_dx:
                dv = np.matmul(ut, dm, out=_streams(sc, "dv", (16, c, t), dt))
                dxpad = sc.get("dxpad", (k, c, 2 * th + 2, 2 * tw + 2))
                _f2_input_adjoint(dv, th, tw, dxpad)
                np.copyto(self.dx[n0:n0 + k], dxpad[:, :, p.rows, p.cols])
        return dut, db


# The 16 (tile position) matrices of V, M, dM and dV lie this many elements further apart than
# their size: matrices a multiple of 4 KiB apart make the 16 stores of a tile alias in the
# processor's store buffer, which made the compiled transforms 4-5 times slower.
STREAM_PAD = 16


def _streams(sc, name, shape, dt, fresh=False):
    """A (16, rows, T) array whose 16 matrices are STREAM_PAD elements apart (a view)."""
    full = (shape[0], shape[1], shape[2] + STREAM_PAD)
    buf = np.empty(full, dt) if fresh else sc.get(name, full)
    return buf[:, :, :shape[2]]


def input_transform(x, p: WinogradPlan, sc, keep=False):
    """V = B^T d B for every tile d of the chunk x (N, C, H, W): (a*a, tiles, C); in a
    fresh array when it is kept for backward, else in scratch."""
    a, m, th, tw = p.a, p.m, p.th, p.tw
    bt = p.matrices(x.dtype)[0]
    n, c = x.shape[:2]
    xbuf = sc.get("xbuf", (p.hb, a, tw, n, c), zero=True)
    _to_classes(x, xbuf, p.rows, p.x_cols, m, sc)  # the zeros around it stay zero
    # along H: windows of a rows, m apart, (th, i, a tw N C), into X1 (xi, th, j, tw N C)
    row = xbuf.strides[0]
    win = as_strided(np, xbuf, (th, a, a * tw * n * c), (m * row, row, xbuf.itemsize))
    x1 = sc.get("x1", (a, th, a, tw * n * c))
    np.matmul(bt, win, out=x1.reshape(a, th, -1).transpose(1, 0, 2))
    # along W: one (a x a) @ (a, tw N C) product per (xi, tile row), into V (xi, nu, th, ...)
    shape = (a, a, th, tw * n * c)
    v = np.empty(shape, x.dtype) if keep else sc.get("v", shape)
    np.matmul(bt, x1, out=v.transpose(0, 2, 1, 3))
    return v.reshape(a * a, p.tiles, c)


def output_transform(mm, p: WinogradPlan, sc, out, bias=None):
    """out (N, O, Ho, Wo) = A^T M A for every tile (+ bias), from M (a*a, tiles, O)."""
    a, m, th, tw = p.a, p.m, p.th, p.tw
    at = p.matrices(mm.dtype)[2]
    n, o = out.shape[:2]
    z = sc.get("z", (m, a, th, tw * n * o))
    np.matmul(at, mm.reshape(a, -1), out=z.reshape(m, -1))
    y = sc.get("y", (th, m, m, tw * n * o))  # (tile row, row i, column class b, ...)
    np.matmul(at, z.transpose(0, 2, 1, 3), out=y.transpose(1, 0, 2, 3))
    return _from_classes(y.reshape(th * m, m, tw, n, o), out, slice(0, p.ho), p.y_cols, m, sc,
                         bias)


def grad_transform(g, p: WinogradPlan, sc):
    """dM = A dY A^T for every tile of dy = g (N, O, Ho, Wo): the adjoint of
    ``output_transform``, (a*a, tiles, O)."""
    a, m, th, tw = p.a, p.m, p.th, p.tw
    at = p.matrices(g.dtype)[2]
    n, o = g.shape[:2]
    gbuf = sc.get("gbuf", (th * m, m, tw, n, o), zero=True)
    _to_classes(g, gbuf, slice(0, p.ho), p.y_cols, m, sc)  # the rest stays 0
    dz = sc.get("dz", (m, a, th, tw * n * o))
    np.matmul(at.T, gbuf.reshape(th, m, m, -1).transpose(1, 0, 2, 3),
              out=dz.transpose(0, 2, 1, 3))
    dm = sc.get("dm", (a, a, th, tw * n * o))
    np.matmul(at.T, dz.reshape(m, -1), out=dm.reshape(a, -1))
    return dm.reshape(a * a, p.tiles, o)


def input_transform_adjoint(dv, p: WinogradPlan, sc, out):
    """out (N, C, H, W) = B dV B^T summed over the tiles that overlap: the adjoint of
    ``input_transform``, from dV (a*a, tiles, C)."""
    a, m, th, tw = p.a, p.m, p.th, p.tw
    b = p.matrices(dv.dtype)[0].T
    n, c = out.shape[:2]
    # along W: (xi, th, j, tw N C), the column classes of the input buffer
    pw = sc.get("pw", (a, th, a, tw * n * c))
    np.matmul(b, dv.reshape(a, a, th, -1).transpose(0, 2, 1, 3), out=pw)
    # along H: (th, i, a tw N C); row i of tile row t is buffer row m t + i: overlaps added
    ph = sc.get("ph", (th, a, a * tw * n * c))
    np.matmul(b, pw.reshape(a, th, -1).transpose(1, 0, 2), out=ph)
    dbuf = sc.get("dbuf", (p.hb, a * tw * n * c))
    np.copyto(dbuf[:th * m].reshape(th, m, -1), ph[:, :m])
    dbuf[th * m:] = 0
    row = dbuf.strides[0]
    over = as_strided(np, dbuf[m:], (th, a - m, dbuf.shape[1]), (m * row, row, dbuf.itemsize))
    over += ph[:, m:]  # a - m = 2 <= m: no two tile rows share a row here
    # columns: class m + r of tile q is column m (q + 1) + r, class r of tile q + 1
    d = dbuf.reshape(p.hb, a, tw, n, c)
    d[:, :a - m, 1:] += d[:, m:, :tw - 1]
    return _from_classes(d, out, p.rows, p.dx_cols, m, sc)


# Planes at least this wide are transposed in two steps (see ``_to_classes``).
TWO_STEP_WIDTH = 16


def _to_classes(src, dst, rows, cols, m, sc):
    """dst[rows, j, q0:q1] = src[..., c0::m] as (H, tiles, N, C), for each (j, q0, q1, c0).

    A transposing copy straight from (N, C, H, W) reads one element of every plane in turn; when
    the planes lie a multiple of 4 KiB apart (32 x 32 float32) they compete for the same cache
    sets. From planes TWO_STEP_WIDTH wide, src is first copied whole rows at a time to
    (H, N, C, W), and the columns are picked from there.
    """
    if src.shape[-1] >= TWO_STEP_WIDTH:
        t = sc.get("rows_in", (src.shape[2], src.shape[0], src.shape[1], src.shape[3]))
        np.copyto(t, src.transpose(2, 0, 1, 3))
        for j, q0, q1, c0 in cols:
            dst[rows, j, q0:q1] = t[..., c0:c0 + m * (q1 - q0 - 1) + 1:m].transpose(0, 3, 1, 2)
    else:
        for j, q0, q1, c0 in cols:
            dst[rows, j, q0:q1] = src[..., c0:c0 + m * (q1 - q0 - 1) + 1:m].transpose(2, 3, 0, 1)


def _from_classes(src, out, rows, cols, m, sc, bias=None):
    """The inverse of ``_to_classes``: out[..., c0::m] = src[rows, j, q0:q1] (+ bias); the
    columns of ``cols`` cover every column of out."""
    if out.shape[-1] >= TWO_STEP_WIDTH:
        t = sc.get("rows_out", (out.shape[2], out.shape[0], out.shape[1], out.shape[3]))
        for j, q0, q1, c0 in cols:
            np.copyto(t[..., c0:c0 + m * (q1 - q0 - 1) + 1:m],
                      src[rows, j, q0:q1].transpose(0, 2, 3, 1))
        if bias is None:
            np.copyto(out, t.transpose(1, 2, 0, 3))
        else:
            np.add(t.transpose(1, 2, 0, 3), bias, out=out)
        return out
    for j, q0, q1, c0 in cols:
        dst = out[..., c0:c0 + m * (q1 - q0 - 1) + 1:m]
        if bias is None:
            np.copyto(dst, src[rows, j, q0:q1].transpose(2, 3, 0, 1))
        else:
            np.add(src[rows, j, q0:q1].transpose(2, 3, 0, 1), bias, out=dst)
    return out


# ------------------------------------------------------------------ scratch
class _Scratch:
    """One thread's buffers for one chunk shape: made on first use, kept between calls. A buffer
    asked for with ``zero=True`` is zeroed once; callers write only its interior."""

    def __init__(self, dt):
        self.dt, self.bufs, self.nbytes = dt, {}, 0

    def get(self, name, shape, zero=False):
        buf = self.bufs.get(name)
        if buf is None or buf.shape != shape:
            buf = (np.zeros if zero else np.empty)(shape, self.dt)
            self.bufs[name] = buf
            self.nbytes = sum(b.nbytes for b in self.bufs.values())
        return buf


def _scratch(p: WinogradPlan, o, dt):
    """This thread's _Scratch for chunks of plan p with O output channels (cached, LRU)."""
    cache = getattr(_local, "scratch", None)
    if cache is None:
        cache = _local.scratch = OrderedDict()
    key = (p.key, o, dt.str)
    sc = cache.get(key)
    if sc is None:
        sc = cache[key] = _Scratch(dt)
    cache.move_to_end(key)
    while len(cache) > 1 and sum(s.nbytes for s in cache.values()) > SCRATCH_BYTES:
        cache.popitem(last=False)
    return sc


# ------------------------------------------------------------------ F(2x2, 3x3), compiled
# The four transforms of F(2x2, 3x3) as loops compiled by numba (glassnet/accel.py). B^T and A^T
# of F(2x2) hold only 0 and +-1, so each is a few additions per element, done while the tile is
# in registers; the innermost loop runs along a row of tiles, so that V, M, dM and dV are read
# and written in order. The NumPy transforms above are the reference (tests/nn/functional/
# test_winograd.py compares the two).
@accel.kernel
def _f2_input(xb, th, tw, v):
    """v[4 i + j, c, t] = (B^T d B)[i, j] for the 4x4 tile d of xb (N, C, 2 th + 2, 2 tw + 2)
    at rows 2 ty.. and columns 2 tx..; t = (s th + ty) tw + tx."""
    for s in range(xb.shape[0]):
        for c in range(xb.shape[1]):
            p = xb[s, c]
            for ty in range(th):
                r = 2 * ty
                t0 = (s * th + ty) * tw
                x0, x1, x2, x3 = p[r], p[r + 1], p[r + 2], p[r + 3]
                for tx in range(tw):
                    q = 2 * tx
                    t = t0 + tx
                    # B^T d: rows x0 - x2, x1 + x2, x2 - x1, x1 - x3
                    a0, a1 = x0[q] - x2[q], x0[q + 1] - x2[q + 1]
                    a2, a3 = x0[q + 2] - x2[q + 2], x0[q + 3] - x2[q + 3]
                    b0, b1 = x1[q] + x2[q], x1[q + 1] + x2[q + 1]
                    b2, b3 = x1[q + 2] + x2[q + 2], x1[q + 3] + x2[q + 3]
                    c0, c1 = x2[q] - x1[q], x2[q + 1] - x1[q + 1]
                    c2, c3 = x2[q + 2] - x1[q + 2], x2[q + 3] - x1[q + 3]
                    d0, d1 = x1[q] - x3[q], x1[q + 1] - x3[q + 1]
                    d2, d3 = x1[q + 2] - x3[q + 2], x1[q + 3] - x3[q + 3]
                    # (.) B: the same combinations of the columns
                    v[0, c, t], v[1, c, t], v[2, c, t], v[3, c, t] = (
                        a0 - a2, a1 + a2, a2 - a1, a1 - a3)
                    v[4, c, t], v[5, c, t], v[6, c, t], v[7, c, t] = (
                        b0 - b2, b1 + b2, b2 - b1, b1 - b3)
                    v[8, c, t], v[9, c, t], v[10, c, t], v[11, c, t] = (
                        c0 - c2, c1 + c2, c2 - c1, c1 - c3)
                    v[12, c, t], v[13, c, t], v[14, c, t], v[15, c, t] = (
                        d0 - d2, d1 + d2, d2 - d1, d1 - d3)


@accel.kernel
def _f2_output(mm, th, tw, bias, y):
    """y (N, O, 2 th, 2 tw) = A^T M A + bias for every tile, from M (16, O, T)."""
    for s in range(y.shape[0]):
        for o in range(y.shape[1]):
            b = bias[o]
            for ty in range(th):
                t0 = (s * th + ty) * tw
                y0, y1 = y[s, o, 2 * ty], y[s, o, 2 * ty + 1]
                for tx in range(tw):
                    t = t0 + tx
                    # A^T M: rows m0 + m1 + m2 and m1 - m2 - m3
                    e0 = mm[0, o, t] + mm[4, o, t] + mm[8, o, t]
                    e1 = mm[1, o, t] + mm[5, o, t] + mm[9, o, t]
                    e2 = mm[2, o, t] + mm[6, o, t] + mm[10, o, t]
                    e3 = mm[3, o, t] + mm[7, o, t] + mm[11, o, t]
                    f0 = mm[4, o, t] - mm[8, o, t] - mm[12, o, t]
                    f1 = mm[5, o, t] - mm[9, o, t] - mm[13, o, t]
                    f2 = mm[6, o, t] - mm[10, o, t] - mm[14, o, t]
                    f3 = mm[7, o, t] - mm[11, o, t] - mm[15, o, t]
                    q = 2 * tx
                    y0[q] = e0 + e1 + e2 + b
                    y0[q + 1] = e1 - e2 - e3 + b
                    y1[q] = f0 + f1 + f2 + b
                    y1[q + 1] = f1 - f2 - f3 + b


@accel.kernel
def _f2_grad(g, th, tw, dm):
    """dM (16, O, T) = A dY A^T for every 2x2 tile dY of g (N, O, 2 th, 2 tw)."""
    for s in range(g.shape[0]):
        for o in range(g.shape[1]):
            for ty in range(th):
                t0 = (s * th + ty) * tw
                g0, g1 = g[s, o, 2 * ty], g[s, o, 2 * ty + 1]
                for tx in range(tw):
                    q = 2 * tx
                    t = t0 + tx
                    y00, y01, y10, y11 = g0[q], g0[q + 1], g1[q], g1[q + 1]
                    # A dY: rows y0, y0 + y1, y0 - y1, -y1 (per column); then the columns
                    b0, b1 = y00 + y10, y01 + y11
                    c0, c1 = y00 - y10, y01 - y11
                    dm[0, o, t], dm[1, o, t], dm[2, o, t], dm[3, o, t] = (
                        y00, y00 + y01, y00 - y01, -y01)
                    dm[4, o, t], dm[5, o, t], dm[6, o, t], dm[7, o, t] = (
                        b0, b0 + b1, b0 - b1, -b1)
                    dm[8, o, t], dm[9, o, t], dm[10, o, t], dm[11, o, t] = (
                        c0, c0 + c1, c0 - c1, -c1)
                    dm[12, o, t], dm[13, o, t], dm[14, o, t], dm[15, o, t] = (
                        -y10, -y10 - y11, y11 - y10, y11)


@accel.kernel
def _f2_input_adjoint(dv, th, tw, dxb):
    """dxb (N, C, 2 th + 2, 2 tw + 2) = the sum over tiles of B dV B^T, each placed at
    (2 ty, 2 tx): the adjoint of ``_f2_input`` (overlapping tiles add up).

    Written as gathers, not scatters, so that the loops vectorise: output columns 2 tx and
    2 tx + 1 take columns 0, 1 of tile tx and columns 2, 3 of tile tx - 1; output rows 2 ty and
    2 ty + 1 add onto what tile row ty - 1 left there, rows 2 ty + 2 and 2 ty + 3 are written
    first by tile row ty."""
    u = np.empty((4, 4, tw), dxb.dtype)  # B dV for one row of tiles: [row i, column, tile]
    for s in range(dxb.shape[0]):
        for c in range(dxb.shape[1]):
            p = dxb[s, c]
            p[0, :] = 0
            p[1, :] = 0
            for ty in range(th):
                r = 2 * ty
                t0 = (s * th + ty) * tw
                # B dV: rows v0, v1 - v2 + v3, v1 + v2 - v0, -v3
                for j in range(4):
                    for tx in range(tw):
                        t = t0 + tx
                        v0, v1 = dv[j, c, t], dv[4 + j, c, t]
                        v2, v3 = dv[8 + j, c, t], dv[12 + j, c, t]
                        u[0, j, tx] = v0
                        u[1, j, tx] = v1 - v2 + v3
                        u[2, j, tx] = v1 + v2 - v0
                        u[3, j, tx] = -v3
                # (.) B^T: columns u0, u1 - u2 + u3, u1 + u2 - u0, -u3 of each tile
                for i in range(4):
                    row = p[r + i]
                    ui = u[i]
                    last = tw - 1
                    a0 = ui[0, 0]
                    a1 = ui[1, 0] - ui[2, 0] + ui[3, 0]
                    z0 = ui[1, last] + ui[2, last] - ui[0, last]
                    z1 = -ui[3, last]
                    if i < 2:
                        row[0] += a0
                        row[1] += a1
                        for tx in range(1, tw):
                            row[2 * tx] += ui[0, tx] + ui[1, tx - 1] + ui[2, tx - 1] \
                                - ui[0, tx - 1]
                            row[2 * tx + 1] += ui[1, tx] - ui[2, tx] + ui[3, tx] - ui[3, tx - 1]
                        row[2 * tw] += z0
                        row[2 * tw + 1] += z1
                    else:
                        row[0] = a0
                        row[1] = a1
                        for tx in range(1, tw):
                            row[2 * tx] = ui[0, tx] + ui[1, tx - 1] + ui[2, tx - 1] \
                                - ui[0, tx - 1]
                            row[2 * tx + 1] = ui[1, tx] - ui[2, tx] + ui[3, tx] - ui[3, tx - 1]
                        row[2 * tw] = z0
                        row[2 * tw + 1] = z1
