"""ONNX conversions of the shape and indexing Functions (glassnet/ops/shape.py). Shape constants
(a Reshape's target, a Slice's ends) are tagged with their kind so that dynamic axes can rewrite
them (onnx_dynamic.py)."""

from __future__ import annotations

import numpy as np

from ..ops import shape as SH
from .onnx_graph import INT64_MAX, converter, is_array, shape_of


# ----------------------------------------------------------------------------- shapes
@converter(SH.Reshape)
def _reshape(g, rec):
    x, shape = rec.args
    target = [int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,))]
    c = g.ints(target, kind="reshape", info=shape_of(x))
    g.out(g.op("Reshape", [g.value(x), c]))


@converter(SH.Permute)
def _permute(g, rec):
    x, perm = rec.args
    g.out(g.op("Transpose", [g.value(x)], perm=[int(p) for p in perm]))


@converter(SH.Expand)
def _expand(g, rec):
    x, shape = rec.args
    c = g.ints([int(s) for s in shape], kind="expand", info=shape_of(x))
    g.out(g.op("Expand", [g.value(x), c]))


@converter(SH.Cat)
def _cat(g, rec):
    dim, *xs = rec.args
    g.out(g.op("Concat", [g.value(x) for x in xs], axis=int(dim)))


@converter(SH.Stack)
def _stack(g, rec):
    dim, *xs = rec.args
    parts = [g.unsqueeze(g.value(x), [int(dim)]) for x in xs]
    g.out(g.op("Concat", parts, axis=int(dim)))


@converter(SH.Split)
def _split(g, rec):
    x, sizes, dim = rec.args
    names = g.op("Split", [g.value(x), g.ints(sizes)], n_out=len(sizes), axis=int(dim))
    for i, n in enumerate(names if len(sizes) > 1 else [names]):
        g.out(n, i)


@converter(SH.Flip)
def _flip(g, rec):
    x, dims = rec.args
    dims = [int(d) for d in (dims if isinstance(dims, (tuple, list)) else (dims,))]
    k = len(dims)
    y = g.op("Slice", [g.value(x), g.ints([-1] * k), g.ints([-INT64_MAX] * k), g.ints(dims),
                       g.ints([-1] * k)])
    g.out(y)


@converter(SH.Gather)
def _gather(g, rec):
    a, dim, index = rec.args
    g.out(g.op("GatherElements", [g.value(a), g.value(index)], axis=int(dim)))


@converter(SH.IndexSelect)
def _index_select(g, rec):
    a, dim, index = rec.args
    g.out(g.op("Gather", [g.value(a), g.value(index)], axis=int(dim)))


@converter(SH.GetItem)
def _getitem(g, rec):
    x, idx = rec.args
    items = list(idx) if isinstance(idx, tuple) else [idx]
    shape = shape_of(x)
    nfull = sum(1 for i in items if i is not None and i is not Ellipsis)
    if Ellipsis in items:
        k = items.index(Ellipsis)
        items[k:k + 1] = [slice(None)] * (len(shape) - nfull)
    y = g.value(x)
    starts, ends, axes, steps = [], [], [], []
    picks, news = [], []  # integer indices (axes to squeeze), new axes (positions in output)
    advanced = []
    axis = 0
    out_axis = 0
    for it in items:
        if it is None:
            news.append(out_axis)
            out_axis += 1
            continue
        size = shape[axis]
        if isinstance(it, slice):
            st, en, sp = it.indices(size)
            if (st, en, sp) != (0, size, 1):
                if sp < 0 and en < 0:
                    en = -INT64_MAX
                starts.append(st)
                ends.append(INT64_MAX if sp > 0 and en >= size else en)
                axes.append(axis)
                steps.append(sp)
            out_axis += 1
        elif isinstance(it, (int, np.integer)):
            picks.append(axis)
            starts.append(int(it) % size)
            ends.append(int(it) % size + 1)
            axes.append(axis)
            steps.append(1)
        elif (is_array(it) or isinstance(it, list)) and np.asarray(it).dtype.kind in "iu" \
                and len(advanced) == 0:
            advanced.append((axis, it))
            out_axis += 1
        else:
            g.unsupported("indexing with boolean masks or several index arrays has no ONNX "
                          "conversion; use index_select / gather instead")
        axis += 1
    if advanced and picks:
        g.unsupported("indexing that mixes integers and an index array")
    if starts:
        y = g.op("Slice", [y, g.ints(starts, kind="slice_starts", info=shape),
                           g.ints(ends, kind="slice_ends", info=(shape, axes)), g.ints(axes),
                           g.ints(steps)])
    if advanced:
        ax, ind = advanced[0]
        ind = np.asarray(ind) if isinstance(ind, list) else ind
        if len(shape_of(ind)) != 1:
            g.unsupported("indexing with a multi-dimensional index array")
        y = g.op("Gather", [y, g.value(ind)], axis=ax)
    if picks:
        y = g.squeeze(y, picks)
    if news:
        y = g.unsqueeze(y, news)
    g.out(y)
