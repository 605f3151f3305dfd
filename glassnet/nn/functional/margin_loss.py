"""Margin losses: zero once the right answer wins by a margin, linear (a hinge) until then.

* ``multi_margin_loss``: the multi-class hinge; the correct class must beat every other by
  ``margin`` (with margin 0 and p = 1, the perceptron criterion). ``multilabel_margin_loss``:
  every target class must beat every non-target class by 1.
* ``hinge_embedding_loss``, ``cosine_embedding_loss``, ``margin_ranking_loss``: a pair is
  similar (y = 1) or not (y = -1), judged by a distance, a cosine or a ranking.
* Triplet losses (Schroff et al. 2015, FaceNet): max(0, margin + d(a, p) - d(a, n)) pulls an
  anchor towards a positive example and pushes it from a negative one until the gap reaches
  ``margin``. ``swap=True`` (Balntas et al. 2016) uses min(d(a, n), d(p, n)) as the negative
  distance.

All take ``reduction='mean' | 'sum' | 'none'`` and are composed of differentiable tensor
operations.
"""

from __future__ import annotations

import numpy as np

from ...backend import array_module
from ...functions import minimum, where
from ...ops import autocast
from ...tensor import Tensor
from . import _reduction as _R
from .distance import pairwise_distance
from .piecewise_linear import relu

__all__ = ["hinge_embedding_loss", "multi_margin_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "triplet_margin_loss", "triplet_margin_with_distance_loss",
           "multilabel_margin_loss"]


@autocast.float32
def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x is a distance; y says similar or not)."""
    op = "hinge_embedding_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    y = _R.pm1_labels(target, input)
    hinge = (margin - input).clamp(min=0)
    loss = where(y != 1, hinge, 0.0) + where(y != -1, input, 0.0)
    return _R.reduce(loss, reduction)


@autocast.float32
def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: loss_i = sum_{j != y_i} max(0, margin - x_{y_i} + x_j)^p / C.

    The correct class must beat every other by ``margin``; with margin 0 and p = 1 this is the
    perceptron criterion (zero loss once every sample is classified correctly).

    Shape: input (N, C), (C,) or () (one class); target (N,) or () int64.
    """
    op = "multi_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got {p}")
    x = input if input.ndim == 2 else input.reshape(1, -1)  # (C,) or a 0-d single score
    if input.ndim > 2:
        raise RuntimeError(f"{op}: expected input of shape (N, C), (C,) or (), got "
                           f"{tuple(input.shape)}")
    n, c = x.shape
    y = target._data
    if y.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: target must hold int64 class indices, got dtype {y.dtype}")
    y = y.reshape(-1)
    if y.shape[0] != n:
        raise RuntimeError(f"{op}: target has {y.shape[0]} labels for {n} samples (input shape "
                           f"{tuple(input.shape)})")
    if y.size and (int(y.min()) < 0 or int(y.max()) >= c):
        bad = int(y.min()) if int(y.min()) < 0 else int(y.max())
        raise IndexError(f"{op}: target label {bad} is out of range for {c} classes")
    xp = array_module(y)
    xy = x.gather(1, y.reshape(-1, 1).astype("int64"))
    z = (x - xy + margin).clamp(min=0)
    if p == 2:
        z = z * z
    if weight is not None:
        if tuple(weight.shape) != (c,):
            raise RuntimeError(f"{op}: weight must have shape ({c},), got {tuple(weight.shape)}")
        z = z * Tensor._make(weight._data[y].reshape(-1, 1).astype(x.dtype), False)
    notself = Tensor._make((xp.arange(c)[None, :] != y[:, None]).astype(x.dtype), False)
    loss = (z * notself).sum(1) / c
    if input.ndim == 1:
        loss = loss.reshape(())
    return _R.reduce(loss, reduction)


@autocast.float32
def cosine_embedding_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                          reduction="mean"):
    """1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1."""
    op = "cosine_embedding_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input1, op, "input1")
    _R.check_float(input2, op, "input2")
    if tuple(input1.shape) != tuple(input2.shape):
        raise RuntimeError(f"{op}: input1 {tuple(input1.shape)} and input2 "
                           f"{tuple(input2.shape)} must have the same shape")
    dim = input1.ndim - 1
    eps = 1e-12
    prod = (input1 * input2).sum(dim)
    m1 = (input1 * input1).sum(dim) + eps
    m2 = (input2 * input2).sum(dim) + eps
    cos = prod / (m1 * m2).sqrt()
    y = _R.pm1_labels(target, input1)
    loss = where(y == 1, 1 - cos, 0.0) + where(y == -1, (cos - margin).clamp(min=0), 0.0)
    return _R.reduce(loss, reduction)


@autocast.float32
def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 when y = 1, below when y = -1."""
    op = "margin_ranking_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    y = _R.pm1_labels(target, input1)
    return _R.reduce((-y * (input1 - input2) + margin).clamp(min=0), reduction)


def _triplet(op, anchor, positive, negative, distance, margin, swap, reduction):
    if margin <= 0:
        raise ValueError(f"margin must be greater than 0, got {margin}")
    for name, t in (("anchor", anchor), ("positive", positive), ("negative", negative)):
        _R.check_tensor(t, op, name)
    dims = (anchor.ndim, positive.ndim, negative.ndim)
    if len(set(dims)) != 1:
        raise RuntimeError(f"{op}: the anchor, positive, and negative tensors are expected to "
                           f"have the same number of dimensions, but got: anchor {dims[0]}D, "
                           f"positive {dims[1]}D, and negative {dims[2]}D inputs")
    d_pos = distance(anchor, positive)
    d_neg = distance(anchor, negative)
    if swap:
        d_neg = minimum(d_neg, distance(positive, negative))
    return _R.reduce((margin + d_pos - d_neg).clamp(min=0), reduction)


@autocast.float32
def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + ||a - p + eps||_p - ||a - n + eps||_p) per triplet (``pairwise_distance``).

    Shape: anchor, positive, negative (N, D) or (D,) -> (N,) with 'none', else a scalar.
    """
    op = "triplet_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)

    def dist(x1, x2):
        return pairwise_distance(x1, x2, p, eps)

    return _triplet(op, anchor, positive, negative, dist, margin, swap, reduction)


def triplet_margin_with_distance_loss(anchor, positive, negative, *, distance_function=None,
                                      margin=1.0, swap=False, reduction="mean"):
    """The triplet loss with any ``distance_function(x1, x2)`` (default ``pairwise_distance``),
    for example ``lambda x, y: 1 - cosine_similarity(x, y)``.

    Shape: as the distance function needs; output (N,) with 'none', else a scalar.
    """
    op = "triplet_margin_with_distance_loss"
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    dist = pairwise_distance if distance_function is None else distance_function
    return _triplet(op, anchor, positive, negative, dist, margin, swap, reduction)


@autocast.float32
def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge loss: sum_{j in targets} sum_{i not in targets}
    max(0, 1 - (x_j - x_i)) / C per sample, so every target class must beat every other class
    by a margin of 1.

    ``target`` holds class indices padded with -1: the targets of a sample are its entries
    before the first -1 (``[3, 0, -1, 1]`` means classes 3 and 0).

    Shape: input (N, C) or (C,), target int64 of the same shape -> (N,) with 'none', else a
    scalar.
    """
    op = "multilabel_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    if input.ndim > 2:
        raise RuntimeError(f"{op}: expected an input of shape (N, C) or (C,), got "
                           f"{tuple(input.shape)}")
    if tuple(target.shape) != tuple(input.shape):
        raise RuntimeError(f"{op}: inconsistent target size: {tuple(target.shape)} for input of "
                           f"size: {tuple(input.shape)}")
    t = target._data
    if t.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: target must hold int64 class indices, got dtype {t.dtype}")
    x = input.reshape(1, -1) if input.ndim < 2 else input
    t = t.reshape(x.shape).astype(np.int64)
    n, c = x.shape
    xp = array_module(t)
    if t.size and (int(t.min()) < -1 or int(t.max()) >= c):
        raise RuntimeError(f"{op}: target values must be -1 or class indices in [0, {c}), got "
                           f"values in [{int(t.min())}, {int(t.max())}]")
    valid = xp.cumprod(t >= 0, axis=1).astype(bool)  # the entries before the first -1
    idx = xp.where(valid, t, 0)
    is_target = xp.zeros((n, c), dtype=bool)
    rows = xp.broadcast_to(xp.arange(n)[:, None], (n, c))
    is_target[rows[valid], idx[valid]] = True
    xt = x.gather(1, Tensor._make(idx, False))  # the score of each listed target
    mask = (valid[:, :, None] & ~is_target[:, None, :]).astype(x.dtype)
    hinge = relu(1 - xt.unsqueeze(2) + x.unsqueeze(1)) * Tensor._make(mask, False)
    loss = hinge.sum((1, 2)) / c
    if input.ndim < 2:
        loss = loss.reshape(())
    return _R.reduce(loss, reduction)
