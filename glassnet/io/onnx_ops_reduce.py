"""ONNX conversions of the reductions (glassnet/ops/reduce.py; the p-norm of scan.py): sums,
means, products, log-sum-exp, variance, extrema with their arg-positions, cumulative sums,
top-k."""

from __future__ import annotations

import numpy as np

from ..ops import reduce as R
from ..ops import scan as S
from .onnx_graph import converter, shape_of


@converter(R.Sum, R.Mean, R.Prod, R.LogSumExp)
def _reduce(g, rec):
    x, axes, keepdim = rec.args
    op = {R.Sum: "ReduceSum", R.Mean: "ReduceMean", R.Prod: "ReduceProd",
          R.LogSumExp: "ReduceLogSumExp"}[rec.fn]
    if axes is not None and len(axes) == 0:
        g.out(g.value(x))
        return
    g.out(g.reduce(op, g.value(x), axes, keepdim))


@converter(R.Var, R.Std)
def _var(g, rec):
    x, axes, correction, keepdim = rec.args
    shape = shape_of(x)
    axes = tuple(range(len(shape))) if axes is None else tuple(axes)
    n = 1
    for a in axes:
        n *= shape[a]
    dt = g.operand_dtype()
    name = g.value(x)
    mean = g.reduce("ReduceMean", name, axes, True)
    d = g.op("Sub", [name, mean])
    ss = g.reduce("ReduceSum", g.op("Mul", [d, d]), axes, keepdim)
    v = g.op("Div", [ss, g.scalar(max(n - correction, 0), dt)])
    g.out(g.op("Sqrt", [v]) if rec.fn is R.Std else v)


@converter(R.AMax)
def _amax(g, rec):
    x, axes, keepdim, is_max = rec.args
    g.out(g.reduce("ReduceMax" if is_max else "ReduceMin", g.value(x), axes, keepdim))


@converter(R.MaxDim)
def _maxdim(g, rec):
    x, dim, keepdim, is_max = rec.args
    name = g.value(x)
    g.out(g.reduce("ReduceMax" if is_max else "ReduceMin", name, [dim], keepdim), 0)
    g.out(g.op("ArgMax" if is_max else "ArgMin", [name], axis=int(dim),
               keepdims=int(bool(keepdim))), 1)


@converter(R.Cumsum)
def _cumsum(g, rec):
    x, dim = rec.args
    g.out(g.op("CumSum", [g.value(x), g.const(np.asarray(int(dim), np.int64))]))


@converter(R.TopK)
def _topk(g, rec):
    x, k, dim, largest, sorted_ = rec.args
    v, i = g.op("TopK", [g.value(x), g.ints([k])], n_out=2, axis=int(dim),
                largest=int(bool(largest)), sorted=int(bool(sorted_) or True))
    g.out(v, 0)
    g.out(i, 1)


@converter(S.VectorNorm)
def _vector_norm(g, rec):
    g.out(g.norm(*rec.args[:4]))
