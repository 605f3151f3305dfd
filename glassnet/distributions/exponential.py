"""The exponential distribution with rate lambda."""

from __future__ import annotations

import glassnet as Fn

from .distribution import Distribution
from .utils import broadcast_all


class Exponential(Distribution):
    """log p(x) = log(rate) - rate x for x >= 0; ``rsample`` is -log(U) / rate."""

    arg_names = ("rate",)
    has_rsample = True

    def __init__(self, rate, validate_args=None):
        (self.rate,) = broadcast_all(rate)
        super().__init__(self.rate.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        return Fn.empty(shape, dtype=self.rate.dtype).exponential_() / self.rate

    def log_prob(self, value):
        return self.rate.log() - self.rate * value

    def cdf(self, value):
        return 1 - (-self.rate * value).exp()

    def icdf(self, value):
        return -(-value).log1p() / self.rate

    def entropy(self):
        return 1.0 - self.rate.log()

    @property
    def mean(self):
        return self.rate.reciprocal()

    @property
    def mode(self):
        return Fn.zeros_like(self.rate)

    @property
    def stddev(self):
        return self.rate.reciprocal()

    @property
    def variance(self):
        return self.rate.pow(-2)
