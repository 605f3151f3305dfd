"""Idioms from older tutorials and NumPy habits: torch.Tensor(...) and FloatTensor/LongTensor
constructors, axis=/keepdims= keywords, lists of NumPy scalars and of one-element tensors turned
into tensors, f-strings of 0-d tensors in log lines, comparisons with lists, and bool masks."""
import json

import numpy as np
import torch
import torch.nn as nn

res = {}
w = torch.Tensor(3, 2)             # legacy constructor: uninitialised floats of that shape
w.fill_(0.5)
b = torch.Tensor([1, 2])           # legacy constructor from data: always the default float
res["legacy"] = [list(w.shape), w.is_floating_point(), b.tolist(), b.is_floating_point(),
                 torch.Tensor().numel(), torch.FloatTensor([[1, 2]]).tolist(),
                 torch.LongTensor([1.7, 2.2]).tolist(), torch.LongTensor(3).shape[0],
                 torch.Tensor(torch.Size([2, 2])).shape[1], torch.DoubleTensor([1]).element_size(),
                 isinstance(torch.ones(2), torch.FloatTensor)]

x = torch.arange(12.0).reshape(3, 4)
res["numpy_kw"] = [x.sum(axis=0).tolist(), x.mean(axis=1, keepdims=True).tolist(),
                   torch.max(x, axis=1).values.tolist(), x.argmax(axis=0).tolist(),
                   torch.cat([x, x], axis=0).shape[0], x.std(axis=1).tolist(),
                   torch.sum(x > 5, axis=1).tolist(), x.min(axis=0).indices.tolist()]

# statistics computed with NumPy then gathered into tensors (float64 scalars make float64)
data = np.random.default_rng(49).normal(size=(5, 3))
stats = torch.tensor([data.mean(), data.std(), float(data.max())])
res["np_scalars"] = [stats.element_size(), stats.tolist(),
                     torch.tensor([np.float32(1.5), 2]).element_size(),
                     torch.tensor([np.int32(3), np.int32(4)]).element_size(),
                     torch.tensor(np.float32(2.5)).element_size()]
losses = [torch.tensor(0.5), torch.tensor(0.25, dtype=torch.float64), torch.tensor([0.125])]
hist = torch.tensor(losses)
res["tensor_list"] = [hist.tolist(), list(hist.shape), hist.element_size(),
                      torch.stack(losses[:2]).tolist(), torch.tensor([l.item() for l in losses])
                      .tolist()]

# log lines: a 0-d tensor in an f-string prints as its number
model = nn.Linear(2, 1)
with torch.no_grad():
    model.weight.copy_(torch.tensor([[0.5, -0.25]]))
    model.bias.fill_(0.125)
loss = ((model(torch.ones(4, 2)) - 1.0) ** 2).mean()
acc = torch.tensor(3) / 4
lines = [f"epoch 1 loss {loss:.4f}", f"acc {acc}", f"{torch.tensor(7)} correct",
         f"raw {loss.item():.3f}", "{:.2f}".format(torch.tensor(2.0)),
         "{} / {}".format(torch.tensor(3), 4), f"{torch.tensor(True)}", f"{acc:.1%}"]
res["lines"] = lines
res["comparisons"] = [torch.tensor([1, 2]) == [1, 2], torch.tensor([1, 2]) != [1, 2],
                      torch.tensor(1.0) == None,  # noqa: E711
                      (torch.tensor([1, 2]) == torch.tensor([1, 2])).all().item(),
                      torch.tensor([1, 2]).tolist() == [1, 2], torch.equal(torch.tensor([1]),
                                                                           torch.tensor([1]))]
mask = torch.tensor([True, False, True])
try:
    -mask
    res["neg_bool"] = "ok"
except RuntimeError:
    res["neg_bool"] = "RuntimeError"
res["mask_math"] = [(~mask).tolist(), mask.logical_not().sum().item(), (mask * 1).tolist(),
                    mask.float().tolist(), (1 - mask.int()).tolist(), mask.sum().item()]
print(json.dumps(res))
