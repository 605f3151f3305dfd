"""``Distribution``: the base class, with PyTorch's shape conventions.

A distribution has a ``batch_shape`` (independent, differently parameterised copies) and an
``event_shape`` (the shape of one draw). ``sample(sample_shape)`` returns
``sample_shape + batch_shape + event_shape``; ``log_prob(value)`` returns the log density over
the batch (``sample_shape + batch_shape``). ``rsample`` draws through the reparameterisation
``x = g(params, noise)`` so gradients flow into the parameters; ``sample`` draws outside the graph.
The random streams are glassnet's own: seeded draws do not repeat PyTorch's numbers.
"""

from __future__ import annotations

import math

from ..tensor.size import Size
from ..autograd import no_grad
from .utils import _size


class Distribution:
    has_rsample = False
    has_enumerate_support = False
    _validate_args = False

    @staticmethod
    def set_default_validate_args(value):
        Distribution._validate_args = bool(value)

    def __init__(self, batch_shape=(), event_shape=(), validate_args=None):
        self._batch_shape = Size(batch_shape)
        self._event_shape = Size(event_shape)

    @property
    def batch_shape(self):
        return self._batch_shape

    @property
    def event_shape(self):
        return self._event_shape

    def _extended_shape(self, sample_shape=()):
        return Size(_size(sample_shape) + tuple(self._batch_shape) + tuple(self._event_shape))

    def sample(self, sample_shape=()):
        with no_grad():
            return self.rsample(sample_shape)

    def rsample(self, sample_shape=()):
        raise NotImplementedError(f"{type(self).__name__} has no reparameterised sampler (rsample)")

    def sample_n(self, n):
        return self.sample((n,))

    def log_prob(self, value):
        raise NotImplementedError

    def cdf(self, value):
        raise NotImplementedError

    def icdf(self, value):
        raise NotImplementedError

    def entropy(self):
        raise NotImplementedError

    def perplexity(self):
        return self.entropy().exp()

    @property
    def mean(self):
        raise NotImplementedError

    @property
    def mode(self):
        raise NotImplementedError

    @property
    def variance(self):
        raise NotImplementedError

    @property
    def stddev(self):
        return self.variance.sqrt()

    def _params_repr(self):
        parts = []
        for n in getattr(self, "arg_names", ()):
            v = self.__dict__.get(n)
            v = self.__dict__.get("_" + n) if v is None else v  # lazily derived parameters
            if v is not None:
                parts.append(f"{n}: {v if v.numel() == 1 else v.size()}")
        return ", ".join(parts)

    def __repr__(self):
        return f"{type(self).__name__}({self._params_repr()})"


_LOG_SQRT_2PI = math.log(math.sqrt(2 * math.pi))
