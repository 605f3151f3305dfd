"""The Gamma, Beta and Dirichlet distributions (log-densities through lgamma and digamma)."""

from __future__ import annotations

import numpy as np

import glassnet as Fn
from glassnet import backend

from .distribution import Distribution
from .utils import broadcast_all


def _np_draw(fn, dtype):
    return Fn.from_numpy(np.asarray(fn(backend.rng()), dtype=dtype))


class Gamma(Distribution):
    """Gamma(concentration a, rate b): log p(x) = a log b + (a-1) log x - b x - lgamma(a).
    Draws come from NumPy's gamma sampler, outside the graph (no ``rsample``)."""

    arg_names = ("concentration", "rate")

    def __init__(self, concentration, rate, validate_args=None):
        self.concentration, self.rate = broadcast_all(concentration, rate)
        super().__init__(self.concentration.shape, (), validate_args)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        a, b = self.concentration.detach().numpy(), self.rate.detach().numpy()
        return _np_draw(lambda g: g.gamma(np.broadcast_to(a, shape)) / b, a.dtype)

    def log_prob(self, value):
        value = value if isinstance(value, Fn.Tensor) else Fn.tensor(value,
                                                                     dtype=self.rate.dtype)
        return (Fn.xlogy(self.concentration, self.rate) + Fn.xlogy(self.concentration - 1, value)
                - self.rate * value - self.concentration.lgamma())

    def entropy(self):
        a = self.concentration
        return a - self.rate.log() + a.lgamma() + (1.0 - a) * a.digamma()

    @property
    def mean(self):
        return self.concentration / self.rate

    @property
    def mode(self):
        return ((self.concentration - 1) / self.rate).clamp(min=0)

    @property
    def variance(self):
        return self.concentration / self.rate.pow(2)


class Dirichlet(Distribution):
    """Dir(alpha) on the simplex: log p(x) = sum (alpha_i - 1) log x_i + lgamma(sum alpha) -
    sum lgamma(alpha_i). Shape: concentration (*, K); event (K,)."""

    arg_names = ("concentration",)

    def __init__(self, concentration, validate_args=None):
        if concentration.dim() < 1:
            raise ValueError("`concentration` parameter must be at least one-dimensional.")
        self.concentration = concentration
        super().__init__(concentration.shape[:-1], concentration.shape[-1:], validate_args)

    def sample(self, sample_shape=()):
        shape = tuple(self._extended_shape(sample_shape))
        a = self.concentration.detach().numpy()
        return _np_draw(lambda g: _normalise(g.gamma(np.broadcast_to(a, shape))), a.dtype)

    def log_prob(self, value):
        a = self.concentration
        return (Fn.xlogy(a - 1.0, value).sum(-1) + a.sum(-1).lgamma() - a.lgamma().sum(-1))

    def entropy(self):
        a = self.concentration
        k = a.shape[-1]
        a0 = a.sum(-1)
        return (a.lgamma().sum(-1) - a0.lgamma() - (k - a0) * a0.digamma()
                - ((a - 1.0) * a.digamma()).sum(-1))

    @property
    def mean(self):
        return self.concentration / self.concentration.sum(-1, keepdim=True)

    @property
    def variance(self):
        con0 = self.concentration.sum(-1, keepdim=True)
        return self.concentration * (con0 - self.concentration) / (con0.pow(2) * (con0 + 1))


def _normalise(g):
    return g / g.sum(-1, keepdims=True)


class Beta(Distribution):
    """Beta(a, b) = the first coordinate of Dirichlet([a, b])."""

    arg_names = ("concentration1", "concentration0")

    def __init__(self, concentration1, concentration0, validate_args=None):
        c1, c0 = broadcast_all(concentration1, concentration0)
        self._dirichlet = Dirichlet(Fn.stack([c1, c0], -1))
        super().__init__(self._dirichlet.batch_shape, (), validate_args)

    @property
    def concentration1(self):
        return self._dirichlet.concentration[..., 0]

    @property
    def concentration0(self):
        return self._dirichlet.concentration[..., 1]

    def sample(self, sample_shape=()):
        return self._dirichlet.sample(sample_shape).select(-1, 0)

    def log_prob(self, value):
        value = value if isinstance(value, Fn.Tensor) else Fn.tensor(
            value, dtype=self._dirichlet.concentration.dtype)
        return self._dirichlet.log_prob(Fn.stack([value, 1.0 - value], -1))

    def entropy(self):
        return self._dirichlet.entropy()

    @property
    def mean(self):
        return self.concentration1 / (self.concentration1 + self.concentration0)

    @property
    def variance(self):
        total = self.concentration1 + self.concentration0
        return self.concentration1 * self.concentration0 / (total.pow(2) * (total + 1))
