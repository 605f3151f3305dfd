"""More losses with PyTorch's semantics: metric learning (triplet), likelihoods (Poisson,
Gaussian) and multi-label classification.

* Triplet losses (Schroff et al. 2015, FaceNet): max(0, margin + d(a, p) - d(a, n)) pulls an
  anchor towards a positive example and pushes it from a negative one until the gap reaches
  ``margin``. ``swap=True`` (Balntas et al. 2016) uses min(d(a, n), d(p, n)) as the negative
  distance.
* ``poisson_nll_loss``: the negative log-likelihood of counts y under Poisson(lambda),
  lambda - y log(lambda) (up to the constant log y!, added by ``full=True`` as Stirling's
  approximation).
* ``gaussian_nll_loss``: the negative log-likelihood of y under N(mu, var) with a predicted
  variance, 0.5 (log var + (mu - y)^2 / var) (+ 0.5 log 2 pi with ``full=True``).
* ``multilabel_soft_margin_loss``: binary cross-entropy of logits averaged over the classes;
  ``multilabel_margin_loss``: a hinge between every target class and every non-target class.

All take ``reduction='mean' | 'sum' | 'none'``. Composed of differentiable tensor operations,
so every input (the target included, where PyTorch differentiates it) gets its gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ...backend import array_module
from ...tensor import Tensor, minimum
from . import _reduction as _R
from .activation import logsigmoid, relu
from .distance import clamp_min_through, pairwise_distance

__all__ = ["triplet_margin_loss", "triplet_margin_with_distance_loss", "poisson_nll_loss",
           "gaussian_nll_loss", "multilabel_soft_margin_loss", "multilabel_margin_loss"]


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


def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Poisson negative log-likelihood of counts ``target``.

    log_input=True: exp(x) - y x (x is log lambda); otherwise x - y log(x + eps). ``full`` adds
    Stirling's y log y - y + 0.5 log(2 pi y) where y > 1.

    Shape: input (*), target (*) -> the same with 'none', else a scalar.
    """
    op = "poisson_nll_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    y = target if target.dtype == input.dtype else target.to(input.dtype)
    if log_input:
        loss = input.exp() - y * input
    else:
        loss = input - y * (input + eps).log()
    if full:
        with np.errstate(divide="ignore", invalid="ignore"):
            stirling = y * y.log() - y + 0.5 * (y * (2 * math.pi)).log()
        loss = loss + stirling.masked_fill(y <= 1, 0.0)
    return _R.reduce(loss, reduction)


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Gaussian negative log-likelihood 0.5 (log max(var, eps) + (input - target)^2 /
    max(var, eps)) (+ 0.5 log(2 pi) with ``full``).

    ``var`` has the input's shape (one variance per element), or one dimension fewer, or a
    size-1 dimension where the input has more (one variance shared along it), or is a float.
    The clamp to ``eps`` is not differentiated (the gradient passes through it), as in PyTorch.

    Shape: input (N, *), target (N, *), var as above -> (N, *) with 'none', else a scalar.
    """
    op = "gaussian_nll_loss"
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError("var has negative entry/entries")
        var = Tensor._make(array_module(input._data).full(input.shape, var, input.dtype), False)
    elif bool((var._data < 0).any()):
        raise ValueError("var has negative entry/entries")
    if tuple(var.shape) != tuple(input.shape):
        if tuple(input.shape[:-1]) == tuple(var.shape):
            var = var.unsqueeze(-1)
        elif input.ndim == var.ndim and sum(
                b for a, b in zip(input.shape, var.shape) if a != b) == 1:
            pass
        else:
            raise ValueError(f"var is of incorrect size (var {tuple(var.shape)} for input "
                             f"{tuple(input.shape)})")
    if reduction not in ("none", "mean", "sum"):
        raise ValueError(reduction + " is not valid")
    v = clamp_min_through(var, eps)
    d = input - target
    loss = 0.5 * (v.log() + d * d / v)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _R.reduce(loss, reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-(1 / C) sum_c w_c [y_c log sigma(x_c) + (1 - y_c) log sigma(-x_c)]: one binary
    cross-entropy per class, averaged over the C classes.

    Shape: input (N, C), target (N, C) of 0/1 -> (N,) with 'none', else a scalar.
    """
    op = "multilabel_soft_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    y = target if target.dtype == input.dtype else target.to(input.dtype)
    loss = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[input.ndim - 1] if input.ndim else 1
    loss = loss.sum(input.ndim - 1) / c if input.ndim else loss
    return _R.reduce(loss, reduction)


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

