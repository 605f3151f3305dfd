"""Trading compute for memory the way large-model training scripts do: a stack of residual
blocks whose forward passes go through torch.utils.checkpoint (a flag switches it per block),
a Sequential run with checkpoint_sequential, dropout inside a checkpointed block (the mask must
be the same when the block is recomputed), and a checkpointed function called under no_grad."""
import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.checkpoint import checkpoint, checkpoint_sequential

rng = np.random.default_rng(70)


def fill(module, scale=0.4):
    with torch.no_grad():
        for p in module.parameters():
            p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * scale)
                                     .astype(np.float32)))


class Block(nn.Module):
    def __init__(self, width):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.up = nn.Linear(width, 2 * width)
        self.down = nn.Linear(2 * width, width)

    def forward(self, x):
        return x + self.down(F.gelu(self.up(self.norm(x))))


class Tower(nn.Module):
    def __init__(self, width=6, depth=3, use_ckpt=True):
        super().__init__()
        self.blocks = nn.ModuleList([Block(width) for _ in range(depth)])
        self.head = nn.Linear(width, 2)
        self.use_ckpt = use_ckpt

    def forward(self, x):
        for block in self.blocks:
            if self.use_ckpt and self.training:
                x = checkpoint(block, x, use_reentrant=False)
            else:
                x = block(x)
        return self.head(x)


res = {}
x = torch.from_numpy(rng.standard_normal((5, 6)).astype(np.float32))
y = torch.tensor([0, 1, 1, 0, 1])
for flag in (True, False):
    rng = np.random.default_rng(7)
    model = Tower(use_ckpt=flag)
    fill(model)
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    losses = []
    for _ in range(3):
        loss = F.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    res[f"ckpt_{flag}"] = [losses, model.head.weight.grad.abs().sum().item()]

rng = np.random.default_rng(8)
seq = nn.Sequential(nn.Linear(6, 8), nn.Tanh(), nn.Linear(8, 8), nn.Tanh(), nn.Linear(8, 3))
fill(seq)
inp = x.clone().requires_grad_(True)
out = checkpoint_sequential(seq, 2, inp, use_reentrant=False)
out.pow(2).mean().backward()
res["sequential"] = [out.sum().item(), inp.grad.abs().sum().item(),
                     [p.grad.norm().item() for p in seq.parameters()]]

# dropout: the recomputation replays the generator, so the gradient is that of one forward
drop_block = nn.Sequential(nn.Linear(6, 16), nn.Dropout(0.5), nn.Linear(16, 1))
fill(drop_block)
grads = []
for use in (True, False):
    drop_block.zero_grad()
    torch.manual_seed(0)
    out = checkpoint(drop_block, x, use_reentrant=False) if use else drop_block(x)
    out.sum().backward()
    grads.append(drop_block[0].weight.grad.clone())
res["dropout"] = [list(out.shape), (grads[0] - grads[1]).abs().max().item()]

with torch.no_grad():
    res["no_grad"] = checkpoint(seq, x, use_reentrant=False).requires_grad
print(json.dumps(res))
