"""Model-building styles from textbooks: nn.Sequential from an OrderedDict, ModuleList and
ModuleDict, ParameterList/ParameterDict, register_buffer (persistent or not), apply(init_fn) with
constant inits, named_modules/children, state_dict/load_state_dict(strict=False), freezing."""
import json
from collections import OrderedDict

import torch
import torch.nn as nn


def init_fn(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.05)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.LayerNorm):
        nn.init.ones_(m.weight)
        m.bias.data.fill_(0.1)


class Tower(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.blocks = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-1], sizes[1:])])
        self.heads = nn.ModuleDict({"cls": nn.Linear(sizes[-1], 3), "reg": nn.Linear(sizes[-1], 1)})
        self.scales = nn.ParameterList([nn.Parameter(torch.ones(s)) for s in sizes[1:]])
        self.extra = nn.ParameterDict({"temp": nn.Parameter(torch.tensor(2.0))})
        self.register_buffer("calls", torch.zeros(1, dtype=torch.long))
        self.register_buffer("cache", torch.zeros(2), persistent=False)
        self.norm = nn.LayerNorm(sizes[-1])

    def forward(self, x, head="cls"):
        self.calls += 1
        for block, scale in zip(self.blocks, self.scales):
            x = torch.tanh(block(x)) * scale
        return self.heads[head](self.norm(x)) / self.extra["temp"]


seq = nn.Sequential(OrderedDict([("fc1", nn.Linear(4, 6)), ("act", nn.ReLU()),
                                 ("drop", nn.Dropout(0.2)), ("fc2", nn.Linear(6, 2))]))
seq.apply(init_fn)
x = torch.arange(8.0).view(2, 4) / 8
res = {"seq_names": [n for n, _ in seq.named_children()], "seq_fc1": list(seq.fc1.weight.shape),
       "seq_index": type(seq[1]).__name__, "seq_neg": type(seq[-1]).__name__,
       "seq_out": seq.eval()(x).tolist()}
seq.add_module("out", nn.Sigmoid())
seq.append(nn.Identity())
res["seq_len"] = [len(seq), type(seq[4]).__name__, [type(m).__name__ for m in seq[1:3]]]

model = Tower([4, 5, 6])
model.apply(init_fn)
res["modules"] = [(n, type(m).__name__) for n, m in model.named_modules()]
res["children"] = [type(m).__name__ for m in model.children()]
res["params"] = [(n, list(p.shape)) for n, p in model.named_parameters()]
res["buffers"] = [n for n, _ in model.named_buffers()]
res["state_keys"] = list(model.state_dict().keys())
out = model(x)
model(x, head="reg")
res["out"] = out.tolist()
res["calls"] = model.calls.item()
res["moduledict"] = [list(model.heads.keys()), "cls" in model.heads, len(model.heads),
                     [type(v).__name__ for v in model.heads.values()]]
model.blocks.append(nn.Linear(6, 6))
model.blocks.insert(0, nn.Identity())
res["modulelist"] = [len(model.blocks), type(model.blocks[0]).__name__,
                     [type(b).__name__ for b in model.blocks[1:]]]
del model.blocks[0]
model.blocks.pop(-1) if hasattr(model.blocks, "pop") else None
res["after_del"] = len(model.blocks)

# freezing: requires_grad_(False) on a sub-module, then only the rest is trained
model.blocks.requires_grad_(False)
opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
loss = model(x).pow(2).mean()
opt.zero_grad()
loss.backward()
opt.step()
res["frozen"] = [[n, p.requires_grad, p.grad is None] for n, p in model.named_parameters()]
res["trained_value"] = model.heads["cls"].weight.sum().item()

# partial loads
fresh = Tower([4, 5, 6])
sd = {k: v for k, v in model.state_dict().items() if not k.startswith("heads.reg")}
sd["unknown.weight"] = torch.zeros(1)
result = fresh.load_state_dict(sd, strict=False)
res["load_missing"] = sorted(result.missing_keys)
res["load_unexpected"] = sorted(result.unexpected_keys)
res["loaded_equal"] = torch.equal(fresh.heads["cls"].weight, model.heads["cls"].weight)
try:
    fresh.load_state_dict(sd)
    res["strict"] = "loaded"
except RuntimeError as e:
    res["strict"] = ["RuntimeError", "Missing key" in str(e), "Unexpected key" in str(e)]
bad = dict(model.state_dict())
bad["norm.weight"] = torch.ones(7)
try:
    fresh.load_state_dict(bad)
    res["shape_mismatch"] = "loaded"
except RuntimeError as e:
    res["shape_mismatch"] = ["RuntimeError", "size mismatch" in str(e)]
res["num_trainable"] = sum(p.numel() for p in model.parameters() if p.requires_grad)
res["param_list_len"] = [len(model.scales), list(model.scales[1].shape), len(model.extra)]
print(json.dumps(res))
