"""Loss functions (surrogate losses, in the lectures' words), with PyTorch's semantics.

Every loss takes ``reduction='mean' | 'sum' | 'none'``: 'none' keeps one loss per element (or per
sample), 'sum' adds them, 'mean' averages them (for weighted class losses, a weighted average).
Regression and margin losses live here; the classification losses (cross-entropy, NLL, binary
cross-entropy, KL) are in ``cross_entropy.py`` and re-exported.
"""

from __future__ import annotations

from ...tensor import Tensor, where
from . import _reduction as _R
from .cross_entropy import (  # noqa: F401
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    kl_div,
    nll_loss,
)

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "cross_entropy", "nll_loss",
           "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
           "hinge_embedding_loss", "multi_margin_loss", "cosine_embedding_loss",
           "margin_ranking_loss", "soft_margin_loss"]


def _pair(op, input, target):
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    _R.same_size_warning(op, input, target)
    try:
        return input - target.to(input.dtype)
    except RuntimeError:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} and target of shape "
                           f"{tuple(target.shape)} cannot be broadcast together") from None


def _weighted(op, loss, weight, input, reduction, mean_by_weight=True):
    if weight is None:
        return _R.reduce(loss, reduction)
    if tuple(weight.shape) != tuple(input.shape):
        raise ValueError(f"{op}: weights and input must have the same size, got weight "
                         f"{tuple(weight.shape)} and input {tuple(input.shape)}")
    loss = loss * weight.to(loss.dtype)
    if reduction == "mean" and mean_by_weight:
        return loss.sum() / weight.to(loss.dtype).sum()
    return _R.reduce(loss, reduction)


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (x - y)^2 — the lectures' squared-error surrogate loss. With ``weight``,
    'mean' is sum(w (x - y)^2) / sum(w).

    Shape: input (*), target broadcastable to it (a different size warns, as in PyTorch).
    """
    reduction = _R.get_reduction("mse_loss", reduction, size_average, reduce)
    d = _pair("mse_loss", input, target)
    return _weighted("mse_loss", d * d, weight, input, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |x - y| (its subgradient at 0 is 0)."""
    reduction = _R.get_reduction("l1_loss", reduction, size_average, reduce)
    d = _pair("l1_loss", input, target)
    return _weighted("l1_loss", d.abs(), weight, input, reduction)


def _huberish(z, beta, quad_scale, lin_scale):
    """where(|d| < beta, quad_scale * d^2, lin_scale * (|d| - beta / 2))."""
    a = z.abs()
    return where(a < beta, (z * z) * quad_scale, (a - 0.5 * beta) * lin_scale)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (beta = 0 gives the L1 loss)."""
    reduction = _R.get_reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = _pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _R.reduce(d.abs(), reduction)
    return _R.reduce(_huberish(d, beta, 0.5 / beta, 1.0), reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2): quadratic near 0, linear (robust
    to outliers) far away. Equals delta * smooth_l1_loss(beta=delta)."""
    reduction = _R.get_reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    d = _pair("huber_loss", input, target)
    return _weighted("huber_loss", _huberish(d, delta, 0.5, delta), weight, input, reduction,
                     mean_by_weight=False)


def _pm1(op, target, like):
    t = target._data
    return Tensor._make(t, False).to(like.dtype) if t.dtype.kind != "f" else target.to(like.dtype)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """x where y = 1, max(0, margin - x) where y = -1 (x is a distance; y says similar or not)."""
    op = "hinge_embedding_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    y = _pm1(op, target, input)
    hinge = (margin - input).clamp(min=0)
    loss = where(y != 1, hinge, 0.0) + where(y != -1, input, 0.0)
    return _R.reduce(loss, reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge loss: loss_i = sum_{j != y_i} max(0, margin - x_{y_i} + x_j)^p / C.

    The correct class must beat every other by ``margin``; with margin 0 and p = 1 this is the
    perceptron criterion (zero loss once every sample is classified correctly).

    Shape: input (N, C) or (C,); target (N,) or () int64.
    """
    op = "multi_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    if p not in (1, 2):
        raise ValueError(f"{op}: only p == 1 and p == 2 supported, got {p}")
    x = input if input.ndim == 2 else input.reshape(1, -1)
    if input.ndim not in (1, 2):
        raise RuntimeError(f"{op}: expected input of shape (N, C) or (C,), got "
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
    from ...backend import array_module

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
    y = _pm1(op, target, input1)
    loss = where(y == 1, 1 - cos, 0.0) + where(y == -1, (cos - margin).clamp(min=0), 0.0)
    return _R.reduce(loss, reduction)


def margin_ranking_loss(input1, input2, target, margin=0.0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, -y (x1 - x2) + margin): x1 should rank above x2 when y = 1, below when y = -1."""
    op = "margin_ranking_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    y = _pm1(op, target, input1)
    return _R.reduce((-y * (input1 - input2) + margin).clamp(min=0), reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)) for labels y in {-1, 1} (logistic loss)."""
    op = "soft_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    from .cross_entropy import _SoftplusNeg

    return _R.reduce(_SoftplusNeg.apply(_pm1(op, target, input) * input), reduction)
