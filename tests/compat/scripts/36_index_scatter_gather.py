"""Indexing ops a tutorial on "advanced indexing" walks through: gather/scatter_/scatter_add_,
index_select/index_add_/index_fill_/index_copy_, masked_fill/masked_select, nonzero, topk, sort,
argsort, unique, cumsum, bincount, one_hot, take, and their gradients."""
import json

import numpy as np
import torch
import torch.nn.functional as F

rng = np.random.default_rng(36)
res = {}
x = torch.from_numpy(rng.standard_normal((4, 5)).astype(np.float32)).requires_grad_()
idx = torch.tensor([[0, 2], [1, 1], [4, 3], [0, 0]])
g = x.gather(1, idx)
res["gather"] = g.tolist()
(g * torch.arange(8.0).view(4, 2)).sum().backward()
res["gather_grad"] = x.grad.tolist()

z = torch.zeros(3, 5)
src = torch.arange(1.0, 11.0).view(2, 5)
res["scatter_"] = z.clone().scatter_(0, torch.tensor([[0, 1, 2, 0, 0], [2, 0, 0, 1, 2]]),
                                     src).tolist()
res["scatter_value"] = z.clone().scatter_(1, torch.tensor([[1], [3], [0]]), 2.5).tolist()
res["scatter_add_"] = torch.zeros(3).scatter_add_(0, torch.tensor([0, 1, 0, 2, 1]),
                                                  torch.tensor([1.0, 2, 3, 4, 5])).tolist()
res["scatter_reduce"] = torch.zeros(3).scatter_reduce(0, torch.tensor([0, 1, 0, 2, 1]),
                                                      torch.tensor([1.0, 2, 3, 4, 5]), "amax",
                                                      include_self=False).tolist()
labels = torch.tensor([2, 0, 1, 2])
res["onehot_scatter"] = torch.zeros(4, 3).scatter_(1, labels.unsqueeze(1), 1).tolist()
oh = F.one_hot(labels)
res["one_hot"] = [oh.tolist(), oh.dtype == torch.int64, F.one_hot(labels, num_classes=5).shape[1]]

w = x.detach().clone().requires_grad_()
sel = w.index_select(0, torch.tensor([3, 0, 3]))
(sel ** 2).sum().backward()
res["index_select"] = [sel.tolist(), w.grad.tolist()]
acc = torch.zeros(3, 5)
acc.index_add_(0, torch.tensor([0, 2, 0, 1]), x.detach())
res["index_add_"] = acc.tolist()
res["index_add_alpha"] = torch.ones(3).index_add(0, torch.tensor([1, 1]), torch.tensor([2.0, 3.0]),
                                                 alpha=-1).tolist()
res["index_fill_"] = torch.arange(6.0).view(2, 3).index_fill_(1, torch.tensor([0, 2]), -1).tolist()
res["index_copy_"] = torch.zeros(3, 2).index_copy_(0, torch.tensor([2, 0]),
                                                   torch.tensor([[1.0, 2], [3, 4]])).tolist()

m = x.detach() > 0.5
res["masked_fill"] = x.detach().masked_fill(m, 0.0).tolist()
res["masked_fill_inf"] = x.detach().masked_fill(~m, float("-inf")).softmax(1)[0].tolist()
res["masked_select"] = x.detach().masked_select(m).tolist()
res["nonzero"] = [m.nonzero().tolist(), [t.tolist() for t in m.nonzero(as_tuple=True)],
                  torch.nonzero(torch.tensor([0, 3, 0, 1])).squeeze(1).tolist(),
                  torch.argwhere(m).shape[0]]
vals, inds = x.detach().topk(3, dim=1)
res["topk"] = [vals.tolist(), inds.tolist(),
               x.detach().topk(2, dim=0, largest=False).indices.tolist(),
               torch.topk(torch.tensor([3, 1, 4, 1, 5]), 2).values.tolist()]
s = torch.tensor([3, 1, 4, 1, 5, 9, 2, 6])
res["sort"] = [s.sort().values.tolist(), s.sort(descending=True).indices.tolist(),
               torch.sort(s, stable=True).indices.tolist(), s.argsort().tolist(),
               s.argsort(descending=True).tolist(), x.detach().sort(dim=0)[1].tolist(),
               torch.msort(torch.tensor([[2, 1], [0, 3]])).tolist()]
u = torch.tensor([4, 1, 2, 4, 1, 1, 7])
uniq, inv, cnt = torch.unique(u, return_inverse=True, return_counts=True)
res["unique"] = [uniq.tolist(), inv.tolist(), cnt.tolist(), torch.unique(u, sorted=True).tolist(),
                 torch.unique_consecutive(torch.tensor([1, 1, 2, 2, 3, 1])).tolist(),
                 torch.unique(torch.tensor([[1, 2], [1, 2], [0, 1]]), dim=0).tolist()]
res["cumsum"] = [torch.arange(1, 6).cumsum(0).tolist(), x.detach().cumsum(dim=1)[1].tolist(),
                 torch.tensor([1.0, 2, 3]).cumprod(0).tolist(),
                 torch.cummax(torch.tensor([1, 3, 2, 5, 4]), 0).values.tolist()]
res["bincount"] = [torch.bincount(u).tolist(), torch.bincount(u, minlength=10).tolist(),
                   torch.bincount(torch.tensor([0, 1, 1]), weights=torch.tensor([0.5, 1.0, 2.0]))
                   .tolist(), torch.histc(torch.tensor([1.0, 2, 1, 4]), bins=4, min=0, max=4)
                   .tolist()]
res["take"] = [torch.take(torch.arange(12).view(3, 4), torch.tensor([0, 5, 11])).tolist(),
               torch.take_along_dim(x.detach(), inds, dim=1).tolist(),
               torch.searchsorted(torch.tensor([1, 3, 5, 7]), torch.tensor([0, 3, 6, 9])).tolist(),
               torch.bucketize(torch.tensor([0.5, 3.0, 6.0]), torch.tensor([1.0, 3.0, 5.0]))
               .tolist()]
res["fancy"] = [x.detach()[[0, 2], [1, 3]].tolist(), x.detach()[:, torch.tensor([True, False, True,
                                                                                 False, True])]
                .shape[1], x.detach()[torch.arange(4), labels].tolist(),
                x.detach()[..., -1].tolist(), x.detach()[None, 1:3, ::2].shape[0]]
print(json.dumps(res))
