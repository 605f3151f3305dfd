"""The categorical distribution over {0, ..., K-1} and its one-hot form."""

from __future__ import annotations

import numpy as np

import glassnet as Fn

from ..autograd import no_grad
from ..nn import functional as F
from ..tensor import Tensor
from .distribution import Distribution
from .utils import ProbsLogits


class Categorical(ProbsLogits, Distribution):
    """P(x = k) = probs[..., k] (normalised to sum to 1) = softmax(logits)[..., k].

    The last dim of ``probs``/``logits`` indexes the categories; the rest is the batch.
    ``log_prob(k)`` gathers the normalised log-probability of category k; ``entropy`` is
    -sum_k p_k log p_k.
    """

    arg_names = ("probs", "logits")
    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        if (probs is None) == (logits is None):
            raise ValueError("Either `probs` or `logits` must be specified, but not both.")
        if probs is not None:
            if probs.dim() < 1:
                raise ValueError("`probs` parameter must be at least one-dimensional.")
            self._probs = probs / probs.sum(-1, keepdim=True)
            self._logits = None
            param = self._probs
        else:
            if logits.dim() < 1:
                raise ValueError("`logits` parameter must be at least one-dimensional.")
            self._logits = logits - logits.logsumexp(dim=-1, keepdim=True)
            self._probs = None
            param = self._logits
        self._num_events = param.shape[-1]
        super().__init__(param.shape[:-1], (), validate_args)

    @property
    def param_shape(self):
        return (self.probs if self._probs is not None else self.logits).shape

    def sample(self, sample_shape=()):
        shape = tuple(sample_shape) if not isinstance(sample_shape, int) else (sample_shape,)
        n = int(np.prod(shape)) if shape else 1
        with no_grad():
            probs_2d = self.probs.reshape(-1, self._num_events)
            draws = Fn.multinomial(probs_2d, n, True).t()
            return draws.reshape(tuple(self._extended_shape(shape)))

    def log_prob(self, value):
        value = value.long().unsqueeze(-1) if isinstance(value, Tensor) else \
            Fn.tensor(value).long().unsqueeze(-1)
        value, log_pmf = Fn.broadcast_tensors(value, self.logits)
        value = value[..., :1]
        return log_pmf.gather(-1, value).squeeze(-1)

    def entropy(self):
        min_real = float(np.finfo(self.logits.dtype).min)
        logits = self.logits.clamp(min=min_real)
        return -(logits * self.probs).sum(-1)

    def enumerate_support(self, expand=True):
        values = Fn.arange(self._num_events).view((-1,) + (1,) * len(self.batch_shape))
        return values.expand((-1,) + tuple(self.batch_shape)) if expand else values

    @property
    def mean(self):
        return Fn.full(tuple(self._extended_shape()), float("nan"), dtype=self.probs.dtype)

    @property
    def mode(self):
        return self.probs.argmax(-1)

    @property
    def variance(self):
        return self.mean


class OneHotCategorical(Distribution):
    """A Categorical whose draws are one-hot vectors of length K (the event shape)."""

    has_enumerate_support = True

    def __init__(self, probs=None, logits=None, validate_args=None):
        self._categorical = Categorical(probs, logits)
        super().__init__(self._categorical.batch_shape, self._categorical.param_shape[-1:],
                         validate_args)

    @property
    def probs(self):
        return self._categorical.probs

    @property
    def logits(self):
        return self._categorical.logits

    def sample(self, sample_shape=()):
        idx = self._categorical.sample(sample_shape)
        return F.one_hot(idx, self._categorical._num_events).to(self.probs.dtype)

    def log_prob(self, value):
        return self._categorical.log_prob(value.max(-1)[1])

    def entropy(self):
        return self._categorical.entropy()

    @property
    def mean(self):
        return self.probs

    @property
    def mode(self):
        return F.one_hot(self.probs.argmax(-1), self.probs.shape[-1]).to(self.probs.dtype)

    @property
    def variance(self):
        return self.probs * (1 - self.probs)
