"""ONNX conversions of the network Functions (glassnet/nn/functional/): linear, activations,
softmax, normalisation, dropout, embedding and padding. Convolution, pooling and resampling are
in onnx_ops_conv.py."""

from __future__ import annotations

import math
from importlib import import_module

import numpy as np

from ..nn import hooks
from .onnx_graph import converter, shape_of
from .onnx_ops import operand_dtype, out, reduce_node, scalar
from .onnx_ops_shape import vector_norm

# (module objects: some names in glassnet.nn.functional are also functions)
A = import_module("glassnet.nn.functional.activation")
AX = import_module("glassnet.nn.functional.activation_extra")
D = import_module("glassnet.nn.functional.distance")
DR = import_module("glassnet.nn.functional.dropout")
LN = import_module("glassnet.nn.functional.linear")
LP = import_module("glassnet.nn.functional.lp_pool")
N = import_module("glassnet.nn.functional.normalization")
P = import_module("glassnet.nn.functional.padding")
SM = import_module("glassnet.nn.functional.softmax")


# ----------------------------------------------------------------------------- linear
@converter(LN._Linear)
def _linear(g, rec):
    x, w, b = rec.args
    xn, wn = g.value(x), g.value(w)
    if len(shape_of(x)) == 2:
        ins = [xn, wn] + ([g.value(b)] if b is not None else [])
        out(g, rec, g.op("Gemm", ins, alpha=1.0, beta=1.0, transB=1))
        return
    y = g.op("MatMul", [xn, g.op("Transpose", [wn], perm=[1, 0])])
    if b is not None:
        y = g.op("Add", [y, g.value(b)])
    out(g, rec, y)


@converter(LN._Embedding)
def _embedding(g, rec):
    weight, idx = rec.args[:2]
    out(g, rec, g.op("Gather", [g.value(weight), g.value(idx)], axis=0))


# ----------------------------------------------------------------------------- activations
@converter(A._ReLU)
def _relu(g, rec):
    out(g, rec, g.op("Relu", [g.value(rec.args[0])]))


@converter(A._LeakyReLU)
def _leaky(g, rec):
    out(g, rec, g.op("LeakyRelu", [g.value(rec.args[0])], alpha=float(rec.args[1])))


@converter(A._ELU)
def _elu(g, rec):
    x, alpha, scale, input_scale = rec.args
    name = g.value(x)
    if scale == 1.0 and input_scale == 1.0:
        y = g.op("Elu", [name], alpha=float(alpha))
    elif alpha == A._SELU_ALPHA and scale == A._SELU_SCALE and input_scale == 1.0:
        y = g.op("Selu", [name], alpha=float(alpha), gamma=float(scale))
    elif scale == 1.0 and math.isclose(input_scale * alpha, 1.0):
        y = g.op("Celu", [name], alpha=float(alpha))
    else:
        g.unsupported(f"ELU with alpha={alpha}, scale={scale}, input_scale={input_scale}")
    out(g, rec, y)


@converter(A._GELU)
def _gelu(g, rec):
    x, approximate = rec.args
    name = g.value(x)
    if g.opset >= 20:
        out(g, rec, g.op("Gelu", [name], approximate=approximate))
        return
    dt = operand_dtype(rec)
    if approximate == "tanh":  # 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
        x3 = g.op("Mul", [g.op("Mul", [name, name]), name])
        inner = g.op("Add", [name, g.op("Mul", [x3, scalar(g, 0.044715, dt)])])
        t = g.op("Tanh", [g.op("Mul", [inner, scalar(g, math.sqrt(2 / math.pi), dt)])])
    else:  # 0.5 x (1 + erf(x / sqrt 2))
        t = g.op("Erf", [g.op("Mul", [name, scalar(g, 1 / math.sqrt(2), dt)])])
    y = g.op("Mul", [g.op("Mul", [name, scalar(g, 0.5, dt)]),
                     g.op("Add", [t, scalar(g, 1, dt)])])
    out(g, rec, y)


@converter(A._SiLU)
def _silu(g, rec):
    name = g.value(rec.args[0])
    out(g, rec, g.op("Mul", [name, g.op("Sigmoid", [name])]))


def _softplus(g, name, beta, threshold, dt):
    """log(1 + e^(beta x)) / beta, and x itself where beta x > threshold (as PyTorch)."""
    bx = name if beta == 1 else g.op("Mul", [name, scalar(g, beta, dt)])
    sp = g.op("Softplus", [bx])
    if beta != 1:
        sp = g.op("Div", [sp, scalar(g, beta, dt)])
    big = g.op("Greater", [bx, scalar(g, threshold, dt)])
    return g.op("Where", [big, name, sp])


@converter(A._Softplus)
def _softplus_conv(g, rec):
    x, beta, threshold = rec.args
    out(g, rec, _softplus(g, g.value(x), beta, threshold, operand_dtype(rec)))


@converter(A._Mish)
def _mish(g, rec):
    name = g.value(rec.args[0])
    if g.opset >= 18:
        out(g, rec, g.op("Mish", [name]))
        return
    sp = _softplus(g, name, 1.0, 20.0, operand_dtype(rec))
    out(g, rec, g.op("Mul", [name, g.op("Tanh", [sp])]))


@converter(A._Hardtanh)
def _hardtanh(g, rec):
    x, lo, hi = rec.args
    dt = operand_dtype(rec)
    out(g, rec, g.op("Clip", [g.value(x), scalar(g, lo, dt), scalar(g, hi, dt)]))


@converter(A._Hardswish)
def _hardswish(g, rec):
    out(g, rec, g.op("HardSwish", [g.value(rec.args[0])]))


@converter(AX._Shrink)
def _shrink(g, rec):
    x, lambd, soft = rec.args
    out(g, rec, g.op("Shrink", [g.value(x)], lambd=float(lambd),
                     bias=float(lambd) if soft else 0.0))


@converter(D._ClampMinThrough)
def _clamp_min(g, rec):
    x, lo = rec.args
    out(g, rec, g.op("Max", [g.value(x), scalar(g, lo, operand_dtype(rec))]))


@converter(D.VectorNorm)
def _vector_norm(g, rec):
    vector_norm(g, rec, *rec.args[:4])


@converter(LP._Root)
def _root(g, rec):
    v, e = rec.args
    out(g, rec, g.op("Pow", [g.value(v), scalar(g, e, operand_dtype(rec))]))


@converter(SM._Softmax, SM._LogSoftmax)
def _softmax(g, rec):
    x, dim = rec.args
    op = "Softmax" if rec.fn is SM._Softmax else "LogSoftmax"
    out(g, rec, g.op(op, [g.value(x)], axis=int(dim)))


@converter(DR._MulMask)
def _dropout_train(g, rec):
    # Only a model exported in training mode reaches here: ONNX Dropout draws its own mask.
    x, _m, c = rec.args
    ratio = 1.0 - 1.0 / float(c) if c else 1.0
    dt = operand_dtype(rec)
    y = g.op("Dropout", [g.value(x), scalar(g, ratio, dt), g.const(np.asarray(True))])
    out(g, rec, y)


@converter(hooks._Identity, hooks._OutputIdentity, hooks._InputIdentity)
def _hook_identity(g, rec):
    for i, a in enumerate(rec.args[1:]):
        out(g, rec, g.value(a), i)


# ----------------------------------------------------------------------------- normalisation
def _ones_like(g, c, dt, value):
    return g.const(np.full((c,), value, dtype=dt))


@converter(N._BatchNormEval)
def _batch_norm_eval(g, rec):
    x, w, b, mean, var, eps = rec.args
    c = shape_of(x)[1]
    dt = operand_dtype(rec)
    wn = g.value(w) if w is not None else _ones_like(g, c, dt, 1)
    bn = g.value(b) if b is not None else _ones_like(g, c, dt, 0)
    ins = [g.value(x), wn, bn, g.value(mean), g.value(var)]
    out(g, rec, g.op("BatchNormalization", ins, epsilon=float(eps)))


@converter(N._BatchNormTrain)
def _batch_norm_train(g, rec):
    # Written out rather than as BatchNormalization(training_mode=1), whose output runtimes
    # compute differently: the batch's mean and biased variance over (N, *spatial).
    x, w, b, eps = rec.args[:4]
    nd = len(shape_of(x))
    pshape = (1, shape_of(x)[1]) + (1,) * (nd - 2)
    y = _standardize(g, g.value(x), (0,) + tuple(range(2, nd)), eps, operand_dtype(rec))
    out(g, rec, _affine(g, y, w, b, pshape))


def _standardize(g, xv, axes, eps, dt, stats=None):
    """(x - mean) / sqrt(var + eps), with the batch's statistics or the given ones."""
    if stats is None:
        mean = reduce_node(g, "ReduceMean", xv, axes, True)
        xc = g.op("Sub", [xv, mean])
        var = reduce_node(g, "ReduceMean", g.op("Mul", [xc, xc]), axes, True)
    else:
        xc = g.op("Sub", [xv, g.value(stats[0])])
        var = g.value(stats[1])
    return g.op("Div", [xc, g.op("Sqrt", [g.op("Add", [var, scalar(g, eps, dt)])])])


def _affine(g, y, w, b, pshape):
    for p, op in ((w, "Mul"), (b, "Add")):
        if p is not None:
            y = g.op(op, [y, g.op("Reshape", [g.value(p), g.ints(pshape)])])
    return y


@converter(N._Normalize)
def _normalize(g, rec):
    x, w, b, view, axes, pshape, eps, stats = rec.args[:8]
    dt = operand_dtype(rec)
    shape = shape_of(x)
    name = g.value(x)
    nd = len(shape)
    k = len(axes)
    layer = (view is None and stats is None and tuple(axes) == tuple(range(nd - k, nd))
             and tuple(pshape) == (1,) * (nd - k) + tuple(shape[nd - k:]))
    if layer and g.opset >= 17:
        ns = tuple(shape[nd - k:])
        wn = g.value(w) if w is not None else g.const(np.ones(ns, dt))
        ins = [name, wn] + ([g.value(b)] if b is not None else [])
        out(g, rec, g.op("LayerNormalization", ins, axis=nd - k, epsilon=float(eps)))
        return
    # (x - mean) / sqrt(var + eps) * gamma + beta, written out
    xv = name if view is None else g.op(
        "Reshape", [name, g.ints(view, kind="reshape", info=shape)])
    vshape = tuple(view) if view is not None else shape
    y = _affine(g, _standardize(g, xv, axes, eps, dt, stats), w, b, pshape)
    if view is not None:
        y = g.op("Reshape", [y, g.ints(shape, kind="reshape", info=vshape)])
    out(g, rec, y)


# ----------------------------------------------------------------------------- padding
def _onnx_pads(ndim, pads):
    """Per-dimension (low, high) of the last len(pads) dims as ONNX's [lows..., highs...]."""
    lead = ndim - len(pads)
    lo = [0] * lead + [int(p[0]) for p in pads]
    hi = [0] * lead + [int(p[1]) for p in pads]
    return lo + hi


@converter(P.ConstantPad)
def _constant_pad(g, rec):
    x, pads, value = rec.args
    dt = operand_dtype(rec)
    ins = [g.value(x), g.ints(_onnx_pads(len(shape_of(x)), pads)), scalar(g, value, dt)]
    out(g, rec, g.op("Pad", ins, mode="constant"))


@converter(P.IndexPad)
def _index_pad(g, rec):
    x, pads, mode = rec.args
    if mode == "circular" and g.opset < 19:  # gather the wrapped indices along each axis
        y = g.value(x)
        shape = shape_of(x)
        lead = len(shape) - len(pads)
        for i, (lo, hi) in enumerate(pads):
            if lo or hi:
                size = shape[lead + i]
                idx = (np.arange(-lo, size + hi) % size).astype(np.int64)
                y = g.op("Gather", [y, g.const(idx)], axis=lead + i)
        out(g, rec, y)
        return
    onnx_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
    ins = [g.value(x), g.ints(_onnx_pads(len(shape_of(x)), pads))]
    out(g, rec, g.op("Pad", ins, mode=onnx_mode))
