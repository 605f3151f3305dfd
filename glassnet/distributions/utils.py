"""Helpers shared by the distributions, with the names of ``torch.distributions.utils``."""

from __future__ import annotations

import numbers

import numpy as np

from .. import backend
from ..tensor import Tensor, tensor


def broadcast_all(*values):
    """Tensors of one broadcast shape; Python numbers become tensors of the tensors' dtype (the
    default dtype when all are numbers)."""
    ts = [v for v in values if isinstance(v, Tensor)]
    for v in values:
        if not isinstance(v, (Tensor, numbers.Number)):
            raise ValueError("Input arguments must all be instances of numbers.Number or "  # noqa: TRY004
                             f"Tensor, got {type(v).__name__}")
    dtype = ts[0].dtype if ts else backend.get_default_dtype()
    out = [v if isinstance(v, Tensor) else tensor(v, dtype=dtype) for v in values]
    shape = np.broadcast_shapes(*(tuple(t.shape) for t in out))
    return tuple(t.expand(shape) if tuple(t.shape) != shape else t for t in out)


def sum_rightmost(value, dim):
    """Sum out the ``dim`` rightmost dimensions of ``value``."""
    if dim == 0:
        return value
    return value.reshape(tuple(value.shape[:-dim]) + (-1,)).sum(-1)


def clamp_probs(probs):
    """Probabilities clamped into [eps, 1 - eps] (eps of their dtype)."""
    eps = float(np.finfo(probs.dtype).eps)
    return probs.clamp(min=eps, max=1 - eps)


def probs_to_logits(probs, is_binary=False):
    """Log-odds (binary) or log-probabilities (categorical) of clamped probabilities."""
    ps = clamp_probs(probs)
    return ps.log() - (-ps).log1p() if is_binary else ps.log()


def logits_to_probs(logits, is_binary=False):
    """Sigmoid (binary) or softmax over the last dim (categorical)."""
    return logits.sigmoid() if is_binary else logits.softmax(-1)


class ProbsLogits:
    """``probs`` and ``logits`` of a distribution given either one: the other is computed on
    first use (binary: sigmoid / log-odds; otherwise softmax / log-probabilities)."""

    _binary = False

    @property
    def probs(self):
        if self._probs is None:
            self._probs = logits_to_probs(self._logits, is_binary=self._binary)
        return self._probs

    @property
    def logits(self):
        if self._logits is None:
            self._logits = probs_to_logits(self._probs, is_binary=self._binary)
        return self._logits


def _size(sample_shape):
    return tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)
