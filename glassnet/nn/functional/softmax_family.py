"""Softmax and its relatives: turning scores into a probability distribution.

softmax(x)_i = e^{x_i} / sum_j e^{x_j} is positive and sums to 1 (lectures: "softmax and its
properties"); it is invariant to adding the same constant to every score, which is exactly what
makes it computable without overflow. log_softmax is what cross-entropy needs, and is finite even
where softmax underflows to 0.

``gumbel_softmax`` (Jang et al. 2017; Maddison et al. 2017) draws a differentiable sample of a
categorical distribution: softmax((logits + g) / tau) with g ~ Gumbel(0, 1); ``hard=True``
returns the one-hot argmax with the soft sample's gradient (straight-through estimator).
"""

from __future__ import annotations

import warnings

from ... import backend
from ...backend import array_module
from ...ops.softmax import LogSoftmax as _LogSoftmax
from ...ops.softmax import Softmax as _Softmax
from ...ops.softmax import softmax_dim as _softmax_dim
from ...tensor import Tensor
from .piecewise_linear import _check

__all__ = ["softmax", "log_softmax", "softmin", "gumbel_softmax"]


def _prep(input, dtype, op):
    """Cast to ``dtype`` first when given (PyTorch's way to get a float64 softmax)."""
    x = input if dtype is None else input.to(dtype)
    _check(x, op)
    return x


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``dim``: positive, sums to 1, invariant to
    adding a constant to every x_i (which is how it is computed stably).

    Shape: any; output has the input's shape.
    """
    x = _prep(input, dtype, "softmax")
    if x.ndim == 0:
        return _Softmax.apply(x.reshape(1), 0).reshape(())
    return _Softmax.apply(x, _softmax_dim(x.ndim, dim, "softmax"))


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log softmax(x)_i = x_i - logsumexp(x), computed as (x_i - m) - log sum_j e^{x_j - m}
    with m = max x, so it is finite even where softmax underflows to 0."""
    x = _prep(input, dtype, "log_softmax")
    if x.ndim == 0:
        return _LogSoftmax.apply(x.reshape(1), 0).reshape(())
    return _LogSoftmax.apply(x, _softmax_dim(x.ndim, dim, "log_softmax"))


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmin(x) = softmax(-x)."""
    x = _prep(input, dtype, "softmin")
    return softmax(-x, _softmax_dim(x.ndim, dim, "softmin"))


def gumbel_softmax(logits, tau=1, hard=False, eps=1e-10, dim=-1):
    """A differentiable sample of the categorical distribution softmax(logits).

    y = softmax((logits + g) / tau) along ``dim`` with g = -log(E), E ~ Exp(1) (so g is
    Gumbel(0, 1) noise from glassnet's seeded generator); argmax y is an exact sample of
    softmax(logits) (the Gumbel-max trick) and a small ``tau`` makes y close to one-hot. With
    ``hard=True`` the output is the one-hot argmax in the forward pass but carries the gradient
    of the soft sample (y_hard - y.detach() + y, the straight-through estimator).

    Shape: logits (*, num_features, *) -> same shape.
    """
    if not isinstance(logits, Tensor):
        raise TypeError(f"gumbel_softmax: expected logits to be a Tensor, got "
                        f"{type(logits).__name__}")
    if eps != 1e-10:
        warnings.warn("`eps` parameter is deprecated and has no effect.", stacklevel=2)
    x = logits._data
    e = backend.rng().standard_exponential(x.shape).astype(x.dtype)
    xp = array_module(x)
    gumbels = Tensor._make(-xp.log(backend.to_device(e, backend.device_of(x))), False)
    y_soft = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y_soft
    if y_soft.ndim == 0:
        onehot = xp.ones((), dtype=y_soft.dtype)
    else:
        d = dim % y_soft.ndim
        index = xp.expand_dims(y_soft._data.argmax(axis=d), d)
        classes = xp.arange(y_soft.shape[d]).reshape((-1,) + (1,) * (y_soft.ndim - d - 1))
        onehot = (classes == index).astype(y_soft.dtype)
    return Tensor._make(onehot, False) - y_soft.detach() + y_soft
