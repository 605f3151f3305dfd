"""Residual MLP blocks with LayerNorm / GroupNorm, GELU and AdamW: the 'modern MLP' recipe."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=2e-3 atol=1e-4
rng = np.random.default_rng(28)


class Block(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.norm = nn.LayerNorm(dim)
        self.fc1 = nn.Linear(dim, hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return x + self.fc2(F.gelu(self.fc1(self.norm(x))))


class ResMLP(nn.Module):
    def __init__(self, dim=8, depth=3, classes=3):
        super().__init__()
        self.stem = nn.Linear(5, dim)
        self.blocks = nn.Sequential(*[Block(dim, 2 * dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim, elementwise_affine=True)
        self.head = nn.Linear(dim, classes)

    def forward(self, x):
        return self.head(self.norm(self.blocks(self.stem(x))))


model = ResMLP()
sd = {k: torch.from_numpy((rng.standard_normal(tuple(v.shape)) * 0.3).astype(np.float32))
      for k, v in model.state_dict().items()}
model.load_state_dict(sd)
x = torch.from_numpy(rng.standard_normal((10, 5)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, 10))
decay = [p for n, p in model.named_parameters() if p.dim() > 1]
no_decay = [p for n, p in model.named_parameters() if p.dim() <= 1]
opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.05},
                         {"params": no_decay, "weight_decay": 0.0}], lr=3e-3)
losses = []
for step in range(10):
    opt.zero_grad()
    loss = F.cross_entropy(model(x), y)
    loss.backward()
    opt.step()
    losses.append(loss.item())
res = {"losses": losses, "n_decay": len(decay), "n_no_decay": len(no_decay)}

# the normalisation layers on their own, with gradients
z = torch.from_numpy(rng.standard_normal((2, 4, 3, 3)).astype(np.float32)).requires_grad_(True)
gn = nn.GroupNorm(2, 4)
ln = nn.LayerNorm([3, 3])
inorm = nn.InstanceNorm2d(4, affine=True)
with torch.no_grad():
    gn.weight.copy_(torch.tensor([1.0, 2.0, 3.0, 4.0]))
    inorm.bias.fill_(0.5)
out = gn(z).pow(2).sum() + ln(z).mul(torch.arange(9.0).view(3, 3)).sum() + inorm(z).pow(3).sum()
out.backward()
res["norms_out"] = out.item()
res["norm_grad"] = z.grad[0, 0].tolist()
res["layer_norm_fn"] = F.layer_norm(z[0, 0], (3,), eps=1e-3).tolist()
res["group_norm_fn"] = F.group_norm(z.detach(), 4).std().item()
print(json.dumps(res))
