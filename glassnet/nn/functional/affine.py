"""Affine maps: ``linear`` and ``bilinear``.

``linear`` is the hot path of every MLP, so it is one fused Function: y = x W^T + b in one BLAS
call plus an in-place bias add, and a backward that makes exactly three products:

    dL/dx = dL/dy W          (N, out) @ (out, in)
    dL/dW = (dL/dy)^T x      (out, N) @ (N, in)  — one 2-D matmul over the flattened batch
    dL/db = sum_n dL/dy_n

Those products are linear in dL/dy, so the differentiable backward (``create_graph=True``) is
the same three products on Tensors.
"""

from __future__ import annotations

from ...autograd import Function
from ...backend import blas_threads_for, compute_in_float32
from ...ops import autocast
from ...tensor import Tensor

__all__ = ["linear", "bilinear"]


class _Linear(Function):
    fresh_grads = True  # every gradient below is a new matmul / sum result

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        with blas_threads_for(x.size * w.shape[0]):
            if x.ndim == 2:
                out = x @ w.T  # BLAS reads W^T as a transposed view: no copy
            else:
                out = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            out += b
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        with blas_threads_for(x.size * w.shape[0]):  # each product: rows x in x out
            if nx:
                gx = g2 @ w
                if x.ndim != 2:
                    gx = gx.reshape(x.shape)
            if nw:
                x2 = x if x.ndim == 2 else x.reshape(-1, x.shape[-1])
                gw = g2.T @ x2
        if nb:
            gb = g2.sum(axis=0)
        return gx, gw, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        x, w = ctx.saved_tensors
        X, W = ctx.input_tensor(0, x), ctx.input_tensor(1, w)
        nx, nw, nb = ctx.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
        if nx:
            gx = g2 @ W
            if x.ndim != 2:
                gx = gx.reshape(x.shape)
        if nw:
            gw = g2.t() @ (X if x.ndim == 2 else X.reshape(-1, x.shape[-1]))
        if nb:
            gb = g2.sum(0)
        return gx, gw, gb

    @staticmethod
    def to_onnx(g, rec):
        x, w, b = rec.args
        xn, wn = g.value(x), g.value(w)
        if len(g.shape(x)) == 2:
            ins = [xn, wn] + ([g.value(b)] if b is not None else [])
            g.out(g.op("Gemm", ins, alpha=1.0, beta=1.0, transB=1))
            return
        y = g.op("MatMul", [xn, g.op("Transpose", [wn], perm=[1, 0])])
        if b is not None:
            y = g.op("Add", [y, g.value(b)])
        g.out(y)


@autocast.lower_precision
def linear(input, weight, bias=None):
    """y = x W^T + b, applied to the last dimension of ``input``.

    The lectures write a neuron as w^T x + b and fold b into w with the bias trick (append a
    constant 1 to x); here the bias stays a separate vector, which is the same function.

    Shape:
        - input: (*, in_features); weight: (out_features, in_features); bias: (out_features,)
        - output: (*, out_features)
    """
    if not (isinstance(input, Tensor) and isinstance(weight, Tensor)):
        _linear_error(input, weight, bias)
    x, w = input._data, weight._data
    # The common case is checked with a few attribute reads; the details only on failure.
    if (w.ndim != 2 or x.ndim == 0 or x.shape[-1] != w.shape[1]
            or x.dtype != w.dtype or type(x) is not type(w)
            or (bias is not None and (bias._data.shape != (w.shape[0],)
                                      or bias._data.dtype != w.dtype
                                      or type(bias._data) is not type(w)))):
        _linear_error(input, weight, bias)
    return _Linear.apply(input, weight, bias)


def _linear_error(input, weight, bias):
    if not isinstance(input, Tensor) or not isinstance(weight, Tensor):
        raise TypeError("linear: input and weight must be Tensors, got "
                        f"{type(input).__name__} and {type(weight).__name__}")
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise RuntimeError(
            f"linear: input has {input.shape[-1] if input.ndim else 0} features (shape "
            f"{tuple(input.shape)}) but weight expects {weight.shape[-1] if weight.ndim else 0} "
            f"(weight shape {tuple(weight.shape)})")
    if input.dtype != weight.dtype:
        raise RuntimeError(f"linear: input dtype {input.dtype} and weight dtype {weight.dtype} "
                           "must be the same (use .to(weight.dtype) or model.double())")
    if bias is not None:
        if tuple(bias.shape) != (weight.shape[0],):
            raise RuntimeError(f"linear: bias has shape {tuple(bias.shape)} but weight has "
                               f"{weight.shape[0]} output features")
        if bias.dtype != weight.dtype:
            raise RuntimeError(f"linear: bias dtype {bias.dtype} differs from weight dtype "
                               f"{weight.dtype}")
    raise RuntimeError(f"linear: input is on {input.device} but weight is on {weight.device}; "
                       "move them with .to(device)")


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T A_k x2 + b_k.

    Shape:
        - input1: (*, in1), input2: (*, in2), weight: (out, in1, in2), bias: (out,)
        - output: (*, out)
    """
    if input1.shape[-1] != weight.shape[1] or input2.shape[-1] != weight.shape[2]:
        raise RuntimeError(f"bilinear: input sizes {input1.shape[-1]} and {input2.shape[-1]} do "
                           f"not match weight shape {tuple(weight.shape)}")
    if input1.shape[:-1] != input2.shape[:-1]:
        raise RuntimeError(f"bilinear: input1 {tuple(input1.shape)} and input2 "
                           f"{tuple(input2.shape)} must have the same leading dimensions")
    out_f, in1, in2 = weight.shape
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (x1 A_k) for every k at once: one (M, in1) @ (in1, out * in2) product, then dot with x2
    t = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    out = (t * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        out = out + bias
    return out.reshape(lead + (out_f,))
