"""Building tensors the many ways a first lesson shows: nested lists of ints, floats and bools,
arange/linspace/logspace/eye/full, the *_like family, from_numpy (shared memory), .numpy(),
.tolist(), .item(), and the dtype each one infers."""
import json

import numpy as np
import torch


def dt(t):
    """A dtype as plain facts, not its printed name."""
    return [t.is_floating_point(), t.is_complex(), t.element_size(), t.dtype.itemsize]


res = {}
a = torch.tensor([[1, 2, 3], [4, 5, 6]])
b = torch.tensor([[1.0, 2], [3, 4]])
c = torch.tensor([True, False, True])
d = torch.tensor(3)
e = torch.tensor([1, 2.5])
res["infer"] = [dt(a), dt(b), dt(c), dt(d), dt(e), a.dtype == torch.int64, b.dtype == torch.float32,
                c.dtype == torch.bool, d.dim(), list(d.shape)]
res["tolist"] = [a.tolist(), b.tolist(), c.tolist(), d.tolist(), e.tolist()]
res["item"] = [d.item(), b[1, 1].item(), c[0].item(), type(a.sum().item()).__name__]
res["explicit"] = [torch.tensor([1, 2], dtype=torch.float64).tolist(),
                   torch.tensor([0.7, -1.7], dtype=torch.int32).tolist(),
                   torch.tensor([0, 2, 0], dtype=torch.bool).tolist(),
                   torch.tensor(np.array([1, 2], dtype=np.int16)).dtype == torch.int16]

res["arange"] = [torch.arange(5).tolist(), torch.arange(1, 4).tolist(),
                 torch.arange(0, 1, 0.25).tolist(), torch.arange(10, 0, -3).tolist(),
                 torch.arange(5).dtype == torch.int64, torch.arange(0.0, 2).dtype == torch.float32,
                 torch.arange(3, dtype=torch.float64).tolist()]
res["linspace"] = [torch.linspace(0, 1, steps=5).tolist(), torch.linspace(-1, 1, 4).tolist(),
                   torch.linspace(2, 2, 1).tolist(), torch.logspace(0, 2, 3).tolist(),
                   torch.logspace(0, 3, 4, base=2).tolist()]
res["eye_full"] = [torch.eye(3).tolist(), torch.eye(2, 3).tolist(),
                   torch.full((2, 2), 7).tolist(), torch.full((2,), 7).dtype == torch.int64,
                   torch.full((2,), 1.5).tolist(), torch.full((1, 2), True).dtype == torch.bool,
                   torch.zeros(2, 3).tolist(), torch.ones((2,), dtype=torch.long).tolist(),
                   torch.empty(0, 4).shape[0]]
base = torch.tensor([[1.5, 2.5]], dtype=torch.float64)
res["like"] = [torch.zeros_like(base).tolist(), torch.ones_like(base).dtype == torch.float64,
               torch.full_like(base, 3).tolist(), torch.full_like(a, 2.7).tolist(),
               torch.empty_like(a).shape == a.shape, torch.zeros_like(a, dtype=torch.float32).tolist(),
               base.new_zeros(3).dtype == torch.float64, base.new_ones((1, 2)).tolist(),
               base.new_tensor([1, 2]).dtype == torch.float64, base.new_full((2,), 9).tolist()]

# from_numpy shares memory both ways; torch.tensor copies; as_tensor may share
arr = np.arange(6, dtype=np.float32).reshape(2, 3)
shared = torch.from_numpy(arr)
copied = torch.tensor(arr)
arr[0, 0] = 100.0
shared[1, 2] = -5.0
res["sharing"] = [shared[0, 0].item(), float(arr[1, 2]), copied[0, 0].item(),
                  torch.as_tensor(arr).sum().item()]
back = shared.numpy()
res["numpy"] = [back.dtype.name, list(back.shape), back.tolist(),
                torch.from_numpy(np.array([1, 2])).dtype == torch.int64,
                torch.from_numpy(np.array([1.0])).dtype == torch.float64,
                torch.from_numpy(np.array([True])).dtype == torch.bool]
x = torch.tensor([1.0, 2.0], requires_grad=True)
res["detach_numpy"] = (x * 2).detach().numpy().tolist()
res["scalars"] = [float(torch.tensor(2.5)), int(torch.tensor(7)), bool(torch.tensor(0)),
                  torch.tensor([4]).item(), len(torch.zeros(5, 2)), torch.zeros(5, 2).numel(),
                  torch.tensor([[1, 2]]).size(1), torch.tensor([[1, 2]]).size(-1)]
res["stack_scalars"] = torch.stack([torch.tensor(1.0), torch.tensor(2.0)]).tolist()
res["tensor_of_tensors"] = torch.tensor([torch.tensor(1.5).item(), 2]).tolist()
print(json.dumps(res))
