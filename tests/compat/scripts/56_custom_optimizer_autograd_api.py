"""Writing your own optimizer (a torch.optim.Optimizer subclass with defaults, per-parameter
state and @torch.no_grad() step with a closure) and the autograd API around it: torch.autograd.grad
with grad_outputs/retain_graph/allow_unused, backward(gradient=...), no_grad as decorator,
set_grad_enabled, inference_mode, enable_grad inside no_grad, detach_ and requires_grad_."""
import json

import numpy as np
import torch
import torch.nn as nn
from torch.optim import Optimizer

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(56)


class SGDMomentumWD(Optimizer):
    """SGD with heavy-ball momentum and decoupled weight decay, written as a tutorial does."""

    def __init__(self, params, lr=0.1, momentum=0.9, weight_decay=0.0):
        if lr <= 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        defaults = dict(lr=lr, momentum=momentum, weight_decay=weight_decay)
        super().__init__(params, defaults)

    @torch.no_grad()
    def step(self, closure=None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if len(state) == 0:
                    state["step"] = 0
                    state["momentum_buffer"] = torch.zeros_like(p)
                state["step"] += 1
                buf = state["momentum_buffer"]
                buf.mul_(group["momentum"]).add_(p.grad)
                p.mul_(1 - group["lr"] * group["weight_decay"])
                p.add_(buf, alpha=-group["lr"])
        return loss


model = nn.Sequential(nn.Linear(3, 5), nn.ReLU(), nn.Linear(5, 1))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.uniform(-0.6, 0.6, tuple(p.shape)).astype(np.float32)))
X = torch.from_numpy(rng.standard_normal((10, 3)).astype(np.float32))
y = X.sum(1, keepdim=True).sin()
opt = SGDMomentumWD([{"params": model[0].parameters()},
                     {"params": model[2].parameters(), "lr": 0.05}], lr=0.1, weight_decay=0.01)


def closure():
    opt.zero_grad()
    loss = nn.functional.mse_loss(model(X), y)
    loss.backward()
    return loss


losses = [opt.step(closure).item() for _ in range(6)]
res = {"custom_opt": losses, "state": [opt.state[model[0].weight]["step"],
                                       sorted(opt.state[model[0].weight].keys())],
       "groups": [[g["lr"], g["momentum"], g["weight_decay"]] for g in opt.param_groups],
       "defaults": sorted(opt.defaults.items())}
try:
    SGDMomentumWD(model.parameters(), lr=-1)
except ValueError as e:
    res["invalid"] = str(e)
sd = opt.state_dict()
res["state_dict"] = [sorted(sd.keys()), sorted(sd["state"].keys()),
                     [sorted(k for k in g if k != "params") for g in sd["param_groups"]]]

# the autograd API
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([0.5, -1.0, 2.0], requires_grad=True)
unused = torch.tensor([1.0], requires_grad=True)
y1 = (x * w).pow(2)
g_x, g_w, g_u = torch.autograd.grad(y1, [x, w, unused], grad_outputs=torch.ones(3),
                                    retain_graph=True, allow_unused=True)
res["autograd_grad"] = [g_x.tolist(), g_w.tolist(), g_u is None]
(g_x2,) = torch.autograd.grad(y1.sum(), x)
res["grad_again"] = g_x2.tolist()
z = x * w
z.backward(gradient=torch.tensor([1.0, 0.1, 0.01]))
res["backward_gradient"] = [x.grad.tolist(), w.grad.tolist()]
x.grad = None
torch.autograd.backward([(x ** 2).sum(), (w * x).sum()])
res["autograd_backward"] = x.grad.tolist()


@torch.no_grad()
def evaluate(t):
    return t * 2


out = evaluate(x)
with torch.no_grad():
    with torch.enable_grad():
        inner = x * 3
    outer = x * 3
with torch.set_grad_enabled(False):
    off = x * 4
torch.set_grad_enabled(True)
with torch.inference_mode():
    inf = x * 5
res["grad_modes"] = [out.requires_grad, inner.requires_grad, outer.requires_grad,
                     off.requires_grad, inf.requires_grad, torch.is_grad_enabled()]
d = x.detach()
d.add_(1)  # shares memory with x
res["detach_shares"] = x.tolist()
h = (x * 2).detach_()
res["detach_inplace"] = [h.requires_grad, h.is_leaf]
v = torch.zeros(2).requires_grad_()
res["requires_grad_"] = [v.requires_grad, v.is_leaf, (v + 1).grad_fn is not None]
try:
    torch.tensor([1, 2]).requires_grad_()
except RuntimeError as e:
    res["int_requires_grad"] = "floating point" in str(e)
res["numpy_needs_detach"] = "ok"
try:
    x.numpy()
except RuntimeError:
    res["numpy_needs_detach"] = "RuntimeError"
print(json.dumps(res))
