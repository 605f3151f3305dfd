"""Idioms from course notebooks: view(x.size(0), -1), argmax(1).eq(y).sum().item(),
torch.max(out, 1), F.softmax, clip_grad_norm_, frozen parameters, torch.cat/stack, in-place
ops, masks, NumPy."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(21)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(2, 3, kernel_size=3, padding=1)
        self.fc = nn.Linear(3 * 4 * 4, 5)
        self.head = nn.Linear(5, 3)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv(x)), 2)
        x = x.view(x.size(0), -1)
        x = F.dropout(F.relu(self.fc(x)), p=0.5, training=self.training)
        return self.head(x)


net = Net()
for m in net.modules():
    if isinstance(m, (nn.Conv2d, nn.Linear)):
        w = rng.standard_normal(tuple(m.weight.shape)).astype(np.float32) * 0.3
        m.weight.data = torch.from_numpy(w)
        m.bias.data.zero_()
# freeze the conv layer; optimise only what still requires grad
for p in net.conv.parameters():
    p.requires_grad = False
optimizer = optim.SGD(filter(lambda p: p.requires_grad, net.parameters()), lr=0.1, momentum=0.5)
net.eval()  # no dropout: deterministic across libraries

x = torch.from_numpy(rng.standard_normal((10, 2, 8, 8)).astype(np.float32))
y = torch.from_numpy(rng.integers(0, 3, 10))
res = {"trainable": [n for n, p in net.named_parameters() if p.requires_grad]}
log = []
for step in range(5):
    optimizer.zero_grad()
    out = net(x)
    loss = F.cross_entropy(out, y)
    loss.backward()
    total_norm = torch.nn.utils.clip_grad_norm_(net.parameters(), max_norm=0.5)
    optimizer.step()
    correct = out.argmax(1).eq(y).sum().item()
    _, predicted = torch.max(out, 1)
    probs = F.softmax(out, dim=1)
    log.append([loss.item(), float(total_norm), correct, predicted.tolist(),
                probs.max(dim=1)[0].sum().item()])
res["log"] = log
res["conv_grad_none"] = net.conv.weight.grad is None
nn.utils.clip_grad_value_(net.parameters(), clip_value=0.01)
res["clip_value"] = max(p.grad.abs().max().item() for p in net.parameters() if p.grad is not None)

# concatenation, stacking and boolean masks on outputs
with torch.no_grad():
    out = net(x)
feats = torch.cat([out, out.exp()], dim=1)
stacked = torch.stack([out, out * 2], dim=0)
res["cat_stack"] = [list(feats.shape), list(stacked.shape), stacked[1].sum().item()]
mask = out[:, 0] > 0
res["masked_rows"] = out[mask].shape[0]
out[~mask] = 0.0
res["masked_assign"] = out.sum().item()
res["topk"] = out.topk(2, dim=1).indices[:3].tolist()
res["sort"] = torch.sort(out[:, 1], descending=True)[0].tolist()

# in-place arithmetic and the NumPy round trip
t = torch.from_numpy(np.arange(6, dtype=np.float32)).view(2, 3)
t += 1
t *= 2
t.sub_(torch.ones(3))
t.clamp_(max=9)
t[0, :] = -t[0, :]
res["inplace"] = t.tolist()
arr = t.numpy()
res["numpy"] = [arr.dtype.name, list(arr.shape), float(arr.sum())]
idx = torch.tensor([1, 0, 1])
res["fancy"] = [t[idx].tolist(), t[:, [2, 0]].tolist(), t[t > 0].tolist()]
res["eq_mean"] = (torch.tensor([1, 2, 3]) == torch.tensor([1, 0, 3])).float().mean().item()
res["item_types"] = [type(torch.tensor(3).item()).__name__, type(torch.tensor(2.5).item()).__name__,
                     type(torch.tensor(True).item()).__name__]
print(json.dumps(res))
