"""Max pooling with 2x2 windows at stride 2, the most common case, in two pairwise steps.

The maximum of a 2x2 window is the larger of the two row maxima, each the larger of two
neighbours. Taking the columns first and then the rows visits the four pixels in PyTorch's scan
order (row-major), so keeping the earlier pixel on ties ("right wins only if strictly larger",
"bottom wins only if strictly larger") picks the same pixel PyTorch does, and the two boolean
decisions are all the backward pass needs: the gradient goes to row ``r`` and, within it, to
column ``c``. A window containing NaN yields NaN and, as in PyTorch, routes to its last NaN.
Large batches are split among threads (the loops run outside the interpreter lock).
"""

from __future__ import annotations

import numpy as np

from ...autograd import Function
from ...backend import array_module, parallel_slices
from .adjoint import scatter_planes


class MaxPool2x2(Function):
    @staticmethod
    def forward(ctx, x, return_indices):
        xp = array_module(x)
        n, c, h, w = x.shape
        ho, wo = h // 2, w // 2
        m = xp.empty((n, c, ho, wo), dtype=x.dtype)
        col = xp.empty((n, c, 2 * ho, wo), dtype=bool)  # right neighbour is larger
        row = xp.empty((n, c, ho, wo), dtype=bool)  # bottom row is larger

        def work(sl):
            xv = x[sl, :, :2 * ho, :2 * wo]
            left, right = xv[..., 0::2], xv[..., 1::2]
            m1 = xp.maximum(left, right)
            xp.greater(right, left, out=col[sl])
            top, bottom = m1[:, :, 0::2], m1[:, :, 1::2]
            xp.maximum(top, bottom, out=m[sl])
            xp.greater(bottom, top, out=row[sl])

        if xp is np:
            parallel_slices(work, n, x.nbytes)
        else:
            work(slice(None))
        if m.dtype.kind == "f":
            nan = xp.isnan(m)
            if nan.any():  # the last NaN of the window, scanning row-major
                xv = x[:, :, :2 * ho, :2 * wo]
                for j in range(4):
                    r, cc = divmod(j, 2)
                    hit = nan & xp.isnan(xv[:, :, r::2, cc::2])
                    row[hit] = bool(r)
                    col[:, :, r::2][hit] = bool(cc)
        ctx.save_for_backward(row, col)
        ctx.shape = x.shape
        if not return_indices:
            return m
        c_sel = xp.where(row, col[:, :, 1::2], col[:, :, 0::2])
        oh = xp.arange(ho).reshape(ho, 1)
        ow = xp.arange(wo).reshape(1, wo)
        flat = (2 * oh + row) * w + 2 * ow + c_sel
        return m, flat.astype(np.int64)

    @staticmethod
    def backward(ctx, g, *_):
        row, col = ctx.saved_tensors
        xp = array_module(g)
        n, c, h, w = ctx.shape
        ho, wo = h // 2, w // 2
        even = h % 2 == 0 and w % 2 == 0
        dx = xp.empty(ctx.shape, dtype=g.dtype) if even else xp.zeros(ctx.shape, dtype=g.dtype)
        grow = xp.empty((n, c, ho, 2, wo), dtype=g.dtype)

        def work(sl):
            r = row[sl]
            gs = g[sl]
            xp.multiply(gs, ~r, out=grow[sl, :, :, 0])
            xp.multiply(gs, r, out=grow[sl, :, :, 1])
            gr = grow[sl].reshape(gs.shape[0], c, 2 * ho, wo)
            cs = col[sl]
            dv = dx[sl, :, :2 * ho, :2 * wo]
            xp.multiply(gr, ~cs, out=dv[..., 0::2])
            xp.multiply(gr, cs, out=dv[..., 1::2])

        if xp is np:
            parallel_slices(work, n, dx.nbytes)
        else:
            work(slice(None))
        return dx, None

    @staticmethod
    def differentiable_backward(ctx, g, *_):
        # dy scattered into the winners' flat positions (bottom row / right column flags)
        row, col = ctx.saved_tensors
        xp = array_module(row)
        w = ctx.shape[3]
        ho, wo = row.shape[2:]
        c_sel = xp.where(row, col[:, :, 1::2], col[:, :, 0::2])
        flat = (2 * xp.arange(ho).reshape(ho, 1) + row) * w + 2 * xp.arange(wo) + c_sel
        return scatter_planes(g, flat.astype(np.int64), ctx.shape), None

    @staticmethod
    def to_onnx(g, rec):
        # ONNX MaxPool with a 2 x 2 window and stride 2 (a trailing odd row or column is dropped)
        x, return_indices = rec.args
        attrs = {"kernel_shape": [2, 2], "strides": [2, 2], "pads": [0, 0, 0, 0]}
        if not return_indices:
            g.out(g.op("MaxPool", [g.value(x)], **attrs))
            return
        y, idx = g.op("MaxPool", [g.value(x)], n_out=2, **attrs)
        plane = int(np.prod(g.shape(x)[2:]))
        g.out(y, 0)  # ONNX indexes the whole (N, C, H, W) tensor; PyTorch one plane
        g.out(g.op("Mod", [idx, g.const(np.asarray(plane, np.int64))]), 1)
