"""Graph convolution as in a GNN chapter: an edge list made symmetric, self-loops, the normalised
adjacency D^-1/2 (A+I) D^-1/2 built densely and as edge weights, message passing with index_add_
and scatter_add_, a two-layer GCN trained on a node mask, attention-style edge softmax by hand,
and graph-level readout with a batch vector."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(53)
N = 7
edges = torch.tensor([[0, 1], [1, 2], [2, 0], [3, 4], [4, 5], [5, 6], [6, 3], [2, 3]]).t()
edge_index = torch.cat([edges, edges.flip(0)], dim=1)
self_loops = torch.arange(N).unsqueeze(0).repeat(2, 1)
ei = torch.cat([edge_index, self_loops], dim=1)
src, dst = ei[0], ei[1]
deg = torch.zeros(N).index_add_(0, dst, torch.ones(ei.size(1)))
norm = deg[src].rsqrt() * deg[dst].rsqrt()
A = torch.zeros(N, N)
A[edge_index[0], edge_index[1]] = 1.0
A_hat = A + torch.eye(N)
D_inv_sqrt = torch.diag(A_hat.sum(1).pow(-0.5))
A_norm = D_inv_sqrt @ A_hat @ D_inv_sqrt
res = {"deg": deg.tolist(), "norm_matches_dense": torch.allclose(A_norm[dst, src], norm),
       "A_sym": torch.equal(A, A.t()), "n_edges": ei.size(1)}

X = torch.from_numpy(rng.standard_normal((N, 5)).astype(np.float32))
y = torch.tensor([0, 0, 0, 1, 1, 1, 1])
train_mask = torch.tensor([True, False, True, True, False, True, False])


class GCNLayer(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.lin = nn.Linear(cin, cout, bias=False)
        self.bias = nn.Parameter(torch.zeros(cout))

    def forward(self, x):
        h = self.lin(x)
        msg = h[src] * norm.unsqueeze(-1)
        out = torch.zeros_like(h).index_add_(0, dst, msg)
        return out + self.bias


class GCN(nn.Module):
    def __init__(self):
        super().__init__()
        self.l1, self.l2 = GCNLayer(5, 8), GCNLayer(8, 2)

    def forward(self, x):
        return self.l2(F.dropout(F.relu(self.l1(x)), p=0.5, training=self.training))


model = GCN()
with torch.no_grad():
    for p in model.parameters():
        p.copy_(torch.from_numpy((rng.standard_normal(tuple(p.shape)) * 0.4).astype(np.float32)))
model.eval()
opt = torch.optim.Adam(model.parameters(), lr=0.05, weight_decay=5e-4)
log = []
for epoch in range(8):
    opt.zero_grad()
    out = model(X)
    loss = F.cross_entropy(out[train_mask], y[train_mask])
    loss.backward()
    opt.step()
    pred = out.argmax(dim=1)
    acc = (pred[~train_mask] == y[~train_mask]).sum().item() / int((~train_mask).sum())
    log.append([loss.item(), acc])
res["log"] = log
dense = A_norm @ (X @ model.l1.lin.weight.t()) + model.l1.bias
res["dense_equals_sparse"] = torch.allclose(dense, model.l1(X), atol=1e-5)

# edge softmax (GAT-style): scores per edge normalised over each destination node
a = torch.from_numpy(rng.standard_normal(10).astype(np.float32)).requires_grad_()
h = X @ torch.from_numpy(rng.standard_normal((5, 5)).astype(np.float32))
e = F.leaky_relu((torch.cat([h[src], h[dst]], dim=1) * a).sum(1), 0.2)
emax = torch.full((N,), float("-inf")).scatter_reduce(0, dst, e, reduce="amax")
ex = (e - emax[dst]).exp()
denom = torch.zeros(N).scatter_add_(0, dst, ex)
alpha = ex / denom[dst]
agg = torch.zeros(N, 5).index_add_(0, dst, alpha.unsqueeze(1) * h[src])
agg.sum().backward()
res["edge_softmax"] = [alpha.tolist(), torch.zeros(N).index_add_(0, dst, alpha).tolist(),
                       a.grad.tolist()]
# graph-level readout for a batch of two graphs
batch = torch.tensor([0, 0, 0, 1, 1, 1, 1])
counts = torch.bincount(batch).float()
mean_pool = torch.zeros(2, 5).index_add_(0, batch, X) / counts.unsqueeze(1)
max_pool = torch.full((2, 5), float("-inf")).scatter_reduce(
    0, batch.unsqueeze(1).expand(-1, 5), X, reduce="amax", include_self=True)
res["readout"] = [mean_pool.tolist(), max_pool.tolist(), counts.tolist()]
res["degree_hist"] = torch.bincount(deg.long()).tolist()
print(json.dumps(res))
