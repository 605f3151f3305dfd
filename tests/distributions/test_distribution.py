"""Every distribution through the Distribution interface (glassnet/distributions/) against
torch.distributions: log_prob, cdf and entropy of the univariate ones with their gradients (same
parameters, same values), batch, event and sample shapes, and sample statistics (the random
streams differ, so only in law)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck, positive, randn

import glassnet as gn

from ._util import D, _d, _m


LOG_PROBS = {
    "normal": (lambda loc, s, v: _d(loc).Normal(loc, s).log_prob(v), ["r", "p", "r"]),
    "normal_cdf": (lambda loc, s, v: _d(loc).Normal(loc, s).cdf(v), ["r", "p", "r"]),
    "normal_entropy": (lambda loc, s, v: _d(loc).Normal(loc, s).entropy() + 0 * v, ["r", "p", "r"]),
    "laplace": (lambda loc, s, v: _d(loc).Laplace(loc, s).log_prob(v), ["r", "p", "r"]),
    "laplace_cdf": (lambda loc, s, v: _d(loc).Laplace(loc, s).cdf(v), ["r", "p", "r"]),
    "uniform": (lambda lo, w, v: _d(lo).Uniform(lo - 2, lo + w).log_prob(lo + 0.1 * v),
                ["r", "p", "r"]),
    "exponential": (lambda r, v: _d(r).Exponential(r).log_prob(v), ["p", "p"]),
    "gamma": (lambda a, b, v: _d(a).Gamma(a, b).log_prob(v), ["p", "p", "p"]),
    "gamma_entropy": (lambda a, b: _d(a).Gamma(a, b).entropy(), ["p", "p"]),
    "beta": (lambda a, b, v: _d(a).Beta(a, b).log_prob(v / 2.5), ["p", "p", "p"]),
    "beta_entropy": (lambda a, b: _d(a).Beta(a, b).entropy(), ["p", "p"]),
    "poisson": (lambda r: _d(r).Poisson(r).log_prob(_m(r).tensor([0.0, 1.0, 3.0, 2.0])),
                ["p"]),
    "bernoulli_logits": (lambda l, v: _d(l).Bernoulli(logits=l).log_prob((v > 0).to(l.dtype)),
                         ["r", "r"]),
    "bernoulli_probs": (lambda p, v: _d(p).Bernoulli(probs=p / 2.5).log_prob((v > 0).to(p.dtype)),
                        ["p", "r"]),
    "bernoulli_entropy": (lambda l: _d(l).Bernoulli(logits=l).entropy(), ["r"]),
    "binomial": (lambda l: _d(l).Binomial(_m(l).tensor([5.0, 10.0, 3.0, 7.0], dtype=l.dtype),
                                          logits=l).log_prob(_m(l).tensor([2.0, 7.0, 0.0, 7.0],
                                                                          dtype=l.dtype)), ["r"]),
}


def _inputs(rng, kinds, shape=(4,)):
    make = {"r": lambda: randn(rng, shape), "p": lambda: positive(rng, shape)}
    return [make[k]() for k in kinds]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", list(LOG_PROBS))
def test_univariate_parity(name, dtype, rng):
    fn, kinds = LOG_PROBS[name]
    check_parity(fn, fn, _inputs(rng, kinds), dtype=dtype)


@pytest.mark.parametrize("name", ["normal", "gamma", "beta", "binomial", "bernoulli_probs"])
def test_univariate_gradcheck(name, rng):
    fn, kinds = LOG_PROBS[name]
    gradcheck(fn, _inputs(rng, kinds))


def test_shapes_match():
    for make in [lambda m: D[m].Normal(m.zeros(3, 2), 1.0),
                 lambda m: D[m].Categorical(logits=m.zeros(3, 4)),
                 lambda m: D[m].OneHotCategorical(probs=m.ones(3, 4)),
                 lambda m: D[m].Bernoulli(probs=m.full((2,), 0.3)),
                 lambda m: D[m].MultivariateNormal(m.zeros(4, 2), m.eye(2)),
                 lambda m: D[m].Independent(D[m].Normal(m.zeros(3, 2), m.ones(3, 2)), 1),
                 lambda m: D[m].Dirichlet(m.ones(3, 4)),
                 lambda m: D[m].Beta(m.ones(2), 2.0), lambda m: D[m].Gamma(m.ones(2), 1.0),
                 lambda m: D[m].Poisson(m.ones(2)), lambda m: D[m].Uniform(0.0, m.ones(2)),
                 lambda m: D[m].Binomial(5, probs=m.full((2,), 0.5))]:
        g, t = make(gn), make(torch)
        assert tuple(g.batch_shape) == tuple(t.batch_shape)
        assert tuple(g.event_shape) == tuple(t.event_shape)
        for shape in [(), (5,), (2, 3)]:
            assert tuple(g.sample(shape).shape) == tuple(t.sample(shape).shape)
        assert g.sample().dtype.itemsize == t.sample().element_size()
        assert tuple(g.mean.shape) == tuple(t.mean.shape)


def test_sample_statistics():
    gn.manual_seed(1)
    n = 20000
    d = gn.distributions
    cases = [(d.Normal(2.0, 3.0), 2.0, 9.0), (d.Uniform(-1.0, 3.0), 1.0, 16 / 12),
             (d.Exponential(gn.tensor(2.0)), 0.5, 0.25), (d.Laplace(1.0, 0.5), 1.0, 0.5),
             (d.Gamma(gn.tensor(3.0), gn.tensor(2.0)), 1.5, 0.75),
             (d.Beta(gn.tensor(2.0), gn.tensor(3.0)), 0.4, 0.04),
             (d.Poisson(gn.tensor(4.0)), 4.0, 4.0), (d.Bernoulli(probs=gn.tensor(0.3)), 0.3, 0.21),
             (d.Binomial(10, probs=gn.tensor(0.3)), 3.0, 2.1),
             (d.Categorical(probs=gn.tensor([0.2, 0.3, 0.5])), 1.3, 0.61)]
    for dist, mean, var in cases:
        x = dist.sample((n,)).double()
        assert abs(x.mean().item() - mean) < 5 * (var / n) ** 0.5 + 1e-3
        assert abs(x.var().item() - var) < 0.05 * var + 1e-3
    mvn = d.MultivariateNormal(gn.tensor([1.0, -1.0]), gn.tensor([[2.0, 0.6], [0.6, 1.0]]))
    x = mvn.sample((n,))
    np.testing.assert_allclose(np.cov(x.numpy().T), [[2.0, 0.6], [0.6, 1.0]], atol=0.08)
    dr = d.Dirichlet(gn.tensor([1.0, 2.0, 3.0])).sample((n,))
    np.testing.assert_allclose(dr.sum(-1).numpy(), 1.0, rtol=1e-5)
    np.testing.assert_allclose(dr.mean(0).numpy(), [1 / 6, 2 / 6, 3 / 6], atol=0.01)
