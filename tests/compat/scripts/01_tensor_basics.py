"""Tensor basics: creation, dtypes, broadcasting, reductions, reshaping, indexing, NumPy bridge."""
import json

import numpy as np
import torch


def dtype_name(dt):
    names = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
             torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}
    return names[dt]

rng = np.random.default_rng(0)
a_np = rng.standard_normal((3, 4)).astype(np.float32)
a = torch.from_numpy(a_np)
b = torch.tensor([1.0, 2.0, 3.0, 4.0])
res = {}

# creation and dtypes
z = torch.zeros(2, 3)
o = torch.ones((2, 3), dtype=torch.int64)
r = torch.arange(0, 10, 2)
ls = torch.linspace(0, 1, steps=5)
e = torch.eye(3)
f = torch.full((2, 2), 7.5)
res["dtypes"] = [dtype_name(t.dtype) for t in (z, o, r, ls, a, torch.tensor([1, 2]),
                                                torch.tensor([True]), torch.tensor(2.5))]
res["dtype_eq"] = [z.dtype == torch.float32, o.dtype == torch.long, r.dtype is torch.int64,
                   a.is_floating_point(), o.is_floating_point()]
res["shapes"] = [list(z.shape), list(o.size()), r.numel(), e.dim(), list(f.shape)]
res["arange"] = r.tolist()
res["linspace"] = ls.tolist()
res["zeros_like"] = torch.zeros_like(a).sum().item() + torch.ones_like(a).sum().item()
res["float_cast"] = o.float().mean().item()
res["int_cast"] = (a * 10).long().tolist()

# broadcasting and arithmetic
res["bcast_add"] = (a + b).tolist()
res["bcast_col"] = (a * torch.tensor([[1.0], [2.0], [3.0]])).tolist()
res["ops"] = [(a ** 2).sum().item(), (a / 2 - 1).abs().max().item(), torch.exp(a).mean().item(),
              a.clamp(min=-0.5, max=0.5).sum().item(), torch.sqrt(a.abs()).sum().item()]
res["matmul"] = (a @ a.T).tolist()
res["mm"] = torch.mm(a, a.t()).trace().item()
res["outer"] = torch.outer(b, b).sum().item()

# reductions
res["reductions"] = [a.sum().item(), a.mean().item(), a.std().item(), a.var(unbiased=False).item(),
                     a.max().item(), a.min().item(), a.prod().item(), a.norm().item()]
res["dim_reductions"] = [a.sum(dim=0).tolist(), a.mean(1, keepdim=True).tolist(),
                         a.argmax(dim=1).tolist(), a.argmin(0).tolist()]
vals, idx = a.max(dim=1)
res["max_dim"] = [vals.tolist(), idx.tolist()]
res["cumsum"] = a.cumsum(dim=1).tolist()

# reshaping
x = torch.arange(24).float()
res["view"] = list(x.view(2, 3, 4).shape) + list(x.view(-1, 6).shape)
res["reshape_permute"] = x.reshape(2, 3, 4).permute(2, 0, 1).contiguous().view(4, -1).tolist()
res["transpose"] = x.view(4, 6).transpose(0, 1)[0].tolist()
res["unsqueeze"] = [list(b.unsqueeze(0).shape), list(b.unsqueeze(-1).shape),
                    list(torch.zeros(1, 3, 1).squeeze().shape)]
res["flatten"] = list(x.view(2, 3, 4).flatten(1).shape)
res["cat"] = torch.cat([a, a], dim=0).shape[0] + torch.cat((a, a), 1).shape[1]
res["stack"] = list(torch.stack([b, b, b]).shape) + list(torch.stack([b, b], dim=1).shape)
chunks = torch.arange(10).chunk(3)
res["chunk"] = [c.tolist() for c in chunks]
res["split"] = [s.tolist() for s in torch.arange(7).split(3)]

# indexing
res["index"] = [a[0, 1].item(), a[:, 1].tolist(), a[1:, ::2].tolist(), a[-1].tolist()]
mask = a > 0
res["mask"] = [mask.sum().item(), a[mask].tolist()]
res["fancy"] = a[[0, 2], [1, 3]].tolist()
res["where"] = torch.where(a > 0, a, torch.zeros_like(a)).tolist()
res["nonzero"] = (a > 0.5).nonzero().tolist()

# in-place ops
c = a.clone()
c.add_(1).mul_(2)
c[c < 1] = 0.0
c[0] = torch.tensor([9.0, 8.0, 7.0, 6.0])
res["inplace"] = c.tolist()

# NumPy bridge shares memory both ways
n = np.ones(3, dtype=np.float32)
t = torch.from_numpy(n)
np.add(n, 1, out=n)
res["from_numpy_shares"] = t.tolist()
t2 = torch.ones(3)
n2 = t2.numpy()
t2.add_(2)
res["numpy_shares"] = n2.tolist()
res["comparisons"] = [torch.equal(a, a.clone()), torch.allclose(a, a + 1e-9),
                      bool((a == a).all()), bool((a > 10).any())]
print(json.dumps(res))
