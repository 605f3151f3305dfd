"""A graph attention network in the dense form of the PyTorch examples' GAT: per-head linear
maps through a weight of shape (in, heads * hidden) created with torch.empty(size=...), source
and target scores from the two halves of an attention vector, LeakyReLU, masking non-edges with
torch.where(adj > 0, e, -9e16) before a softmax over neighbours, concatenated or averaged
heads, ELU between layers, log-softmax and NLL over a random node split, trained with Adam and
weight decay; the adjacency is built from an edge list with self-loops."""
import json

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

# compat: rtol=1e-3 atol=1e-5
rng = np.random.default_rng(75)


class GraphAttention(nn.Module):
    def __init__(self, fin, hidden, heads, concat, slope=0.2):
        super().__init__()
        self.heads, self.hidden, self.concat = heads, hidden, concat
        self.W = nn.Parameter(torch.empty(size=(fin, hidden * heads)))
        self.a = nn.Parameter(torch.empty(size=(heads, 2 * hidden, 1)))
        self.act = nn.LeakyReLU(slope)
        for p in (self.W, self.a):
            p.data.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.3)
                                          .astype(np.float32)))

    def forward(self, h, adj):
        n = h.shape[0]
        wh = torch.mm(h, self.W).view(n, self.heads, self.hidden).permute(1, 0, 2)
        src = torch.matmul(wh, self.a[:, :self.hidden, :])
        dst = torch.matmul(wh, self.a[:, self.hidden:, :])
        e = self.act(src + dst.mT)
        e = torch.where(adj > 0, e, -9e16 * torch.ones_like(e))
        att = F.softmax(e, dim=-1)
        out = torch.matmul(att, wh)
        if self.concat:
            return out.permute(1, 0, 2).contiguous().view(n, self.heads * self.hidden)
        return out.mean(dim=0)


class GAT(nn.Module):
    def __init__(self, fin, hidden, classes, heads):
        super().__init__()
        self.l1 = GraphAttention(fin, hidden, heads, concat=True)
        self.l2 = GraphAttention(hidden * heads, classes, 1, concat=False)

    def forward(self, x, adj):
        return F.log_softmax(self.l2(F.elu(self.l1(x, adj)), adj), dim=1)


n, fin = 12, 5
edges = rng.integers(0, n, size=(2, 20))
adj = torch.zeros(n, n)
adj[torch.from_numpy(edges[0]), torch.from_numpy(edges[1])] = 1.0
adj = ((adj + adj.t() + torch.eye(n)) > 0).float()
x = torch.from_numpy(rng.standard_normal((n, fin)).astype(np.float32))
labels = torch.from_numpy(rng.integers(0, 3, n))
idx = torch.from_numpy(rng.permutation(n))
train, test = idx[:8], idx[8:]
model = GAT(fin, 4, 3, heads=2)
opt = torch.optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
crit = nn.NLLLoss()
log = []
for epoch in range(4):
    model.train()
    opt.zero_grad()
    out = model(x, adj)
    loss = crit(out[train], labels[train])
    loss.backward()
    opt.step()
    model.eval()
    with torch.no_grad():
        out = model(x, adj)
        acc = (out[test].argmax(dim=1) == labels[test]).float().sum() / len(test)
    log.append([loss.item(), crit(out[test], labels[test]).item(), acc.item()])
res = {"log": log, "degrees": adj.sum(1).tolist(), "params": [
    [name, list(p.shape)] for name, p in model.named_parameters()],
       "probs_row0": out[0].exp().tolist()}
print(json.dumps(res))
