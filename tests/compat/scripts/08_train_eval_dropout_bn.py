"""train()/eval(): Dropout and BatchNorm behave differently; running statistics update."""
import json

import numpy as np
import torch
import torch.nn as nn

rng = np.random.default_rng(11)
res = {}

bn = nn.BatchNorm1d(4)
x = torch.from_numpy(rng.standard_normal((8, 4)).astype(np.float32) * 3 + 1)
with torch.no_grad():
    bn.weight.copy_(torch.tensor([1.0, 2.0, 0.5, -1.0]))
    bn.bias.copy_(torch.tensor([0.0, 0.1, 0.2, 0.3]))
y_train = bn(x)
y_train2 = bn(x * 2)
res["bn_train_out"] = y_train.tolist()
res["running_mean"] = bn.running_mean.tolist()
res["running_var"] = bn.running_var.tolist()
res["num_batches"] = bn.num_batches_tracked.item()
bn.eval()
res["bn_eval_out"] = bn(x).tolist()
res["bn_flags"] = [bn.training, bn.momentum, bn.eps, bn.affine, bn.track_running_stats]

bn2 = nn.BatchNorm2d(3, momentum=None)
img = torch.from_numpy(rng.standard_normal((4, 3, 5, 5)).astype(np.float32))
for k in range(3):
    out = bn2(img + k)
res["bn2d_cumulative_mean"] = bn2.running_mean.tolist()
res["bn2d_out_stats"] = [out.mean().item(), out.var(unbiased=False).item()]
bn2.eval()
res["bn2d_eval"] = bn2(img)[0, :, 0, 0].tolist()

# gradients through batch norm in training mode
bn3 = nn.BatchNorm1d(4)
xi = x.clone().requires_grad_(True)
(bn3(xi) * torch.arange(4.0)).pow(2).sum().backward()
res["bn_grad_x"] = xi.grad.tolist()
res["bn_grad_w"] = bn3.weight.grad.tolist()

# dropout: identity in eval; in train, entries are 0 or x / (1 - p)
drop = nn.Dropout(p=0.25)
ones = torch.ones(2000)
drop.train()
d = drop(ones)
vals = sorted(set(round(v, 4) for v in d.tolist()))
res["dropout_values"] = vals
frac = (d == 0).float().mean().item()
res["dropout_rate_ok"] = 0.2 < frac < 0.3
drop.eval()
res["dropout_eval_identity"] = torch.equal(drop(ones), ones)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Dropout(0.5),
                                  nn.Linear(8, 2))

    def forward(self, x):
        return self.body(x)


net = Net()
net.eval()
res["recursive_eval"] = [m.training for m in net.modules()]
net.train()
res["recursive_train"] = all(m.training for m in net.modules())
net.train(False)
res["train_false"] = any(m.training for m in net.modules())
with torch.no_grad():
    for p in net.parameters():
        p.copy_(torch.from_numpy(rng.standard_normal(tuple(p.shape)).astype(np.float32)))
res["eval_deterministic"] = torch.equal(net(x), net(x))
res["eval_out"] = net(x).tolist()
# functional dropout honours its training flag
res["F_dropout_eval"] = torch.equal(nn.functional.dropout(ones, 0.5, training=False), ones)
print(json.dumps(res))
