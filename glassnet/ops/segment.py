"""Segment reductions: rows grouped by an integer index, gathered and summed back.

Two ops are each other's adjoint and carry both graph message passing
(glassnet/nn/functional/graph.py) and sparse COO tensors (glassnet/tensor/sparse_coo.py):

    gather:       out[e] = x[index[e]]                          (E, *F) from (n, *F)
    scatter-sum:  out[i] = sum_{e: index[e] = i} values[e]      (n, *F) from (E, *F)

The gradient of a gather is a scatter-sum of the gradient and the gradient of a scatter-sum is a
gather, so one grouping of the index serves both. ``Segments`` is that grouping (a stable sort
of the index and the start of every run), computed once and kept in a small cache keyed by the
index's values: a training loop that reuses one edge list or one sparse pattern sorts it once.
"""

from __future__ import annotations

from collections import OrderedDict

from .. import backend
from ..autograd.function import Function
from ..backend import array_module

__all__ = ["Gather", "ScatterExtreme", "ScatterSum", "Segments", "segments"]


class Segments:
    """The entries grouped by the slot they belong to: ``index`` (E,) in [0, n).

    ``sum(values)`` adds the rows of ``values`` (E, *F) into (n, *F); ``extreme`` takes their
    max or min (0 where a slot has no entry, as PyTorch Geometric). On NumPy both are one
    ``ufunc.reduceat`` over the entries sorted by slot, touching only the slots that occur, so
    ``n`` may be far larger than E (a sparse tensor's flattened size).
    """

    def __init__(self, index, n):
        xp = array_module(index)
        self.xp, self.index, self.n, self.E = xp, index, n, int(index.shape[0])
        self.numpy = xp.__name__ == "numpy"
        self._counts = None
        if self.numpy and self.E:
            self.order = xp.argsort(index, kind="stable")
            s = index[self.order]
            new_run = xp.empty(self.E, dtype=bool)
            new_run[0] = True
            xp.not_equal(s[1:], s[:-1], out=new_run[1:])
            self.starts = xp.flatnonzero(new_run)
            self.slots = s[self.starts]  # the slots that receive at least one entry

    @property
    def counts(self):
        """How many entries fall in each slot, (n,) int64."""
        if self._counts is None:
            xp = self.xp
            self._counts = (xp.bincount(self.index, minlength=self.n) if self.E
                            else xp.zeros(self.n, backend.int64))
        return self._counts

    def sum(self, values):
        xp = self.xp
        out = xp.zeros((self.n,) + values.shape[1:], dtype=values.dtype)
        if not self.E:
            return out
        if self.numpy:
            out[self.slots] = xp.add.reduceat(values[self.order], self.starts, axis=0)
        else:  # pragma: no cover - GPU
            import cupyx  # type: ignore
            cupyx.scatter_add(out, self.index, values)
        return out

    def extreme(self, values, op):
        xp = self.xp
        out = xp.zeros((self.n,) + values.shape[1:], dtype=values.dtype)
        if not self.E:
            return out
        if self.numpy:
            red = xp.maximum if op == "max" else xp.minimum
            out[self.slots] = red.reduceat(values[self.order], self.starts, axis=0)
        else:  # pragma: no cover - GPU
            import cupyx  # type: ignore
            out[...] = -xp.inf if op == "max" else xp.inf
            (cupyx.scatter_max if op == "max" else cupyx.scatter_min)(out, self.index, values)
            out[self.counts == 0] = 0
        return out


_CACHE: OrderedDict = OrderedDict()


def segments(index, n) -> Segments:
    """The grouping of ``index`` (raw int array) into ``n`` slots, from a small cache.

    The cache is keyed by the index's values (a hash of its bytes, far cheaper than the sort it
    saves; on a GPU, by its memory address) and a hit is checked against a stored copy, so an
    edge list rebuilt every step (self loops added afresh) still hits, and one changed in place
    does not.
    """
    xp = array_module(index)
    if xp.__name__ == "numpy":
        key = (hash(index.tobytes()), index.shape, index.dtype.str, n)
    else:  # pragma: no cover - GPU
        key = (index.data.ptr, index.shape, index.strides, index.dtype.str, n)
    hit = _CACHE.get(key)
    if hit is not None and bool(xp.array_equal(hit[0], index)):
        _CACHE.move_to_end(key)
        return hit[1]
    seg = Segments(xp.ascontiguousarray(index), n)
    _CACHE[key] = (index.copy(), seg)
    if len(_CACHE) > 16:
        _CACHE.popitem(last=False)
    return seg


class Gather(Function):
    """x[index] along dim 0; backward scatter-adds the gradient back to the rows it read."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, index, seg):
        ctx.seg = seg
        return x[index]

    @staticmethod
    def backward(ctx, g):
        return ctx.seg.sum(g), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # gathering rows and summing them back per slot are each other's transposes
        return ScatterSum.apply(g, ctx.seg), None, None


class ScatterSum(Function):
    """out[i] = sum of the rows e with index[e] = i (the grouping ``seg``); backward gathers."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, values, seg):
        ctx.seg = seg
        return seg.sum(values)

    @staticmethod
    def backward(ctx, g):
        return g[ctx.seg.index], None

    @staticmethod
    def differentiable_backward(ctx, g):
        return Gather.apply(g, ctx.seg.index, ctx.seg), None


class ScatterExtreme(Function):
    """max / min per slot; the gradient is split evenly among the tied arg-extremes (PyTorch's
    ``scatter_reduce`` with ``include_self=False``)."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, values, seg, op):
        out = seg.extreme(values, op)
        ctx.seg = seg
        ctx.save_for_backward(values, out)
        return out

    @staticmethod
    def backward(ctx, g):
        values, out = ctx.saved_tensors
        seg = ctx.seg
        hit = (values == out[seg.index]).astype(g.dtype)
        ties = seg.sum(hit)
        ties[ties == 0] = 1
        return g[seg.index] * hit / ties[seg.index], None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        values, out = ctx.saved_tensors  # the gradient is shared among the tied arg-extremes
        seg = ctx.seg
        hit = (values == out[seg.index]).astype(values.dtype)
        ties = seg.sum(hit)
        ties[ties == 0] = 1
        share = ctx.constant(hit / ties[seg.index], g.dtype)
        return Gather.apply(g, seg.index, seg) * share, None, None
