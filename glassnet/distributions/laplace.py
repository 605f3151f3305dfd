"""The Laplace (double exponential) distribution."""

from __future__ import annotations

import numpy as np

import glassnet as Fn

from .distribution import Distribution
from .utils import broadcast_all


class Laplace(Distribution):
    """log p(x) = -log(2 scale) - |x - loc| / scale."""

    arg_names = ("loc", "scale")
    has_rsample = True

    def __init__(self, loc, scale, validate_args=None):
        self.loc, self.scale = broadcast_all(loc, scale)
        super().__init__(self.loc.shape, (), validate_args)

    def rsample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        eps = float(np.finfo(self.loc.dtype).eps)
        u = Fn.empty(shape, dtype=self.loc.dtype).uniform_(eps - 1, 1)
        return self.loc - self.scale * u.sign() * (-u.abs()).log1p()

    def log_prob(self, value):
        return -(2 * self.scale).log() - (value - self.loc).abs() / self.scale

    def cdf(self, value):
        return 0.5 - 0.5 * (value - self.loc).sign() * ((-(value - self.loc).abs()) /
                                                        self.scale).expm1()

    def entropy(self):
        return 1 + (2 * self.scale).log()

    @property
    def mean(self):
        return self.loc

    @property
    def mode(self):
        return self.loc

    @property
    def stddev(self):
        return 2 ** 0.5 * self.scale

    @property
    def variance(self):
        return 2 * self.scale.pow(2)
