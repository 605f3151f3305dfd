"""``glassnet.distributions``: probability distributions with ``torch.distributions``' names.

Each distribution has ``sample``/``rsample``, ``log_prob``, ``entropy``, ``mean``/``variance``
and a ``batch_shape``/``event_shape``; ``kl_divergence(p, q)`` gives closed-form KL terms.
Log-densities, entropies and KL terms are compositions of differentiable tensor ops, so they
train policies (REINFORCE: ``-(Categorical(logits=l).log_prob(a) * advantage)``) and VAEs
(``Normal(mu, std).rsample()`` and ``kl_divergence(q, Normal(0, 1))``). Draws come from
glassnet's generator: a seed makes them repeat, but not PyTorch's numbers.
"""

from __future__ import annotations

from .bernoulli import Bernoulli
from .categorical import Categorical, OneHotCategorical
from .distribution import Distribution
from .exponential import Exponential
from .gamma import Beta, Dirichlet, Gamma
from .independent import Independent
from .kl import kl_divergence, register_kl
from .laplace import Laplace
from .multivariate_normal import MultivariateNormal
from .normal import Normal
from .poisson import Binomial, Poisson
from .uniform import Uniform

__all__ = ["Bernoulli", "Beta", "Binomial", "Categorical", "Dirichlet", "Distribution",
           "Exponential", "Gamma", "Independent", "Laplace", "MultivariateNormal", "Normal",
           "OneHotCategorical", "Poisson", "Uniform", "kl_divergence", "register_kl"]
