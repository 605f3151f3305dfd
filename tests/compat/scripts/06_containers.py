"""Sequential (also from an OrderedDict), ModuleList, ModuleDict, ParameterList, apply(init_fn)."""
import json
from collections import OrderedDict

import numpy as np
import torch
import torch.nn as nn

res = {}
seq = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
named = nn.Sequential(OrderedDict([("conv", nn.Conv2d(1, 2, 3)), ("act", nn.ReLU()),
                                   ("pool", nn.AdaptiveAvgPool2d(1)), ("flat", nn.Flatten())]))
res["seq_len"] = [len(seq), len(named)]
res["seq_index"] = [type(seq[0]).__name__, type(seq[-1]).__name__, type(named.conv).__name__]
res["seq_slice"] = [type(m).__name__ for m in seq[1:]]
res["seq_keys"] = list(named.state_dict().keys())
seq.append(nn.Softmax(dim=1))
res["appended"] = len(seq)


def init_weights(m):
    if isinstance(m, nn.Linear):
        nn.init.constant_(m.weight, 0.1)
        nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Conv2d):
        nn.init.ones_(m.weight)
        m.bias.data.fill_(0.5)


seq.apply(init_weights)
named.apply(init_weights)
x = torch.arange(8.0).view(2, 4)
res["seq_out"] = seq(x).tolist()
img = torch.arange(32.0).view(2, 1, 4, 4) / 10
res["named_out"] = named(img).tolist()


class Blocks(nn.Module):
    def __init__(self):
        super().__init__()
        self.layers = nn.ModuleList([nn.Linear(3, 3) for _ in range(3)])
        self.heads = nn.ModuleDict({"cls": nn.Linear(3, 2), "reg": nn.Linear(3, 1)})
        self.gains = nn.ParameterList([nn.Parameter(torch.full((3,), float(i + 1)))
                                       for i in range(3)])
        self.extra = nn.ParameterDict({"bias": nn.Parameter(torch.zeros(3))})

    def forward(self, x):
        for layer, g in zip(self.layers, self.gains):
            x = torch.relu(layer(x)) * g
        x = x + self.extra["bias"]
        return {k: head(x) for k, head in self.heads.items()}


rng = np.random.default_rng(3)
net = Blocks()
sd = {k: torch.from_numpy(rng.standard_normal(tuple(v.shape)).astype(np.float32) * 0.5)
      for k, v in net.state_dict().items()}
net.load_state_dict(sd)
res["block_keys"] = list(net.state_dict().keys())
res["block_modules"] = [n for n, _ in net.named_modules()]
res["children"] = [type(c).__name__ for c in net.children()]
res["n_params"] = len(list(net.parameters()))
out = net(torch.ones(2, 3))
res["heads"] = sorted(out)
res["cls"] = out["cls"].tolist()
res["reg"] = out["reg"].tolist()
(out["cls"].sum() + out["reg"].sum()).backward()
res["gain_grads"] = [g.grad.tolist() for g in net.gains]
res["moduledict_keys"] = list(net.heads.keys())
res["modulelist_len"] = len(net.layers)
net.layers.append(nn.Linear(3, 3))
net.layers.extend([nn.Identity()])
res["modulelist_grown"] = [len(net.layers), type(net.layers[-1]).__name__,
                           "cls" in net.heads, len(net.gains)]
res["zip_named"] = [n for n, _ in net.layers.named_children()]
print(json.dumps(res))
