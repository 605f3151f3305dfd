"""torch.func as research code uses it: a model called as a pure function of a dict of weights
(functional_call), per-sample gradients with vmap(grad(...)) and their norms (the first step
of DP-SGD's clipping), grad_and_value with an auxiliary output, and a MAML-style meta-step
whose inner update keeps the graph (create_graph) so the outer loss differentiates through
it."""
import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.func import functional_call, grad, grad_and_value, vmap

# compat: rtol=1e-3 atol=1e-5
rng = np.random.default_rng(71)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(3, 8)
        self.fc2 = nn.Linear(8, 2)

    def forward(self, x):
        return self.fc2(torch.tanh(self.fc1(x)))


net = Net()
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.5).astype(np.float32)))
params = {name: p.detach() for name, p in net.named_parameters()}
xs = torch.from_numpy(rng.standard_normal((6, 3)).astype(np.float32))
ys = torch.tensor([0, 1, 1, 0, 1, 0])


def sample_loss(weights, x, y):
    logits = functional_call(net, weights, (x.unsqueeze(0),))
    return F.cross_entropy(logits, y.unsqueeze(0))


per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))(params, xs, ys)
norms = torch.stack([g.flatten(1).norm(dim=1) for g in per_sample.values()]).norm(dim=0)
clip = (1.0 / (norms + 1e-6)).clamp(max=1.0)
clipped = {k: (g * clip.view(-1, *([1] * (g.dim() - 1)))).mean(0) for k, g in per_sample.items()}
# the mean of per-sample gradients equals the batch gradient
batch = torch.autograd.grad(F.cross_entropy(net(xs), ys), list(net.parameters()))
res = {"shapes": {k: list(v.shape) for k, v in per_sample.items()},
       "norms": norms.tolist(),
       "clipped": {k: v.flatten()[:4].tolist() for k, v in clipped.items()},
       "mean_is_batch": [(per_sample[k].mean(0) - b).abs().max().item() < 1e-5
                         for k, b in zip(per_sample, batch)]}


def loss_and_acc(weights, x, y):
    logits = functional_call(net, weights, (x,))
    return F.cross_entropy(logits, y), (logits.argmax(1) == y).float().mean()


grads, (value, acc) = grad_and_value(loss_and_acc, has_aux=True)(params, xs, ys)
res["grad_and_value"] = [value.item(), acc.item(), grads["fc2.bias"].tolist()]

# MAML: adapt on a support set with one differentiable SGD step, score on a query set
meta = {k: v.clone().requires_grad_(True) for k, v in params.items()}
outer = torch.optim.Adam(meta.values(), lr=0.01)
log = []
for step in range(3):
    support_x, query_x = xs[:3] + 0.1 * step, xs[3:]
    inner = F.cross_entropy(functional_call(net, meta, (support_x,)), ys[:3])
    g = torch.autograd.grad(inner, list(meta.values()), create_graph=True)
    fast = {k: w - 0.5 * gk for (k, w), gk in zip(meta.items(), g)}
    query = F.cross_entropy(functional_call(net, fast, (query_x,)), ys[3:])
    outer.zero_grad()
    query.backward()
    outer.step()
    log.append([inner.item(), query.item(), meta["fc1.weight"].grad.norm().item()])
res["maml"] = log
res["net_untouched"] = net.fc1.weight.grad is None
print(json.dumps(res))
