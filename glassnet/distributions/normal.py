"""The normal distribution N(loc, scale^2)."""

from __future__ import annotations

import math

import glassnet as Fn

from .distribution import _LOG_SQRT_2PI, Distribution
from .utils import broadcast_all


class Normal(Distribution):
    """N(loc, scale^2): log p(x) = -(x - loc)^2 / (2 scale^2) - log(scale) - log(sqrt(2 pi)).

    ``rsample`` is loc + scale * eps with eps ~ N(0, 1), so gradients reach loc and scale (the
    reparameterisation trick of variational autoencoders).
    """

    arg_names = ("loc", "scale")
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        shape = self._extended_shape(sample_shape)
        eps = Fn.randn(tuple(shape), dtype=self.loc.dtype)
        return self.loc + eps * self.scale

    def log_prob(self, value):
        var = self.scale ** 2
        return -((value - self.loc) ** 2) / (2 * var) - self.scale.log() - _LOG_SQRT_2PI

    def cdf(self, value):
        return 0.5 * (1 + ((value - self.loc) * self.scale.reciprocal() / math.sqrt(2)).erf())

    def icdf(self, value):
        return self.loc + self.scale * (2 * value - 1).erfinv() * math.sqrt(2)

    def entropy(self):
        return 0.5 + 0.5 * math.log(2 * math.pi) + self.scale.log()

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return self.scale

    @property
    def variance(self):
        return self.scale.pow(2)
