"""glassnet.distributions against torch.distributions: log_prob, entropy, cdf, moments and KL
terms with their gradients (same parameters, same values), sample shapes, the reparameterised
gradient of rsample, and sample statistics (the random streams differ, so only in law)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, gradcheck, positive, randn

import glassnet as gn

D = {gn: gn.distributions, torch: torch.distributions}


def _m(x):
    return torch if isinstance(x, torch.Tensor) else gn


def _d(x):
    return D[_m(x)]


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


def _spd(m, a):
    return a @ a.transpose(-2, -1) + m.eye(a.shape[-1], dtype=a.dtype)


MVN = {
    "log_prob_cov": lambda loc, a, v: _d(loc).MultivariateNormal(loc, _spd(_m(loc), a))
    .log_prob(v),
    "log_prob_tril": lambda loc, a, v: _d(loc).MultivariateNormal(
        loc, scale_tril=_m(loc).linalg.cholesky(_spd(_m(loc), a))).log_prob(v),
    "precision": lambda loc, a, v: _d(loc).MultivariateNormal(
        loc, precision_matrix=_spd(_m(loc), a)).covariance_matrix.sum(-1) + 0 * v,
    "entropy": lambda loc, a, v: _d(loc).MultivariateNormal(loc, _spd(_m(loc), a)).entropy()
    + 0 * v.sum(-1),
    "kl": lambda loc, a, v: _d(loc).kl_divergence(
        _d(loc).MultivariateNormal(loc, _spd(_m(loc), a)),
        _d(loc).MultivariateNormal(v, _spd(_m(loc), a.flip(-1)))),
}


@pytest.mark.parametrize("name", list(MVN))
def test_multivariate_normal_parity(name, rng):
    inputs = [randn(rng, (2, 3)), randn(rng, (3, 3)), randn(rng, (2, 3))]
    check_parity(MVN[name], MVN[name], inputs, dtype=np.float64)


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


def test_rsample_reparameterises():
    gn.manual_seed(0)
    loc = gn.tensor([1.0, -2.0], requires_grad=True)
    scale = gn.tensor([0.5, 2.0], requires_grad=True)
    x = gn.distributions.Normal(loc, scale).rsample((1000,))
    x.mean().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [0.5, 0.5], rtol=1e-4)
    eps = (x.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(scale.grad.numpy(), eps.mean(0).numpy() / 2, rtol=1e-4)
    s = gn.distributions.Normal(loc, scale).sample((3,))
    assert not s.requires_grad


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
