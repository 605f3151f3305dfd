"""Fine-tuning: freeze a backbone, replace the head, parameter groups with their own lr."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# compat: rtol=1e-3 atol=1e-5
rng = np.random.default_rng(23)


class Backbone(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Linear(6, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU())
        self.fc = nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(self.features(x))


model = Backbone()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.4).astype(np.float32)))
for param in model.parameters():
    param.requires_grad = False
model.fc = nn.Linear(model.fc.in_features, 3)
with torch.no_grad():
    model.fc.weight.copy_(torch.from_numpy((rng.standard_normal((3, 8)) * 0.3).astype(np.float32)))
    model.fc.bias.zero_()
# unfreeze the last feature layer with a smaller learning rate
for p in model.features[2].parameters():
    p.requires_grad_(True)
optimizer = optim.SGD([
    {"params": model.features[2].parameters(), "lr": 1e-3},
    {"params": model.fc.parameters()},
], lr=0.1, momentum=0.9)
res = {"trainable": [n for n, p in model.named_parameters() if p.requires_grad],
       "groups": [[g["lr"], g["momentum"], len(g["params"])] for g in optimizer.param_groups]}

x = torch.from_numpy(rng.standard_normal((12, 6)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, 12))
losses = []
for epoch in range(8):
    optimizer.zero_grad()
    loss = nn.functional.cross_entropy(model(x), y)
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    if epoch == 3:
        for g in optimizer.param_groups:
            g["lr"] *= 0.5
res["losses"] = losses
res["final_lrs"] = [g["lr"] for g in optimizer.param_groups]
res["frozen_grad_none"] = model.features[0].weight.grad is None
# add_param_group for the rest of the backbone
for p in model.features[0].parameters():
    p.requires_grad_(True)
optimizer.add_param_group({"params": model.features[0].parameters(), "lr": 1e-4})
res["n_groups"] = len(optimizer.param_groups)
res["new_group_defaults"] = [optimizer.param_groups[2]["momentum"],
                             optimizer.param_groups[2]["weight_decay"]]
optimizer.zero_grad()
nn.functional.cross_entropy(model(x), y).backward()
optimizer.step()
res["after_unfreeze"] = nn.functional.cross_entropy(model(x), y).item()
res["state_dict_groups"] = [sorted(k for k in g if k != "params") for g in
                            optimizer.state_dict()["param_groups"]][:1]
print(json.dumps(res))
