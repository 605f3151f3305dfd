"""nn.Module subclasses: __init__/forward, parameters, named_parameters, weights from NumPy."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

rng = np.random.default_rng(1)


class MLP(nn.Module):
    def __init__(self, in_features, hidden, out_features):
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, hidden, bias=False)
        self.out = nn.Linear(hidden, out_features)
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, x):
        x = F.relu(self.fc1(x))
        x = torch.tanh(self.fc2(x))
        return self.out(x) * self.scale


model = MLP(4, 8, 3)
with torch.no_grad():
    for name, p in model.named_parameters():
        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32) * 0.5))

res = {}
res["names"] = [n for n, _ in model.named_parameters()]
res["shapes"] = [list(p.shape) for p in model.parameters()]
res["n_params"] = sum(p.numel() for p in model.parameters())
res["n_trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
res["is_param"] = [isinstance(model.fc1.weight, nn.Parameter),
                   isinstance(model.scale, torch.Tensor)]
res["training"] = model.training
res["module_names"] = [n for n, _ in model.named_modules()]
res["children"] = [type(m).__name__ for m in model.children()]
res["repr_has_linear"] = "Linear(in_features=4, out_features=8, bias=True)" in repr(model)
res["extra_repr"] = model.fc2.extra_repr()

x = torch.from_numpy(rng.standard_normal((5, 4)).astype(np.float32))
target = torch.tensor([0, 2, 1, 1, 0])
out = model(x)
loss = F.cross_entropy(out, target)
loss.backward()
res["out"] = out.tolist()
res["loss"] = loss.item()
res["grads"] = {n: p.grad.sum().item() for n, p in model.named_parameters()}

# a manual SGD step over model.parameters()
with torch.no_grad():
    for p in model.parameters():
        p -= 0.1 * p.grad
model.zero_grad()
res["grads_after_zero"] = [p.grad is None or float(p.grad.abs().sum()) == 0.0
                           for p in model.parameters()]
res["loss_after"] = F.cross_entropy(model(x), target).item()

# calling a submodule directly and getattr on modules
res["fc1_out"] = model.fc1(x).shape[1]
res["has_attr"] = [hasattr(model, "fc1"), hasattr(model, "nope")]
model.fc2.weight.requires_grad_(False)
res["frozen"] = [n for n, p in model.named_parameters() if not p.requires_grad]
print(json.dumps(res))
