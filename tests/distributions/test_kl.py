"""KL divergences (glassnet/distributions/kl.py) against torch.distributions: every
registered pair with its gradients, zero probabilities, the error for a missing pair and
``register_kl`` with its fallback to a parent class."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck, positive, randn

import glassnet as gn

from ._util import D, _d


def test_zero_probabilities_match():
    for m in (gn, torch):
        p = m.tensor([[0.0, 1.0], [0.5, 0.5]])
        q = m.tensor([[0.5, 0.5], [0.0, 1.0]])
        ent = D[m].Categorical(probs=p).entropy()
        kl = D[m].kl_divergence(D[m].Categorical(probs=p), D[m].Categorical(probs=q))
        klb = D[m].kl_divergence(D[m].Bernoulli(probs=p), D[m].Bernoulli(probs=q))
        if m is gn:
            g = [ent.tolist(), kl.tolist(), klb.tolist()]
        else:
            np.testing.assert_allclose(g[0], ent.tolist(), atol=1e-6)
            assert g[1] == kl.tolist() and g[2] == klb.tolist()


KL = {
    "normal": lambda a, b: _d(a).kl_divergence(_d(a).Normal(a, b), _d(a).Normal(b, a.exp())),
    "normal_std": lambda a, b: _d(a).kl_divergence(_d(a).Normal(a, b), _d(a).Normal(0.0, 1.0)),
    "independent": lambda a, b: _d(a).kl_divergence(
        _d(a).Independent(_d(a).Normal(a, b), 1), _d(a).Independent(_d(a).Normal(b, b), 1)),
    "laplace": lambda a, b: _d(a).kl_divergence(_d(a).Laplace(a, b), _d(a).Laplace(b, b + 1)),
    "exponential": lambda a, b: _d(a).kl_divergence(_d(a).Exponential(b),
                                                    _d(a).Exponential(a.exp())),
    "poisson": lambda a, b: _d(a).kl_divergence(_d(a).Poisson(b), _d(a).Poisson(a.exp())),
    "gamma": lambda a, b: _d(a).kl_divergence(_d(a).Gamma(b, a.exp()), _d(a).Gamma(b + 1, b)),
    "beta": lambda a, b: _d(a).kl_divergence(_d(a).Beta(b, a.exp()), _d(a).Beta(b + 1, b)),
    "dirichlet": lambda a, b: _d(a).kl_divergence(_d(a).Dirichlet(b), _d(a).Dirichlet(a.exp())),
    "uniform": lambda a, b: _d(a).kl_divergence(_d(a).Uniform(a, a + b),
                                                _d(a).Uniform(a - 1, a + b + 1)),
}


@pytest.mark.parametrize("name", list(KL))
def test_kl_parity(name, rng):
    inputs = [randn(rng, (2, 3)), positive(rng, (2, 3))]
    check_parity(KL[name], KL[name], inputs)
    gradcheck(KL[name], inputs)


def test_errors_and_registry():
    with pytest.raises(ValueError, match="probs.*logits"):
        gn.distributions.Categorical()
    with pytest.raises(NotImplementedError, match="Normal.*Poisson"):
        gn.distributions.kl_divergence(gn.distributions.Normal(0.0, 1.0),
                                       gn.distributions.Poisson(gn.tensor(1.0)))

    class MyNormal(gn.distributions.Normal):
        pass

    @gn.distributions.register_kl(MyNormal, MyNormal)
    def _kl(p, q):
        return gn.tensor(42.0)

    assert gn.distributions.kl_divergence(MyNormal(0.0, 1.0), MyNormal(0.0, 1.0)).item() == 42
    # a subclass without its own entry falls back to its parent's
    assert gn.distributions.kl_divergence(MyNormal(0.0, 1.0),
                                          gn.distributions.Normal(0.0, 1.0)).item() == 0
    from glassnet.distributions.beta import Beta  # torch's module paths
    from glassnet.distributions.normal import Normal
    assert Beta is gn.distributions.Beta and Normal is gn.distributions.Normal
    gn.distributions.Distribution.set_default_validate_args(False)
