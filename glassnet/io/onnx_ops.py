"""ONNX conversions of the tensor-level Functions: arithmetic, pointwise maths and comparisons
(glassnet/ops/); shapes, indexing and reductions are in onnx_ops_shape.py. Each converter takes
the graph ``g`` and the record ``rec`` of one executed op and emits the ONNX nodes that compute
the same values."""

from __future__ import annotations

import math

import numpy as np

from ..ops import elementwise as E
from ..ops import linalg as L
from ..ops import unary as U
from ..tensor import _Clone, _Contig, _ToDevice
from .onnx_graph import converter
from .onnx_trace import NoGradBinary

# ----------------------------------------------------------------------------- helpers


def operand_dtype(rec):
    """The dtype a Python scalar operand takes: that of the op's first array operand."""
    for a in rec.args:
        dt = getattr(a, "dtype", None)
        if dt is not None and not isinstance(a, (np.generic,)):
            return np.dtype(dt)
    return np.dtype(np.float32)


def args(g, rec, *idx):
    dt = operand_dtype(rec)
    return [g.value(rec.args[i], dtype=dt) for i in idx]


def scalar(g, value, dtype):
    return g.const(np.asarray(value, dtype=dtype))


def reduce_node(g, op_type, x, axes, keepdim):
    """ReduceX over ``axes`` (None: all), with axes as an input where the opset wants one."""
    kd = int(bool(keepdim))
    if axes is not None:
        axes = [int(a) for a in axes]
    if op_type == "ReduceSum" or g.opset >= 18:
        ins = [x] if axes is None else [x, g.ints(axes)]
        return g.op(op_type, ins, keepdims=kd)
    return g.op(op_type, [x], keepdims=kd, axes=axes)


def unsqueeze(g, x, axes):
    return g.op("Unsqueeze", [x, g.ints(axes)])


def squeeze(g, x, axes):
    return g.op("Squeeze", [x, g.ints(axes)])


def out(g, rec, name, i=0):
    g.bind(rec.outputs[i], name)


# ----------------------------------------------------------------------------- arithmetic
_BINARY = {E.Add: "Add", E.Sub: "Sub", E.Mul: "Mul", E.Div: "Div", E.Pow: "Pow",
           E.Maximum: "Max", E.Minimum: "Min", L.MatMul: "MatMul"}


@converter(*_BINARY)
def _binary(g, rec):
    a, b = args(g, rec, 0, 1)
    op = _BINARY[rec.fn]
    if op == "Div" and np.dtype(operand_dtype(rec)).kind in "iu":
        g.unsupported("integer division has no exact ONNX equivalent here")
    out(g, rec, g.op(op, [a, b]))


_UNARY = {E.Neg: "Neg", E.Exp: "Exp", E.Log: "Log", E.Sqrt: "Sqrt", E.Abs: "Abs",
          E.Sin: "Sin", E.Cos: "Cos", E.Tanh: "Tanh", E.Sigmoid: "Sigmoid", E.ReLU: "Relu",
          E.Erf: "Erf", U.Asin: "Asin", U.Acos: "Acos", U.Atan: "Atan", U.Sinh: "Sinh",
          U.Cosh: "Cosh", U.Asinh: "Asinh", U.Acosh: "Acosh", U.Atanh: "Atanh", U.Tan: "Tan"}


@converter(*_UNARY)
def _unary(g, rec):
    out(g, rec, g.op(_UNARY[rec.fn], args(g, rec, 0)))


@converter(E.Log1p, U.Expm1, U.Exp2, U.Log2, U.Log10, U.Erfc)
def _unary_composite(g, rec):
    (x,) = args(g, rec, 0)
    dt = operand_dtype(rec)
    one = scalar(g, 1, dt)
    fn = rec.fn
    if fn is E.Log1p:
        y = g.op("Log", [g.op("Add", [x, one])])
    elif fn is U.Expm1:
        y = g.op("Sub", [g.op("Exp", [x]), one])
    elif fn is U.Exp2:
        y = g.op("Pow", [scalar(g, 2, dt), x])
    elif fn is U.Erfc:
        y = g.op("Sub", [one, g.op("Erf", [x])])
    else:
        base = 2.0 if fn is U.Log2 else 10.0
        y = g.op("Div", [g.op("Log", [x]), scalar(g, math.log(base), dt)])
    out(g, rec, y)


@converter(U.Atan2)
def _atan2(g, rec):
    y, x = args(g, rec, 0, 1)
    dt = operand_dtype(rec)
    # atan(y / x) corrected by +-pi in the left half-plane
    base = g.op("Atan", [g.op("Div", [y, x])])
    neg_x = g.op("Less", [x, scalar(g, 0, dt)])
    sign = g.op("Where", [g.op("Less", [y, scalar(g, 0, dt)]), scalar(g, -math.pi, dt),
                          scalar(g, math.pi, dt)])
    out(g, rec, g.op("Where", [neg_x, g.op("Add", [base, sign]), base]))


@converter(U.Fmod, U.Remainder)
def _mod(g, rec):
    a, b = args(g, rec, 0, 1)
    if operand_dtype(rec).kind == "f":
        if rec.fn is U.Fmod:
            out(g, rec, g.op("Mod", [a, b], fmod=1))
        else:  # a - floor(a / b) b
            q = g.op("Floor", [g.op("Div", [a, b])])
            out(g, rec, g.op("Sub", [a, g.op("Mul", [q, b])]))
    else:
        out(g, rec, g.op("Mod", [a, b], fmod=int(rec.fn is U.Fmod)))


@converter(E.Clamp)
def _clamp(g, rec):
    x, lo, hi = rec.args
    name = g.value(x)
    dt = operand_dtype(rec)
    scalar_bounds = all(v is None or not (hasattr(v, "shape") and v.shape != ())
                        for v in (lo, hi))
    if scalar_bounds:
        lo_n = "" if lo is None else scalar(g, lo, dt)
        hi_n = "" if hi is None else scalar(g, hi, dt)
        ins = [name, lo_n, hi_n]
        while ins and ins[-1] == "":
            ins.pop()
        out(g, rec, g.op("Clip", ins))
        return
    y = name
    if lo is not None:
        y = g.op("Max", [y, g.value(lo, dt)])
    if hi is not None:
        y = g.op("Min", [y, g.value(hi, dt)])
    out(g, rec, y)


@converter(E.Where)
def _where(g, rec):
    cond, a, b = rec.args
    dt = np.dtype(a.dtype) if hasattr(a, "dtype") else np.dtype(getattr(b, "dtype", "float32"))
    out(g, rec, g.op("Where", [g.value(cond), g.value(a, dt), g.value(b, dt)]))


@converter(E.Cast)
def _cast(g, rec):
    from onnx import helper

    to = helper.np_dtype_to_tensor_dtype(np.dtype(rec.args[1]))
    out(g, rec, g.op("Cast", [g.value(rec.args[0])], to=int(to)))


@converter(_Contig, _Clone, _ToDevice)
def _identity(g, rec):
    out(g, rec, g.value(rec.args[0]))


@converter(L.Einsum)
def _einsum(g, rec):
    spec, *ops = rec.args
    out(g, rec, g.op("Einsum", [g.value(o) for o in ops], equation=spec.replace(" ", "")))


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
        x = g.op("Cast", [x], to=_onnx_dtype(dt))
    if tb is not None and tb != dt:
        y = g.op("Cast", [y], to=_onnx_dtype(dt))
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
    out(g, rec, res)


def _onnx_dtype(dt):
    from onnx import helper

    return int(helper.np_dtype_to_tensor_dtype(np.dtype(dt)))
