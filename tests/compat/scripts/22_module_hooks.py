"""Module hooks: forward pre-hooks, forward hooks for feature extraction, full backward hooks."""
import json

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(22)
model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
x = torch.from_numpy(rng.standard_normal((2, 3)).astype(np.float32))
res = {}

activations = {}


def get_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


handles = [model[0].register_forward_hook(get_activation("fc1")),
           model[1].register_forward_hook(get_activation("relu"))]
out = model(x)
res["features"] = {k: v.tolist() for k, v in activations.items()}
res["input_type"] = None


def pre_hook(module, inputs):
    res["input_type"] = [type(inputs).__name__, len(inputs)]
    return (inputs[0] * 2,)


def replace_output(module, inputs, output):
    return output + 100


pre = model[0].register_forward_pre_hook(pre_hook)
post = model[2].register_forward_hook(replace_output)
res["hooked_out"] = model(x).tolist()
pre.remove()
post.remove()
for h in handles:
    h.remove()
activations.clear()
res["unhooked_out"] = model(x).tolist()
res["hooks_removed"] = len(activations) == 0

grads = {}


def backward_hook(module, grad_input, grad_output):
    grads[type(module).__name__ + str(len(grads))] = [
        [None if g is None else g.tolist() for g in grad_input],
        [g.tolist() for g in grad_output]]


hb = model[2].register_full_backward_hook(backward_hook)
hr = model[1].register_full_backward_hook(backward_hook)
xi = x.clone().requires_grad_(True)
model(xi).sum().backward()
res["backward_hooks"] = grads
hb.remove()
hr.remove()

# forward hook with kwargs, and a hook on every submodule by name
shapes = []
for name, module in model.named_modules():
    if name:
        module.register_forward_hook(
            lambda m, i, o, name=name: shapes.append([name, list(o.shape)]))
model(x)
res["all_shapes"] = shapes

# a parameter hook scaling the gradient
lin = nn.Linear(2, 1)
with torch.no_grad():
    lin.weight.fill_(1.0)
    lin.bias.fill_(0.0)
lin.weight.register_hook(lambda g: g * 0.5)
lin(torch.ones(3, 2)).sum().backward()
res["param_hook"] = lin.weight.grad.tolist()
print(json.dumps(res))
