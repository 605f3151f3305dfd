"""A small image CNN as in course notebooks: Conv2d/BatchNorm2d/ReLU/MaxPool2d blocks, Dropout2d,
AdaptiveAvgPool2d, kaiming-style init replaced by NumPy weights, a few SGD steps, then eval mode:
running statistics, num_batches_tracked, momentum=None (cumulative average), track_running_stats."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(46)


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout),
                         nn.ReLU(inplace=True), nn.MaxPool2d(2))


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(block(3, 4), block(4, 8), nn.Dropout2d(0.25))
        self.pool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        x = self.pool(self.features(x))
        return self.fc(x.view(x.size(0), -1))


model = SmallCNN()
for m in model.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        fan_in = m.weight[0].numel()
        m.weight.data = torch.from_numpy(
            (rng.standard_normal(tuple(m.weight.shape)) * np.sqrt(2.0 / fan_in)).astype(np.float32))
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.BatchNorm2d):
        nn.init.constant_(m.weight, 1)
        nn.init.constant_(m.bias, 0)
model.features[2].p = 0.0  # Dropout2d: identical masks across libraries
x = torch.from_numpy(rng.standard_normal((6, 3, 8, 8)).astype(np.float32))
y = torch.tensor([0, 1, 2, 3, 4, 0])
opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
crit = nn.CrossEntropyLoss()
log = []
for epoch in range(4):
    model.train()
    opt.zero_grad()
    out = model(x)
    loss = crit(out, y)
    loss.backward()
    opt.step()
    log.append(loss.item())
res = {"log": log}
bn = model.features[0][1]
res["bn_stats"] = [bn.running_mean.tolist(), bn.running_var.tolist(), bn.num_batches_tracked.item(),
                   bn.num_batches_tracked.dtype == torch.int64]
model.eval()
with torch.no_grad():
    eval_out = model(x)
res["eval"] = [eval_out.tolist(), (eval_out.argmax(1) == y).sum().item()]
res["eval_again_same"] = torch.equal(eval_out, model(x).detach())

# momentum=None keeps a cumulative average; track_running_stats=False uses batch stats in eval
cum = nn.BatchNorm2d(3, momentum=None)
for i in range(3):
    cum(x[2 * i:2 * i + 2])
res["cumulative"] = [cum.running_mean.tolist(), cum.running_var.tolist(),
                     cum.num_batches_tracked.item()]
nots = nn.BatchNorm2d(3, track_running_stats=False).eval()
res["no_track"] = [nots.running_mean is None, nots(x).mean(dim=(0, 2, 3)).tolist()]
bn1 = nn.BatchNorm1d(4)
seq = torch.from_numpy(rng.standard_normal((5, 4, 7)).astype(np.float32))
bn1(seq)
res["bn1d_3d"] = [bn1.running_mean.tolist(), bn1.running_var.tolist()]
drop = nn.Dropout2d(0.5).eval()
res["dropout2d_eval"] = torch.equal(drop(x), x)
res["pooling"] = [F.max_pool2d(x, 3, stride=2, padding=1).shape[-1],
                  F.avg_pool2d(x, 2, ceil_mode=True, count_include_pad=False)[0, 0, 0].tolist(),
                  nn.MaxPool2d(2, return_indices=True)(x)[1][0, 0].tolist(),
                  F.adaptive_avg_pool2d(x, (3, 2)).sum().item(),
                  F.lp_pool2d(x.abs(), 2, 2).sum().item()]
print(json.dumps(res))
