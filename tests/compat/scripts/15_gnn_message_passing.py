"""GNN-style message passing with index_add_, scatter_add_ and gather, trained a few steps."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(9)
num_nodes = 6
edge_index = torch.tensor([[0, 1, 1, 2, 3, 4, 5, 0, 2],
                           [1, 0, 2, 1, 4, 3, 0, 5, 3]])
x = torch.from_numpy(rng.standard_normal((num_nodes, 4)).astype(np.float32))
y = torch.tensor([0, 1, 0, 1, 1, 0])


class MeanConv(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.lin_self = nn.Linear(cin, cout)
        self.lin_nbr = nn.Linear(cin, cout, bias=False)

    def forward(self, x, edge_index):
        src, dst = edge_index
        messages = self.lin_nbr(x)[src]
        agg = torch.zeros(x.size(0), messages.size(1), dtype=x.dtype)
        agg = agg.index_add(0, dst, messages)
        deg = torch.zeros(x.size(0)).index_add_(0, dst, torch.ones(dst.numel()))
        agg = agg / deg.clamp(min=1).unsqueeze(1)
        return self.lin_self(x) + agg


class GNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = MeanConv(4, 8)
        self.conv2 = MeanConv(8, 2)

    def forward(self, x, edge_index):
        h = F.relu(self.conv1(x, edge_index))
        return self.conv2(h, edge_index)


model = GNN()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.4).astype(np.float32)))
opt = torch.optim.Adam(model.parameters(), lr=0.05)
losses = []
for epoch in range(15):
    opt.zero_grad()
    out = model(x, edge_index)
    loss = F.cross_entropy(out, y)
    loss.backward()
    opt.step()
    losses.append(loss.item())

res = {"losses": losses}
# scatter_add_ / scatter / gather building blocks
src = torch.arange(1.0, 10.0).view(3, 3)
index = torch.tensor([[0, 1, 2], [2, 0, 0], [1, 1, 1]])
res["scatter_add"] = torch.zeros(3, 3).scatter_add_(0, index, src).tolist()
res["scatter"] = torch.zeros(3, 4).scatter_(1, torch.tensor([[0], [3], [1]]), 5.0).tolist()
res["gather"] = torch.gather(src, 1, index).tolist()
one_hot = torch.zeros(4, 3).scatter_(1, torch.tensor([[2], [0], [1], [2]]), 1.0)
res["one_hot"] = [one_hot.tolist(), F.one_hot(torch.tensor([2, 0, 1, 2]), num_classes=3).tolist()]

# gradient through gather and index_add
w = torch.ones(3, 3, requires_grad=True)
g = torch.gather(w * src, 1, index).sum() + torch.zeros(2, 3).index_add(0, torch.tensor([1, 1, 0]),
                                                                       w).pow(2).sum()
g.backward()
res["grad_w"] = w.grad.tolist()

# node degree with bincount and neighbourhood sum by sparse-free adjacency matmul
res["degree"] = torch.bincount(edge_index[1], minlength=num_nodes).tolist()
adj = torch.zeros(num_nodes, num_nodes)
adj[edge_index[1], edge_index[0]] = 1.0
res["adj_sum"] = (adj @ x).sum(1).tolist()
res["pred"] = model(x, edge_index).argmax(dim=-1).tolist()
print(json.dumps(res))
