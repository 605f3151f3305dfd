"""Distances and similarities between vectors: ``pairwise_distance``, ``pdist``,
``cosine_similarity``, and the p-norm they share.

The p-norm ||x||_p = (sum_i |x_i|^p)^(1/p) (p = inf: max |x_i|; p = 0: the number of non-zero
entries) is one Function with PyTorch's derivative, including its conventions where the norm is
not differentiable: the gradient is 0 where the norm is 0 (not the NaN that differentiating
sqrt(sum x^2) gives), and for p = inf it is shared equally among tied maxima (``pdist``: each
tied maximum gets all of it). That Function is ``glassnet.ops.scan.VectorNorm``, the one behind
``linalg.vector_norm`` too.
"""

from __future__ import annotations

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...ops.reduce import normalize_dim
from ...ops.scan import VectorNorm
from ...tensor import Tensor

__all__ = ["pairwise_distance", "pdist", "cosine_similarity", "vector_norm"]


def _as_float(x, op, name, strict=False):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: argument '{name}' must be a Tensor, got {type(x).__name__}")
    if not x.is_floating_point() and strict:
        raise RuntimeError(f"{op}: only supports floating-point dtypes, got {name} of dtype "
                           f"{x.dtype}")
    return x if x.is_floating_point() else x.float()


def vector_norm(x, p=2.0, dim=None, keepdim=False):
    """||x||_p over ``dim`` (all dimensions when None) with PyTorch's derivative (see the module
    docstring). Shape: x (*) -> the reduced shape."""
    x = _as_float(x, "vector_norm", "x", strict=True)
    if dim is None:
        axes = tuple(range(x.ndim))
    else:
        dims = (dim,) if isinstance(dim, int) else tuple(dim)
        axes = tuple(sorted({normalize_dim(d, x.ndim, "vector_norm") for d in dims}))
    if x.ndim == 0:
        return x.abs() if p != 0 else (x != 0).to(x.dtype)
    return VectorNorm.apply(x, float(p), axes, bool(keepdim))


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p along the last dimension (row by row, with broadcasting).

    ``eps`` is added to the difference (not to the distance), as in PyTorch, which keeps the
    distance of identical rows away from the non-differentiable 0.

    Shape: x1 (N, D) or (D,), x2 broadcastable to it -> (N,) (or (N, 1) with ``keepdim``).
    """
    x1 = _as_float(x1, "pairwise_distance", "x1")
    x2 = _as_float(x2, "pairwise_distance", "x2")
    last = max(x1.ndim, x2.ndim) - 1
    if last < 0:
        return vector_norm((x1 - x2 + eps).reshape(1), p, 0, keepdim)
    return vector_norm(x1 - x2 + eps, p, last, keepdim)


def pdist(input, p=2):
    """The distance ||x_i - x_j||_p between every pair of rows i < j of ``input``, in the order
    of the upper triangle of the distance matrix (row by row).

    Shape: input (N, M) -> (N (N - 1) / 2,).
    """
    x = _as_float(input, "pdist", "input", strict=True)
    if x.ndim != 2:
        raise RuntimeError(f"pdist: only supports 2D tensors, got: {x.ndim}D (shape "
                           f"{tuple(x.shape)})")
    if p < 0:
        raise RuntimeError(f"pdist: only supports non-negative p values, got {p}")
    n = x.shape[0]
    i, j = np.triu_indices(n, 1)
    xp = array_module(x._data)
    diff = x[xp.asarray(i)] - x[xp.asarray(j)]
    return VectorNorm.apply(diff, float(p), (1,), False, False)


class _ClampMinThrough(Function):
    """max(x, lo) in the forward pass, the identity in the backward pass (PyTorch clamps the
    norms of ``cosine_similarity`` in place without recording it for autograd)."""

    @staticmethod
    def forward(ctx, x, lo):
        return array_module(x).maximum(x, x.dtype.type(lo))

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g, None

    @staticmethod
    def to_onnx(g, rec):
        x, lo = rec.args
        g.out(g.op("Max", [g.value(x), g.scalar(lo, g.operand_dtype())]))


def clamp_min_through(x, lo):
    """``x.clamp(min=lo)`` whose gradient passes through unchanged (used by the losses too)."""
    return _ClampMinThrough.apply(x, float(lo))


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """cos(x1, x2) = sum_d (x1 / max(||x1||, eps)) (x2 / max(||x2||, eps)) along ``dim``.

    Each vector is divided by its own (clamped) norm before the product, as PyTorch does, which
    keeps the result in [-1, 1]. Inputs broadcast against each other first.

    Shape: x1 (*1, D, *2), x2 broadcastable to it -> (*1, *2).
    """
    x1 = _as_float(x1, "cosine_similarity", "x1", strict=True)
    x2 = _as_float(x2, "cosine_similarity", "x2", strict=True)
    try:
        shape = np.broadcast_shapes(tuple(x1.shape), tuple(x2.shape))
    except ValueError:
        raise RuntimeError(f"cosine_similarity: x1 of shape {tuple(x1.shape)} and x2 of shape "
                           f"{tuple(x2.shape)} cannot be broadcast together") from None
    if tuple(x1.shape) != shape:
        x1 = x1.expand(*shape)
    if tuple(x2.shape) != shape:
        x2 = x2.expand(*shape)
    d = normalize_dim(dim, len(shape), "cosine_similarity")
    if len(shape) == 0:
        x1, x2 = x1.reshape(1), x2.reshape(1)
    n1 = clamp_min_through(vector_norm(x1, 2, d, keepdim=True), eps)
    n2 = clamp_min_through(vector_norm(x2, 2, d, keepdim=True), eps)
    out = ((x1 / n1) * (x2 / n2)).sum(d)
    return out.reshape(()) if len(shape) == 0 else out
