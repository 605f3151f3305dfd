"""torch.distributions as RL and VAE code uses it: a policy network's Categorical(logits=...)
with log_prob of taken actions, entropy bonus and a REINFORCE update with discounted returns;
a Gaussian policy with Normal/Independent; a VAE's KL term with kl_divergence against
Normal(0, 1) and a reparameterised sample (noise from NumPy so both libraries see the same);
MultivariateNormal, Bernoulli and Beta densities. Sampled values are compared only by shape."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.distributions import (Bernoulli, Beta, Categorical, Independent, MultivariateNormal,
                                 Normal, kl_divergence)

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(55)
torch.manual_seed(0)  # samples (compared by shape) from the global generator


def fill(m, scale=0.4):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                     .astype(np.float32)))
    return m


policy = fill(nn.Sequential(nn.Linear(4, 16), nn.Tanh(), nn.Linear(16, 3)))
opt = torch.optim.Adam(policy.parameters(), lr=1e-2)
states = torch.from_numpy(rng.standard_normal((6, 4)).astype(np.float32))
actions = torch.tensor([0, 2, 1, 1, 0, 2])
rewards = [1.0, 0.0, 0.5, 1.0, 0.0, 1.0]
gamma = 0.9
returns, g = [], 0.0
for r in reversed(rewards):
    g = r + gamma * g
    returns.insert(0, g)
returns = torch.tensor(returns)
returns = (returns - returns.mean()) / (returns.std() + 1e-8)
res = {"returns": returns.tolist()}
log = []
for it in range(4):
    dist = Categorical(logits=policy(states))
    logp = dist.log_prob(actions)
    entropy = dist.entropy().mean()
    loss = -(logp * returns).sum() - 0.01 * entropy
    opt.zero_grad()
    loss.backward()
    opt.step()
    log.append([loss.item(), entropy.item(), logp.tolist()])
res["reinforce"] = log
dist = Categorical(logits=policy(states))
res["categorical"] = [dist.probs.sum(-1).tolist(), list(dist.sample().shape),
                      list(dist.sample((5,)).shape), dist.batch_shape[0], dist.mode.tolist(),
                      dist.sample().dtype == torch.int64]

# a Gaussian policy over 2-D continuous actions
mu_net = fill(nn.Linear(4, 2))
log_std = nn.Parameter(torch.tensor([-0.5, 0.2]))
cont_actions = torch.from_numpy(rng.standard_normal((6, 2)).astype(np.float32))
pi = Independent(Normal(mu_net(states), log_std.exp()), 1)
lp = pi.log_prob(cont_actions)
(-(lp * returns).mean()).backward()
res["gaussian_policy"] = [lp.tolist(), pi.entropy().tolist(), log_std.grad.tolist(),
                          list(pi.batch_shape), list(pi.event_shape), list(pi.rsample().shape)]

# VAE pieces: encoder output -> q(z|x), reparameterised z, KL to the prior
enc = fill(nn.Linear(4, 2 * 3))
h = enc(states)
mu, logvar = h.chunk(2, dim=-1)
std = torch.exp(0.5 * logvar)
eps = torch.from_numpy(rng.standard_normal((6, 3)).astype(np.float32))
z = mu + eps * std
q = Normal(mu, std)
prior = Normal(torch.zeros_like(mu), torch.ones_like(std))
kl = kl_divergence(q, prior).sum(-1)
kl_closed = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp(), dim=-1)
log_qz = q.log_prob(z).sum(-1)
(kl.mean() + log_qz.mean()).backward()
res["vae"] = [kl.tolist(), torch.allclose(kl, kl_closed, atol=1e-5), log_qz.tolist(),
              enc.weight.grad.abs().sum().item(), prior.cdf(torch.tensor(0.5)).tolist()[0],
              Normal(0.0, 1.0).icdf(torch.tensor([0.025, 0.975])).tolist()]

cov = torch.tensor([[1.0, 0.3], [0.3, 0.5]])
mvn = MultivariateNormal(torch.tensor([0.5, -0.5]), covariance_matrix=cov)
res["mvn"] = [mvn.log_prob(cont_actions).tolist(), mvn.entropy().item(),
              mvn.scale_tril.tolist(), list(mvn.sample((4,)).shape),
              kl_divergence(mvn, MultivariateNormal(torch.zeros(2), torch.eye(2))).item()]
bern = Bernoulli(logits=policy(states)[:, 0])
res["bernoulli"] = [bern.log_prob((states[:, 0] > 0).float()).tolist(), bern.entropy().tolist(),
                    bern.probs.tolist()]
beta = Beta(torch.tensor([2.0, 0.5]), torch.tensor([3.0, 0.5]))
res["beta"] = [beta.log_prob(torch.tensor([0.3, 0.9])).tolist(), beta.mean.tolist(),
               beta.entropy().tolist(), beta.variance.tolist()]
print(json.dumps(res))
