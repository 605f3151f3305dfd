"""ONNX conversions of shape, indexing and reduction Functions (glassnet/ops/shape.py,
reduce.py, scan.py). Shape constants (a Reshape's target, a Slice's ends) are tagged with their
kind so that dynamic axes can rewrite them (onnx_dynamic.py)."""

from __future__ import annotations

import numpy as np

from ..ops import reduce as R
from ..ops import scan as S
from ..ops import shape as SH
from .onnx_graph import INT64_MAX, converter, is_array, shape_of
from .onnx_ops import operand_dtype, out, reduce_node, scalar, squeeze, unsqueeze


# ----------------------------------------------------------------------------- shapes
@converter(SH.Reshape)
def _reshape(g, rec):
    x, shape = rec.args
    target = [int(s) for s in (shape if isinstance(shape, (tuple, list)) else (shape,))]
    c = g.ints(target, kind="reshape", info=shape_of(x))
    out(g, rec, g.op("Reshape", [g.value(x), c]))


@converter(SH.Permute)
def _permute(g, rec):
    x, perm = rec.args
    out(g, rec, g.op("Transpose", [g.value(x)], perm=[int(p) for p in perm]))


@converter(SH.Expand)
def _expand(g, rec):
    x, shape = rec.args
    c = g.ints([int(s) for s in shape], kind="expand", info=shape_of(x))
    out(g, rec, g.op("Expand", [g.value(x), c]))


@converter(SH.Cat)
def _cat(g, rec):
    dim, *xs = rec.args
    out(g, rec, g.op("Concat", [g.value(x) for x in xs], axis=int(dim)))


@converter(SH.Stack)
def _stack(g, rec):
    dim, *xs = rec.args
    parts = [unsqueeze(g, g.value(x), [int(dim)]) for x in xs]
    out(g, rec, g.op("Concat", parts, axis=int(dim)))


@converter(SH.Split)
def _split(g, rec):
    x, sizes, dim = rec.args
    names = g.op("Split", [g.value(x), g.ints(sizes)], n_out=len(sizes), axis=int(dim))
    for i, n in enumerate(names if len(sizes) > 1 else [names]):
        out(g, rec, n, i)


@converter(SH.Flip)
def _flip(g, rec):
    x, dims = rec.args
    dims = [int(d) for d in (dims if isinstance(dims, (tuple, list)) else (dims,))]
    k = len(dims)
    y = g.op("Slice", [g.value(x), g.ints([-1] * k), g.ints([-INT64_MAX] * k), g.ints(dims),
                       g.ints([-1] * k)])
    out(g, rec, y)


@converter(SH.Gather)
def _gather(g, rec):
    a, dim, index = rec.args
    out(g, rec, g.op("GatherElements", [g.value(a), g.value(index)], axis=int(dim)))


@converter(SH.IndexSelect)
def _index_select(g, rec):
    a, dim, index = rec.args
    out(g, rec, g.op("Gather", [g.value(a), g.value(index)], axis=int(dim)))


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
        y = squeeze(g, y, picks)
    if news:
        y = unsqueeze(g, y, news)
    out(g, rec, y)


# ----------------------------------------------------------------------------- reductions
@converter(R.Sum, R.Mean, R.Prod, R.LogSumExp)
def _reduce(g, rec):
    x, axes, keepdim = rec.args
    op = {R.Sum: "ReduceSum", R.Mean: "ReduceMean", R.Prod: "ReduceProd",
          R.LogSumExp: "ReduceLogSumExp"}[rec.fn]
    if axes is not None and len(axes) == 0:
        out(g, rec, g.value(x))
        return
    out(g, rec, reduce_node(g, op, g.value(x), axes, keepdim))


@converter(R.Var, R.Std)
def _var(g, rec):
    x, axes, correction, keepdim = rec.args
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axes is None else tuple(axes)
    n = 1
    for a in axes:
        n *= shape[a]
    dt = operand_dtype(rec)
    name = g.value(x)
    mean = reduce_node(g, "ReduceMean", name, axes, True)
    d = g.op("Sub", [name, mean])
    ss = reduce_node(g, "ReduceSum", g.op("Mul", [d, d]), axes, keepdim)
    v = g.op("Div", [ss, scalar(g, max(n - correction, 0), dt)])
    out(g, rec, g.op("Sqrt", [v]) if rec.fn is R.Std else v)


@converter(R.AMax)
def _amax(g, rec):
    x, axes, keepdim, is_max = rec.args
    out(g, rec, reduce_node(g, "ReduceMax" if is_max else "ReduceMin", g.value(x), axes,
                            keepdim))


@converter(R.MaxDim)
def _maxdim(g, rec):
    x, dim, keepdim, is_max = rec.args
    name = g.value(x)
    out(g, rec, reduce_node(g, "ReduceMax" if is_max else "ReduceMin", name, [dim], keepdim), 0)
    out(g, rec, g.op("ArgMax" if is_max else "ArgMin", [name], axis=int(dim),
                     keepdims=int(bool(keepdim))), 1)


@converter(R.Cumsum)
def _cumsum(g, rec):
    x, dim = rec.args
    out(g, rec, g.op("CumSum", [g.value(x), g.const(np.asarray(int(dim), np.int64))]))


@converter(R.TopK)
def _topk(g, rec):
    x, k, dim, largest, sorted_ = rec.args
    v, i = g.op("TopK", [g.value(x), g.ints([k])], n_out=2, axis=int(dim),
                largest=int(bool(largest)), sorted=int(bool(sorted_) or True))
    out(g, rec, v, 0)
    out(g, rec, i, 1)


@converter(S.VectorNorm)
def _vector_norm(g, rec):
    vector_norm(g, rec, *rec.args[:4])


def vector_norm(g, rec, x, p, axes, keepdim):
    name = g.value(x)
    dt = operand_dtype(rec)
    if p == 2:
        y = reduce_node(g, "ReduceL2", name, axes, keepdim)
    elif p == 1:
        y = reduce_node(g, "ReduceL1", name, axes, keepdim)
    elif p == float("inf"):
        y = reduce_node(g, "ReduceMax", g.op("Abs", [name]), axes, keepdim)
    elif p == float("-inf"):
        y = reduce_node(g, "ReduceMin", g.op("Abs", [name]), axes, keepdim)
    elif p == 0:
        from onnx import helper

        nz = g.op("Cast", [g.op("Not", [g.op("Equal", [name, scalar(g, 0, dt)])])],
                  to=int(helper.np_dtype_to_tensor_dtype(dt)))
        y = reduce_node(g, "ReduceSum", nz, axes, keepdim)
    else:
        s = reduce_node(g, "ReduceSum", g.op("Pow", [g.op("Abs", [name]), scalar(g, p, dt)]),
                        axes, keepdim)
        y = g.op("Pow", [s, scalar(g, 1.0 / p, dt)])
    out(g, rec, y)
