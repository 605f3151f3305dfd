"""Regression losses (surrogate losses, in the lectures' words), with PyTorch's semantics.

Every loss takes ``reduction='mean' | 'sum' | 'none'``: 'none' keeps one loss per element,
'sum' adds them, 'mean' averages them (with a ``weight``, a weighted average).

* ``mse_loss`` (x - y)^2, ``l1_loss`` |x - y|, and between them ``smooth_l1_loss`` and
  ``huber_loss``: quadratic near 0, linear (robust to outliers) far away.
* Likelihoods: ``poisson_nll_loss``, the negative log-likelihood of counts y under
  Poisson(lambda), lambda - y log(lambda) (up to the constant log y!, added by ``full=True`` as
  Stirling's approximation); ``gaussian_nll_loss``, the negative log-likelihood of y under
  N(mu, var) with a predicted variance, 0.5 (log var + (mu - y)^2 / var) (+ 0.5 log 2 pi with
  ``full=True``).

Composed of differentiable tensor operations, so every input (the target included, where
PyTorch differentiates it) gets its gradient.
"""

from __future__ import annotations

import math

import numpy as np

from ...backend import array_module
from ...functions import where
from ...ops import autocast
from ...tensor import Tensor
from . import _reduction as _R
from .distance import clamp_min_through

__all__ = ["mse_loss", "l1_loss", "smooth_l1_loss", "huber_loss", "poisson_nll_loss",
           "gaussian_nll_loss"]


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


@autocast.float32
def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Squared error (x - y)^2 — the lectures' squared-error surrogate loss. With ``weight``,
    'mean' is sum(w (x - y)^2) / sum(w).

    Shape: input (*), target broadcastable to it (a different size warns, as in PyTorch).
    """
    reduction = _R.get_reduction("mse_loss", reduction, size_average, reduce)
    d = _pair("mse_loss", input, target)
    return _weighted("mse_loss", d * d, weight, input, reduction)


@autocast.float32
def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """Absolute error |x - y| (its subgradient at 0 is 0)."""
    reduction = _R.get_reduction("l1_loss", reduction, size_average, reduce)
    d = _pair("l1_loss", input, target)
    return _weighted("l1_loss", d.abs(), weight, input, reduction)


def _huberish(z, beta, quad_scale, lin_scale):
    """where(|d| < beta, quad_scale * d^2, lin_scale * (|d| - beta / 2))."""
    a = z.abs()
    return where(a < beta, (z * z) * quad_scale, (a - 0.5 * beta) * lin_scale)


@autocast.float32
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """0.5 d^2 / beta where |d| < beta, else |d| - beta / 2 (beta = 0 gives the L1 loss)."""
    reduction = _R.get_reduction("smooth_l1_loss", reduction, size_average, reduce)
    if beta < 0:
        raise RuntimeError(f"smooth_l1_loss: beta must be non-negative, got {beta}")
    d = _pair("smooth_l1_loss", input, target)
    if beta == 0:
        return _R.reduce(d.abs(), reduction)
    return _R.reduce(_huberish(d, beta, 0.5 / beta, 1.0), reduction)


@autocast.float32
def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where |d| < delta, else delta (|d| - delta / 2): quadratic near 0, linear (robust
    to outliers) far away. Equals delta * smooth_l1_loss(beta=delta)."""
    reduction = _R.get_reduction("huber_loss", reduction)
    if delta <= 0:
        raise RuntimeError(f"huber_loss: delta must be positive, got {delta}")
    d = _pair("huber_loss", input, target)
    return _weighted("huber_loss", _huberish(d, delta, 0.5, delta), weight, input, reduction,
                     mean_by_weight=False)


@autocast.float32
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
