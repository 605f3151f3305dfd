"""Categorical and OneHotCategorical (glassnet/distributions/categorical.py) against
torch.distributions: log_prob, entropy, probs/logits and their KL terms, with gradients."""

from __future__ import annotations

import pytest
from helpers import check_parity, gradcheck, randn

from ._util import _d, _m


CATEGORICAL = {
    "log_prob": lambda l: _d(l).Categorical(logits=l).log_prob(_m(l).tensor([0, 3, 2])),
    "log_prob_probs": lambda l: _d(l).Categorical(probs=l.softmax(-1)).log_prob(
        _m(l).tensor([[1], [0]])),
    "entropy": lambda l: _d(l).Categorical(logits=l).entropy(),
    "entropy_probs": lambda l: _d(l).Categorical(probs=l.exp()).entropy(),
    "probs": lambda l: _d(l).Categorical(logits=l).probs,
    "logits": lambda l: _d(l).Categorical(probs=l.exp()).logits,
    "onehot": lambda l: _d(l).OneHotCategorical(logits=l).log_prob(
        _m(l).eye(4, dtype=l.dtype)[:3]),
    "kl": lambda l: _d(l).kl_divergence(_d(l).Categorical(logits=l),
                                        _d(l).Categorical(logits=l.flip(0))),
    "kl_bernoulli": lambda l: _d(l).kl_divergence(_d(l).Bernoulli(logits=l),
                                                  _d(l).Bernoulli(logits=-2 * l)),
}


@pytest.mark.parametrize("name", list(CATEGORICAL))
def test_categorical_parity(name, rng):
    check_parity(CATEGORICAL[name], CATEGORICAL[name], [randn(rng, (3, 4))])
    gradcheck(CATEGORICAL[name], [randn(rng, (3, 4))])
