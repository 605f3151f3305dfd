"""The Bernoulli distribution over {0, 1}."""

from __future__ import annotations

import glassnet as Fn

from ..autograd import no_grad
from ..nn import functional as F
from .distribution import Distribution
from .utils import ProbsLogits, broadcast_all


class Bernoulli(ProbsLogits, Distribution):
    """P(x = 1) = probs = sigmoid(logits); log p(x) = -BCEWithLogits(logits, x).

    Give exactly one of ``probs`` and ``logits``; the other is derived on first use.
    """

    _binary = True
    arg_names = ("probs", "logits")
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            (self._probs,) = broadcast_all(probs)
            self._logits = None
            shape = self._probs.shape
        else:
            (self._logits,) = broadcast_all(logits)
            self._probs = None
            shape = self._logits.shape
        super().__init__(shape, (), validate_args)

    @property
    def param_shape(self):
        return self.batch_shape

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        with no_grad():
            return Fn.bernoulli(self.probs.expand(shape))

    def log_prob(self, value):
        logits, value = broadcast_all(self.logits, value)
        return -F.binary_cross_entropy_with_logits(logits, value, reduction="none")

    def entropy(self):
        return F.binary_cross_entropy_with_logits(self.logits, self.probs, reduction="none")

    def enumerate_support(self, expand=True):
        values = Fn.arange(2, dtype=self.probs.dtype).view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        mode = (self.probs >= 0.5).to(self.probs.dtype)
        return mode.masked_fill(self.probs == 0.5, float("nan"))

    @property
    def variance(self):
        return self.probs * (1 - self.probs)
