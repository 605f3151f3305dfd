"""Hooks as tutorials use them: forward hooks collecting activations, forward pre-hooks editing
inputs, full backward hooks reading gradients, Tensor.register_hook scaling a gradient,
retain_grad, hook handles removed, and a hook that replaces a module's output."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(40)


def fill(m):
    with torch.no_grad():
        for p in m.parameters():
            p.copy_(torch.from_numpy(rng.uniform(-0.5, 0.5, tuple(p.shape)).astype(np.float32)))
    return m


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 2, 3, padding=1)
        self.pool = nn.MaxPool2d(2)
        self.fc1 = nn.Linear(2 * 2 * 2, 5)
        self.fc2 = nn.Linear(5, 3)

    def forward(self, x):
        x = self.pool(F.relu(self.conv(x)))
        x = torch.flatten(x, 1)
        return self.fc2(F.relu(self.fc1(x)))


net = fill(Net())
x = torch.from_numpy(rng.standard_normal((2, 1, 4, 4)).astype(np.float32))
activations = {}


def save_activation(name):
    def hook(module, inputs, output):
        activations[name] = output.detach()
    return hook


handles = [m.register_forward_hook(save_activation(n)) for n, m in net.named_children()]
out = net(x)
res = {"activation_shapes": {k: list(v.shape) for k, v in activations.items()},
       "fc1_act": activations["fc1"].tolist()}
for h in handles:
    h.remove()
activations.clear()
net(x)
res["after_remove"] = len(activations)

calls = []


def pre_hook(module, inputs):
    calls.append(type(module).__name__)
    return (inputs[0] * 2,)


h = net.fc2.register_forward_pre_hook(pre_hook)
res["pre_hooked"] = net(x).tolist()
h.remove()
res["pre_calls"] = calls


def replace_output(module, inputs, output):
    return output.clamp(min=0)


h = net.fc1.register_forward_hook(replace_output)
res["replaced"] = net(x).tolist()
h.remove()

grads = {}


def bwd_hook(module, grad_input, grad_output):
    grads[type(module).__name__] = [None if g is None else list(g.shape) for g in grad_input] + \
        [grad_output[0].abs().sum().item()]


h = net.fc2.register_full_backward_hook(bwd_hook)
net(x).sum().backward()
h.remove()
res["backward_hook"] = grads

# tensor hooks: scale, inspect, retain_grad
w = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
seen = []
w.register_hook(lambda g: g * 10)
y = w * w
y.retain_grad()
y.register_hook(lambda g: seen.append(g.tolist()))
z = (y * torch.tensor([1.0, 2.0, 3.0])).sum()
z.backward()
res["tensor_hooks"] = [w.grad.tolist(), y.grad.tolist(), seen, y.is_leaf, w.is_leaf,
                       z.grad_fn is not None, w.grad_fn is None]
# a hook registered on an intermediate and later removed
a = torch.ones(2, requires_grad=True)
b = a * 3
hb = b.register_hook(lambda g: g + 100)
hb.remove()
b.sum().backward()
res["removed_tensor_hook"] = a.grad.tolist()
# counting parameters and inspecting gradients after backward, tutorial style
res["grad_norms"] = {n: round(p.grad.norm().item(), 5) for n, p in net.named_parameters()}
res["requires_grad_names"] = [n for n, p in net.named_parameters() if p.requires_grad]
print(json.dumps(res))
