"""Shape gymnastics: view/reshape with -1, squeeze/unsqueeze, permute/transpose and contiguity,
expand vs repeat, chunk/split/unbind, flatten/unflatten, movedim, einsum, broadcasting rules,
stride(), narrow, roll/flip, repeat_interleave, and the gradients through them."""
import json

import numpy as np
import torch

rng = np.random.default_rng(37)
res = {}
x = torch.arange(24.0).view(2, 3, 4)
res["view"] = [list(x.view(-1, 4).shape), list(x.view(6, -1).shape), list(x.reshape(4, -1).shape),
               list(x.view(2, -1).shape), x.view(-1).tolist()[:5], list(x.flatten().shape),
               list(x.flatten(1).shape), list(x.flatten(0, 1).shape),
               list(x.unflatten(2, (2, 2)).shape), list(x.view_as(torch.zeros(4, 6)).shape)]
y = torch.zeros(1, 3, 1, 2)
res["squeeze"] = [list(y.squeeze().shape), list(y.squeeze(0).shape), list(y.squeeze(1).shape),
                  list(y.squeeze(-2).shape), list(y.unsqueeze(0).shape), list(y.unsqueeze(-1).shape),
                  list(y[:, None].shape), list(y.squeeze((0, 2)).shape),
                  list(torch.tensor(5.0).unsqueeze(0).shape)]
p = x.permute(2, 0, 1)
t = x.transpose(0, 2)
res["permute"] = [list(p.shape), p.is_contiguous(), p.contiguous().is_contiguous(), list(p.stride()),
                  list(x.stride()), x.stride(1), list(t.shape), t[1, 2, 0].item(), list(x.mT.shape),
                  list(x.movedim(0, -1).shape), list(torch.swapaxes(x, 0, 1).shape),
                  x.t().shape[0] if x.dim() == 2 else torch.zeros(2, 5).t().shape[0],
                  list(x.permute(0, 2, 1).reshape(2, -1).shape), p.reshape(-1)[:6].tolist()]
v = torch.tensor([[1.0], [2.0]])
res["expand_repeat"] = [v.expand(2, 3).tolist(), v.expand(-1, 2).tolist(), v.repeat(2, 3).tolist(),
                        list(v.expand(4, 2, 5).shape), v.expand(2, 3).stride()[1],
                        v.expand_as(torch.zeros(2, 4)).shape[1], torch.tensor([1, 2]).repeat(3)
                        .tolist(), torch.tile(torch.tensor([1, 2]), (2, 2)).tolist(),
                        torch.tensor([1, 2, 3]).repeat_interleave(2).tolist(),
                        torch.tensor([1, 2, 3]).repeat_interleave(torch.tensor([1, 0, 2])).tolist(),
                        torch.tensor([[1, 2], [3, 4]]).repeat_interleave(2, dim=0).tolist()]
a = torch.arange(10)
res["split"] = [[c.tolist() for c in a.chunk(3)], [c.tolist() for c in a.split(4)],
                [c.tolist() for c in a.split([2, 3, 5])], [c.tolist() for c in torch.chunk(a, 4)],
                [list(c.shape) for c in x.split(2, dim=2)], [c.tolist() for c in x[0].unbind(1)],
                [c.tolist() for c in torch.tensor_split(a, 3)],
                [c.tolist() for c in torch.tensor_split(a, [2, 7])], a.narrow(0, 3, 4).tolist()]
res["roll_flip"] = [a.roll(3).tolist(), x[0].roll(1, dims=1).tolist(), x[0].flip(0).tolist(),
                    x[0].fliplr().tolist(), torch.rot90(x[0], 1, (0, 1)).tolist(),
                    torch.tensor([[1, 2], [3, 4]]).roll(shifts=(1, 1), dims=(0, 1)).tolist()]
A = torch.from_numpy(rng.standard_normal((2, 3, 4)).astype(np.float32))
B = torch.from_numpy(rng.standard_normal((2, 4, 5)).astype(np.float32))
res["einsum"] = [torch.einsum("bij,bjk->bik", A, B).tolist(), torch.einsum("bii->b", A[:, :, :3])
                 .tolist(), torch.einsum("ij->ji", A[0]).tolist(),
                 torch.einsum("bij->", A).item(), torch.einsum("i,j->ij", A[0, 0], A[1, 0]).tolist(),
                 torch.einsum("...j,...j->...", A, A).tolist(),
                 torch.einsum("bij,bkj->bik", [A, A]).tolist()]
res["broadcast"] = [list((torch.ones(3, 1) + torch.ones(4)).shape),
                    list((torch.ones(2, 1, 4) * torch.ones(3, 1)).shape),
                    list(torch.broadcast_shapes((2, 1), (1, 3), (3,))),
                    [list(t.shape) for t in torch.broadcast_tensors(torch.ones(2, 1), torch.ones(3))],
                    (torch.arange(3).view(3, 1) - torch.arange(3)).tolist(),
                    (torch.arange(3.0) / torch.tensor([[1.0], [2.0]])).tolist()]
try:
    torch.ones(2, 3) + torch.ones(4)
    res["bad_broadcast"] = "ok"
except RuntimeError:
    res["bad_broadcast"] = "RuntimeError"
w = torch.from_numpy(rng.standard_normal((2, 3, 4)).astype(np.float32)).requires_grad_()
out = (w.permute(1, 0, 2).reshape(3, 8)[:, ::3] * torch.arange(3.0)).sum() + \
    w.unsqueeze(0).expand(3, 2, 3, 4).sum() * 0.5 + w.flip(2).cumsum(2)[..., -1].sum() + \
    torch.stack(w.chunk(2, dim=2), 0).prod(0).sum()
out.backward()
res["grad"] = [out.item(), w.grad.tolist()]
print(json.dumps(res))
