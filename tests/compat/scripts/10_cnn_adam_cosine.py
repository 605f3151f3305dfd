"""CNN with BatchNorm2d and AdaptiveAvgPool, Adam and CosineAnnealingLR, evaluation with no_grad."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

# compat: rtol=2e-3 atol=2e-4
rng = np.random.default_rng(5)


def conv_bn(cin, cout, stride=1):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, stride=stride, padding=1, bias=False),
                         nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SmallNet(nn.Module):
    def __init__(self, num_classes=4):
        super().__init__()
        self.features = nn.Sequential(conv_bn(3, 6), conv_bn(6, 8, stride=2), nn.MaxPool2d(2))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.classifier = nn.Linear(8, num_classes)

    def forward(self, x):
        x = self.features(x)
        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        return self.classifier(x)


model = SmallNet()
sd = model.state_dict()
for k, v in sd.items():
    if k.endswith("weight") and v.dim() > 1:
        sd[k] = torch.from_numpy((rng.standard_normal(tuple(v.shape)) * 0.3).astype(np.float32))
sd["classifier.bias"] = torch.zeros(4)
model.load_state_dict(sd)

x = torch.from_numpy(rng.standard_normal((16, 3, 8, 8)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 4, 16)).long()
optimizer = optim.Adam(model.parameters(), lr=0.01, betas=(0.9, 0.99), weight_decay=1e-4)
scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=5, eta_min=1e-4)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
losses, lrs = [], []
for epoch in range(5):
    model.train()
    for xb, yb in zip(x.split(8), y.split(8)):
        optimizer.zero_grad()
        loss = loss_fn(model(xb), yb)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    scheduler.step()
    lrs.append(optimizer.param_groups[0]["lr"])

model.eval()
with torch.no_grad():
    out = model(x)
    acc = (out.argmax(dim=1) == y).float().mean().item()
res = {"losses": losses, "lrs": lrs, "eval_logits": out[:3].tolist(), "acc": acc,
       "running_var": model.features[0][1].running_var.tolist(),
       "adam_state_keys": sorted(optimizer.state[model.classifier.weight].keys()),
       "adam_step": float(optimizer.state[model.classifier.weight]["step"])}
print(json.dumps(res))
