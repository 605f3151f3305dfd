"""ONNX conversions of the elementwise Functions of glassnet/ops: arithmetic, pointwise maths,
comparisons, and the matrix products (shapes and indexing are in onnx_ops_shape.py, reductions in
onnx_ops_reduce.py; every other op carries its own ``to_onnx``). Each converter takes the graph
``g`` and the record ``rec`` of one executed op and emits the ONNX nodes that compute the same
values."""

from __future__ import annotations

import math

import numpy as np

from ..ops import arithmetic as A
from ..ops import linalg as L
from ..ops import pointwise as P
from ..ops import special as S
from .onnx_graph import converter, onnx_dtype
from .onnx_trace import NoGradBinary

# ----------------------------------------------------------------------------- arithmetic
_BINARY = {A.Add: "Add", A.Sub: "Sub", A.Mul: "Mul", A.Div: "Div", A.Pow: "Pow",
           A.Maximum: "Max", A.Minimum: "Min", L.MatMul: "MatMul"}


@converter(*_BINARY)
def _binary(g, rec):
    a, b = g.operands(0, 1)
    op = _BINARY[rec.fn]
    if op == "Div" and np.dtype(g.operand_dtype()).kind in "iu":
        g.unsupported("integer division has no exact ONNX equivalent here")
    g.out(g.op(op, [a, b]))


_UNARY = {A.Neg: "Neg", P.Exp: "Exp", P.Log: "Log", P.Sqrt: "Sqrt", P.Abs: "Abs",
          P.Sin: "Sin", P.Cos: "Cos", P.Tanh: "Tanh", P.Sigmoid: "Sigmoid", P.ReLU: "Relu",
          S.Erf: "Erf", P.Asin: "Asin", P.Acos: "Acos", P.Atan: "Atan", P.Sinh: "Sinh",
          P.Cosh: "Cosh", P.Asinh: "Asinh", P.Acosh: "Acosh", P.Atanh: "Atanh", P.Tan: "Tan"}


@converter(*_UNARY)
def _unary(g, rec):
    g.out(g.op(_UNARY[rec.fn], g.operands(0)))


@converter(P.Log1p, P.Expm1, P.Exp2, P.Log2, P.Log10, S.Erfc)
def _unary_composite(g, rec):
    (x,) = g.operands(0)
    dt = g.operand_dtype()
    one = g.scalar(1, dt)
    fn = rec.fn
    if fn is P.Log1p:
        y = g.op("Log", [g.op("Add", [x, one])])
    elif fn is P.Expm1:
        y = g.op("Sub", [g.op("Exp", [x]), one])
    elif fn is P.Exp2:
        y = g.op("Pow", [g.scalar(2, dt), x])
    elif fn is S.Erfc:
        y = g.op("Sub", [one, g.op("Erf", [x])])
    else:
        base = 2.0 if fn is P.Log2 else 10.0
        y = g.op("Div", [g.op("Log", [x]), g.scalar(math.log(base), dt)])
    g.out(y)


@converter(P.Atan2)
def _atan2(g, rec):
    y, x = g.operands(0, 1)
    dt = g.operand_dtype()
    # atan(y / x) corrected by +-pi in the left half-plane
    base = g.op("Atan", [g.op("Div", [y, x])])
    neg_x = g.op("Less", [x, g.scalar(0, dt)])
    sign = g.op("Where", [g.op("Less", [y, g.scalar(0, dt)]), g.scalar(-math.pi, dt),
                          g.scalar(math.pi, dt)])
    g.out(g.op("Where", [neg_x, g.op("Add", [base, sign]), base]))


@converter(A.Fmod, A.Remainder)
def _mod(g, rec):
    a, b = g.operands(0, 1)
    if g.operand_dtype().kind == "f":
        if rec.fn is A.Fmod:
            g.out(g.op("Mod", [a, b], fmod=1))
        else:  # a - floor(a / b) b
            q = g.op("Floor", [g.op("Div", [a, b])])
            g.out(g.op("Sub", [a, g.op("Mul", [q, b])]))
    else:
        g.out(g.op("Mod", [a, b], fmod=int(rec.fn is A.Fmod)))


@converter(P.Clamp)
def _clamp(g, rec):
    x, lo, hi = rec.args
    name = g.value(x)
    dt = g.operand_dtype()
    scalar_bounds = all(v is None or not (hasattr(v, "shape") and v.shape != ())
                        for v in (lo, hi))
    if scalar_bounds:
        lo_n = "" if lo is None else g.scalar(lo, dt)
        hi_n = "" if hi is None else g.scalar(hi, dt)
        ins = [name, lo_n, hi_n]
        while ins and ins[-1] == "":
            ins.pop()
        g.out(g.op("Clip", ins))
        return
    y = name
    if lo is not None:
        y = g.op("Max", [y, g.value(lo, dt)])
    if hi is not None:
        y = g.op("Min", [y, g.value(hi, dt)])
    g.out(y)


@converter(A.Where)
def _where(g, rec):
    cond, a, b = rec.args
    dt = np.dtype(a.dtype) if hasattr(a, "dtype") else np.dtype(getattr(b, "dtype", "float32"))
    g.out(g.op("Where", [g.value(cond), g.value(a, dt), g.value(b, dt)]))


@converter(A.Cast)
def _cast(g, rec):
    from onnx import helper

    to = helper.np_dtype_to_tensor_dtype(np.dtype(rec.args[1]))
    g.out(g.op("Cast", [g.value(rec.args[0])], to=int(to)))


@converter(L.Einsum)
def _einsum(g, rec):
    spec, *ops = rec.args
    g.out(g.op("Einsum", [g.value(o) for o in ops], equation=spec.replace(" ", "")))


# ----------------------------------------------------------------------------- comparisons
_COMPARE = {"greater": "Greater", "less": "Less", "equal": "Equal",
            "greater_equal": "GreaterOrEqual", "less_equal": "LessOrEqual",
            "logical_and": "And", "logical_or": "Or", "logical_xor": "Xor"}


@converter(NoGradBinary)
def _nograd_binary(g, rec):
    ufunc, a, b, reverse = rec.args
    ta, tb = g.dtype(a), g.dtype(b)
    dt = np.result_type(ta, tb) if tb is not None else (
        np.dtype(np.float32) if isinstance(b, float) and ta.kind in "biu" else ta)
    x, y = g.value(a), g.value(b, dtype=dt)
    if ta != dt:
        x = g.op("Cast", [x], to=onnx_dtype(dt))
    if tb is not None and tb != dt:
        y = g.op("Cast", [y], to=onnx_dtype(dt))
    if reverse:
        x, y = y, x
    name = ufunc.__name__
    if name in _COMPARE:
        res = g.op(_COMPARE[name], [x, y])
    elif name == "not_equal":
        res = g.op("Not", [g.op("Equal", [x, y])])
    elif name == "floor_divide" and dt.kind == "f":
        res = g.op("Floor", [g.op("Div", [x, y])])
    elif name in ("bitwise_and", "bitwise_or", "bitwise_xor") and g.opset >= 18:
        res = g.op({"bitwise_and": "BitwiseAnd", "bitwise_or": "BitwiseOr",
                    "bitwise_xor": "BitwiseXor"}[name], [x, y])
    else:
        g.unsupported(f"the operation {name} on tensors of dtype {dt}")
    g.out(res)

