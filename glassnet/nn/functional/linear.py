"""Affine maps: linear, bilinear, and the two faces of one-hot codes (one_hot, embedding).

``linear`` is the hot path of every MLP, so it is one fused Function: y = x W^T + b in one BLAS
call plus an in-place bias add, and a backward that makes exactly three products:

    dL/dx = dL/dy W          (N, out) @ (out, in)
    dL/dW = (dL/dy)^T x      (out, N) @ (N, in)  — one 2-D matmul over the flattened batch
    dL/db = sum_n dL/dy_n

An embedding is a linear layer applied to a one-hot vector: one_hot(i) @ W selects row i of W,
so it is computed as a lookup and its gradient is a scatter-add into the selected rows.
"""

from __future__ import annotations

from ... import backend
from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor

__all__ = ["linear", "bilinear", "embedding", "one_hot"]


class _Linear(Function):
    fresh_grads = True  # every gradient below is a new matmul / sum result

    @staticmethod
    def forward(ctx, x, w, b):
        ctx.save_for_backward(x, w)
        if x.ndim == 2:
            out = x @ w.T  # BLAS reads W^T as a transposed view: no copy
        else:
            out = (x.reshape(-1, x.shape[-1]) @ w.T).reshape(x.shape[:-1] + (w.shape[0],))
        if b is not None:
            out += b
        return out

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad
        g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
        gx = gw = gb = None
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


def one_hot(tensor, num_classes=-1):
    """Encode integer class labels as one-hot rows: label c becomes e_c (length num_classes).

    ``num_classes=-1`` infers it as max(label) + 1. Returns an int64 tensor.

    Shape: (*) -> (*, num_classes)
    """
    d = tensor._data if isinstance(tensor, Tensor) else backend.array_module(tensor).asarray(tensor)
    if d.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot: expected an integer (int64) tensor of class indices, got "
                           f"dtype {d.dtype}")
    xp = array_module(d)
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(d.max()) + 1
    if d.size:
        if int(d.min()) < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {int(d.min())}")
        if int(d.max()) >= num_classes:
            raise RuntimeError(f"one_hot: class value {int(d.max())} is out of range for "
                               f"num_classes={num_classes} (must be smaller)")
    out = (d[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return Tensor._make(out, False)


class _Embedding(Function):
    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.idx = idx
        ctx.shape = weight.shape
        ctx.padding_idx = padding_idx
        ctx.scale = scale_grad_by_freq
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        idx = ctx.idx.reshape(-1)
        g2 = g.reshape(-1, ctx.shape[1])
        if ctx.scale:
            counts = xp.bincount(idx, minlength=ctx.shape[0])
            g2 = g2 / counts[idx][:, None].astype(g2.dtype)
        gw = xp.zeros(ctx.shape, dtype=g.dtype)
        # Each row was copied once per occurrence of its index: the adjoint sums them back.
        xp.add.at(gw, idx, g2)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw, None, None, None


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight``: the same as one_hot(input) @ weight, without building the
    one-hot matrix. ``padding_idx`` rows get no gradient; ``max_norm`` renormalises looked-up rows
    in place to norm at most ``max_norm``.

    Shape: input (*) integer; weight (num_embeddings, embedding_dim); output (*, embedding_dim).
    """
    idx = input._data if isinstance(input, Tensor) else backend.array_module(input).asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected an integer index tensor (int64), got dtype "
                           f"{idx.dtype}")
    n = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"embedding: index {bad} is out of range for an embedding with "
                         f"{n} rows (num_embeddings)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        xp = array_module(weight._data)
        rows = xp.unique(idx)
        norms = (xp.abs(weight._data[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
        scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
        weight._data[rows] *= scale[:, None].astype(weight._data.dtype)
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by glassnet")
    return _Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)
