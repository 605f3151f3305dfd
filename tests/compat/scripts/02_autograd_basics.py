"""Autograd by hand: requires_grad, backward, .grad, zero_, no_grad, detach, retain_grad, hooks."""
import json

import torch

res = {}
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
w = torch.tensor([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]], requires_grad=True)
y = w @ x
y.retain_grad()
z = torch.tanh(y).pow(2).sum()
z.backward()
res["leaf"] = [x.is_leaf, w.is_leaf, y.is_leaf, x.requires_grad, y.requires_grad]
res["grad_x"] = x.grad.tolist()
res["grad_w"] = w.grad.tolist()
res["grad_y"] = y.grad.tolist()
res["grad_fn_none"] = [x.grad_fn is None, y.grad_fn is not None]

# gradients accumulate until zeroed
(x * x).sum().backward()
res["accumulated"] = x.grad.tolist()
x.grad.zero_()
res["zeroed"] = x.grad.tolist()

# no_grad and detach
with torch.no_grad():
    q = x * 2
res["no_grad"] = [q.requires_grad, torch.is_grad_enabled()]
d = (x * 3).detach()
res["detach"] = [d.requires_grad, d.tolist()]

# hooks on tensors
seen = []
x2 = torch.tensor([1.0, -2.0, 3.0], requires_grad=True)
h = x2.register_hook(lambda g: seen.append(g.tolist()))
x3 = torch.tensor([0.5, 0.5], requires_grad=True)
x3.register_hook(lambda g: g * 10)  # a hook may replace the gradient
(x2 ** 3).sum().backward()
(x3 * 2).sum().backward()
h.remove()
res["hook_seen"] = seen
res["hook_replace"] = x3.grad.tolist()

# gradient with respect to several inputs, non-scalar output with grad_outputs
p = torch.tensor([1.0, 2.0], requires_grad=True)
q = torch.tensor([3.0, -1.0], requires_grad=True)
out = p * q + p.exp()
gp, gq = torch.autograd.grad(out, (p, q), grad_outputs=torch.tensor([1.0, 0.5]))
res["grad_multi"] = [gp.tolist(), gq.tolist()]

# backward on non-scalar with gradient argument, retain_graph
v = torch.tensor([1.0, 2.0, 3.0], requires_grad=True)
o = v.sin() * 2
o.backward(torch.ones_like(o), retain_graph=True)
o.backward(torch.full_like(o, 2.0))
res["retain_graph"] = v.grad.tolist()

# requires_grad_ and in-place on a leaf under no_grad
m = torch.zeros(3)
m.requires_grad_()
with torch.no_grad():
    m.add_(1.0)
(m * torch.arange(3.0)).sum().backward()
res["requires_grad_"] = [m.requires_grad, m.grad.tolist()]

# set_grad_enabled, enable_grad inside no_grad
with torch.set_grad_enabled(False):
    a = v * 2
with torch.no_grad():
    with torch.enable_grad():
        b = v * 2
res["grad_modes"] = [a.requires_grad, b.requires_grad]

# the usual chain through broadcasting and reductions
bias = torch.zeros(3, requires_grad=True)
X = torch.arange(12.0).view(4, 3)
loss = ((X + bias) ** 2).mean()
loss.backward()
res["broadcast_grad"] = bias.grad.tolist()
res["loss_item"] = loss.item()
print(json.dumps(res))
