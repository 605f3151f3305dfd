"""The Poisson and binomial distributions over counts."""

from __future__ import annotations

import numpy as np

import glassnet as Fn
from glassnet import backend

from .distribution import Distribution
from .utils import ProbsLogits, broadcast_all


class Poisson(Distribution):
    """log p(k) = k log(rate) - rate - lgamma(k + 1)."""

    arg_names = ("rate",)

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        r = self.rate.detach().numpy()
        return Fn.from_numpy(backend.rng().poisson(np.broadcast_to(r, shape)).astype(r.dtype))

    def log_prob(self, value):
        rate, value = broadcast_all(self.rate, value)
        return Fn.xlogy(value, rate) - rate - (value + 1).lgamma()

    @property
    def mean(self):
        return self.rate

    @property
    def mode(self):
        return self.rate.floor()

    @property
    def variance(self):
        return self.rate


def _clamp_by_zero(x):
    return (x.clamp(min=0) + x - x.clamp(max=0)) / 2


class Binomial(ProbsLogits, Distribution):
    """Successes in ``total_count`` Bernoulli trials: log p(k) = log C(n, k) + k log p +
    (n - k) log(1 - p), computed from the logits in a stable form."""

    _binary = True
    arg_names = ("total_count", "probs", "logits")
    has_enumerate_support = True

    def __init__(self, total_count=1, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            self.total_count, self._probs = broadcast_all(total_count, probs)
            self.total_count = self.total_count.type_as(self._probs)
            self._logits = None
            shape = self._probs.shape
        else:
            self.total_count, self._logits = broadcast_all(total_count, logits)
            self.total_count = self.total_count.type_as(self._logits)
            self._probs = None
            shape = self._logits.shape
        super().__init__(shape, (), validate_args)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        n = self.total_count.detach().numpy().astype(np.int64)
        p = self.probs.detach().numpy()
        draws = backend.rng().binomial(np.broadcast_to(n, shape), np.broadcast_to(p, shape))
        return Fn.from_numpy(draws.astype(p.dtype))

    def log_prob(self, value):
        n = self.total_count
        log_factorial_n = (n + 1).lgamma()
        log_factorial_k = (value + 1).lgamma()
        log_factorial_nmk = (n - value + 1).lgamma()
        normalize_term = (n * _clamp_by_zero(self.logits)
                          + n * (-self.logits.abs()).exp().log1p() - log_factorial_n)
        return value * self.logits - log_factorial_k - log_factorial_nmk - normalize_term

    @property
    def mean(self):
        return self.total_count * self.probs

    @property
    def mode(self):
        return ((self.total_count + 1) * self.probs).floor().clamp(max=self.total_count)

    @property
    def variance(self):
        return self.total_count * self.probs * (1 - self.probs)
