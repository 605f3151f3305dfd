"""Model ensembles and Jacobians with torch.func: several small models' weights stacked with
stack_module_state and run at once with vmap over functional_call (same and different
minibatches per model), the ensemble trained through the stacked leaves, and jacrev / jacfwd /
hessian / vjp / jvp of small functions, including the Jacobian of a network's output with
respect to a dict of its parameters (the start of a neural tangent kernel)."""
import copy
import json

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, hessian, jacfwd, jacrev, jvp, stack_module_state, vjp, vmap

rng = np.random.default_rng(72)


def make():
    m = nn.Sequential(nn.Linear(4, 5), nn.ReLU(), nn.Linear(5, 2))
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.6)
                                     .astype(np.float32)))
    return m


models = [make() for _ in range(3)]
params, buffers = stack_module_state(models)
base = copy.deepcopy(models[0])  # the architecture; its own weights are never used


def run(p, b, x):
    return functional_call(base, (p, b), (x,))


x = torch.from_numpy(rng.standard_normal((7, 4)).astype(np.float32))
same = vmap(run, in_dims=(0, 0, None))(params, buffers, x)
xs = torch.from_numpy(rng.standard_normal((3, 7, 4)).astype(np.float32))
different = vmap(run)(params, buffers, xs)
loop = torch.stack([m(x) for m in models])
res = {"same": same[:, :2].tolist(), "different": different[:, 0].tolist(),
       "matches_loop": (same - loop).abs().max().item() < 1e-6,
       "stacked": {k: list(v.shape) for k, v in params.items()},
       "leaf": [v.is_leaf and v.requires_grad for v in params.values()]}
opt = torch.optim.SGD(params.values(), lr=0.1)
for _ in range(2):
    loss = vmap(run, in_dims=(0, 0, None))(params, buffers, x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
res["trained"] = [loss.item(), params["2.bias"].tolist()]

z = torch.tensor([0.4, -0.7, 1.3], dtype=torch.float64)


def f(v):
    return torch.stack([v[0] * v[1].exp(), v.sin().sum(), (v ** 3)[2]])


def energy(v):
    return (v.cos() * v.pow(2)).sum() + v[0] * v[2]


out, back = vjp(f, z)
res["jacrev"] = jacrev(f)(z).tolist()
res["jacfwd"] = jacfwd(f)(z).tolist()
res["hessian"] = hessian(energy)(z).tolist()
res["vjp"] = back(torch.ones(3, dtype=torch.float64))[0].tolist()
res["jvp"] = [t.tolist() for t in jvp(f, (z,), (torch.tensor([1.0, 0.0, 2.0],
                                                              dtype=torch.float64),))]
net = models[1]
p1 = {k: v.detach() for k, v in net.named_parameters()}
jac = jacrev(lambda p, xx: functional_call(net, p, (xx,)))(p1, x[:2])
res["param_jacobian"] = {k: [list(v.shape), v.abs().sum().item()] for k, v in jac.items()}
print(json.dumps(res))
