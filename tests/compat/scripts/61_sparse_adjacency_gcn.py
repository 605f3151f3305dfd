"""A GCN as the classic tutorials write it (Kipf & Welling's pygcn): the normalised adjacency
D^-1/2 (A + I) D^-1/2 as a sparse COO tensor, GraphConvolution layers computing
torch.spmm(adj, input @ W), trained with Adam on a node mask; plus the sparse tensor's queries,
coalescing, to_dense, torch.sparse.sum / softmax, and learnable edge weights."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(61)
N, C = 24, 3
labels = torch.from_numpy(np.repeat(np.arange(C), N // C))
src = rng.integers(0, N, 60)
dst = np.where(rng.random(60) < 0.8, (src // (N // C)) * (N // C) + rng.integers(0, N // C, 60),
               rng.integers(0, N, 60))
edge_index = torch.from_numpy(np.stack([np.r_[src, dst, np.arange(N)],
                                        np.r_[dst, src, np.arange(N)]]))
adj = torch.sparse_coo_tensor(edge_index, torch.ones(edge_index.size(1)), (N, N)).coalesce()
vals = torch.ones(adj._nnz())  # repeated edges counted once
deg = torch.sparse.sum(torch.sparse_coo_tensor(adj.indices(), vals, (N, N)), 1).to_dense()
d = deg.pow(-0.5)
row, col = adj.indices()
adj = torch.sparse_coo_tensor(adj.indices(), d[row] * vals * d[col], (N, N))
res = {"nnz": adj._nnz(), "is_sparse": adj.is_sparse, "coalesced": adj.is_coalesced(),
       "sparse_dim": adj.sparse_dim(), "dense_dim": adj.dense_dim(),
       "dense_sym": torch.allclose(adj.to_dense(), adj.to_dense().t()),
       "row_sums": torch.sparse.sum(adj, 1).to_dense().tolist()[:6]}
features = torch.from_numpy(rng.standard_normal((N, 8)).astype(np.float32))
features[:, :C] += 1.5 * F.one_hot(labels, C).float()


class GraphConvolution(nn.Module):
    def __init__(self, in_features, out_features):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(in_features, out_features))
        self.bias = nn.Parameter(torch.empty(out_features))
        stdv = 1.0 / out_features ** 0.5
        self.weight.data.uniform_(-stdv, stdv)
        self.bias.data.uniform_(-stdv, stdv)

    def forward(self, input, adj):
        support = torch.mm(input, self.weight)
        output = torch.spmm(adj, support)
        return output + self.bias


class GCN(nn.Module):
    def __init__(self, nfeat, nhid, nclass):
        super().__init__()
        self.gc1 = GraphConvolution(nfeat, nhid)
        self.gc2 = GraphConvolution(nhid, nclass)

    def forward(self, x, adj):
        x = F.relu(self.gc1(x, adj))
        return F.log_softmax(self.gc2(x, adj), dim=1)


model = GCN(8, 16, C)
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.3).astype(np.float32)))
opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
train = torch.from_numpy(rng.random(N) < 0.5)
log = []
for epoch in range(15):
    opt.zero_grad()
    out = model(features, adj)
    loss = F.nll_loss(out[train], labels[train])
    loss.backward()
    opt.step()
    acc = (out.argmax(1)[~train] == labels[~train]).float().mean().item()
    log.append([round(loss.item(), 5), acc])
res["log"] = log
support = features @ model.gc1.weight
res["dense_equals_sparse"] = torch.allclose(adj.to_dense() @ support,
                                            torch.sparse.mm(adj, support), atol=1e-5)

# learnable edge weights: the gradient reaches the values
w = adj.coalesce().values().clone().requires_grad_()
a2 = torch.sparse_coo_tensor(adj.coalesce().indices(), w, (N, N))
(torch.sparse.mm(a2, features) ** 2).sum().backward()
res["edge_grad"] = [round(float(g), 4) for g in w.grad[:8]]
res["edge_grad_sum"] = float(w.grad.sum())

# attention-style normalisation over each row's stored entries
att = torch.sparse.softmax(torch.sparse_coo_tensor(adj.coalesce().indices(),
                                                   torch.from_numpy(rng.standard_normal(
                                                       adj._nnz()).astype(np.float32)),
                                                   (N, N)), dim=1)
res["att_row_sums"] = torch.sparse.sum(att, 1).to_dense().tolist()[:5]
print(json.dumps(res))
