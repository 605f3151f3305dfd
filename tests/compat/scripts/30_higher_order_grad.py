"""Higher-order gradients with create_graph=True: a second derivative, a Hessian-vector product and
a gradient penalty (as in WGAN-GP), all through torch.autograd.grad."""
import json

import numpy as np
import torch
import torch.nn as nn

res = {}
u = torch.tensor(2.0, requires_grad=True)
f = u ** 3 + 2 * u
(df,) = torch.autograd.grad(f, u, create_graph=True)
(d2f,) = torch.autograd.grad(df, u)
res["second_derivative"] = [df.item(), d2f.item()]

# Hessian-vector product of f(x) = sum(tanh(A x)^2)
rng = np.random.default_rng(30)
A = torch.from_numpy(rng.standard_normal((3, 3)).astype(np.float32))
x = torch.from_numpy(rng.standard_normal(3).astype(np.float32)).requires_grad_(True)
v = torch.tensor([1.0, -1.0, 0.5])
loss = torch.tanh(A @ x).pow(2).sum()
(g,) = torch.autograd.grad(loss, x, create_graph=True)
(hv,) = torch.autograd.grad(g @ v, x)
res["hvp"] = hv.tolist()

# gradient penalty on a small critic
critic = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 1))
with torch.no_grad():
    for p in critic.parameters():
        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5))
inp = torch.from_numpy(rng.standard_normal((5, 2)).astype(np.float32)).requires_grad_(True)
out = critic(inp)
(grads,) = torch.autograd.grad(out, inp, grad_outputs=torch.ones_like(out), create_graph=True)
penalty = ((grads.norm(2, dim=1) - 1) ** 2).mean()
penalty.backward()
res["penalty"] = penalty.item()
res["penalty_grad"] = critic[0].weight.grad.tolist()
print(json.dumps(res))
