"""A Dataset subclass returning (tensor, int), through DataLoader(shuffle=True, batch_size)."""
import json

import numpy as np
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset, random_split


def dtype_name(dt):
    names = {torch.float16: "float16", torch.float32: "float32", torch.float64: "float64",
             torch.int32: "int32", torch.int64: "int64", torch.uint8: "uint8", torch.bool: "bool"}
    return names[dt]


class ToyDataset(Dataset):
    def __init__(self, n):
        rng = np.random.default_rng(0)
        self.x = rng.standard_normal((n, 2)).astype(np.float32)
        self.y = (self.x[:, 0] + self.x[:, 1] > 0).astype(np.int64)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, idx):
        return torch.from_numpy(self.x[idx]), int(self.y[idx])


ds = ToyDataset(50)
res = {"len": len(ds)}
sample, label = ds[3]
res["item"] = [list(sample.shape), isinstance(label, int)]

torch.manual_seed(0)
loader = DataLoader(ds, batch_size=8, shuffle=True)
res["n_batches"] = len(loader)
shapes, label_sum, x_sum, dtypes = [], 0, 0.0, set()
for xb, yb in loader:
    shapes.append(list(xb.shape))
    label_sum += yb.sum().item()
    x_sum += xb.sum().item()
    dtypes.add((dtype_name(xb.dtype), dtype_name(yb.dtype)))
res["shapes"] = shapes
res["label_sum"] = label_sum
res["x_sum"] = x_sum
res["dtypes"] = sorted(map(list, dtypes))

# shuffling visits each sample once per epoch, in a different order each epoch
orders = []
index_ds = TensorDataset(torch.arange(20), torch.arange(20) * 2)
for epoch in range(2):
    seen = []
    for idx, dbl in DataLoader(index_ds, batch_size=6, shuffle=True):
        assert torch.equal(dbl, idx * 2)
        seen.extend(idx.tolist())
    orders.append(seen)
res["each_once"] = [sorted(o) == list(range(20)) for o in orders]
res["shuffled"] = orders[0] != list(range(20))

# no shuffle, drop_last, TensorDataset indexing
plain = DataLoader(index_ds, batch_size=6, shuffle=False, drop_last=True)
res["sequential"] = [b[0].tolist() for b in plain]
res["tensor_ds_item"] = [t.item() for t in index_ds[4]]
res["tensor_ds_len"] = len(index_ds)

# dictionary samples collate into dictionaries of batches
class DictDataset(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return {"x": torch.full((2,), float(i)), "y": i, "w": float(i) / 2}


batch = next(iter(DataLoader(DictDataset(), batch_size=5)))
res["dict_batch"] = [sorted(batch), batch["x"].tolist(), batch["y"].tolist(), batch["w"].tolist(),
                     dtype_name(batch["y"].dtype), dtype_name(batch["w"].dtype)]

# random_split keeps sizes
gen = torch.Generator().manual_seed(42)
train_ds, val_ds = random_split(ds, [40, 10], generator=gen)
res["split"] = [len(train_ds), len(val_ds)]
res["split_disjoint"] = len(set(train_ds.indices) | set(val_ds.indices)) == 50

# a training loop over the loader
model = torch.nn.Linear(2, 2)
with torch.no_grad():
    model.weight.zero_()
    model.bias.zero_()
opt = torch.optim.SGD(model.parameters(), lr=0.5)
for epoch in range(5):
    for xb, yb in DataLoader(ds, batch_size=10, shuffle=True):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(xb), yb).backward()
        opt.step()
full_x = torch.stack([ds[i][0] for i in range(len(ds))])
full_y = torch.tensor([ds[i][1] for i in range(len(ds))])
res["trained_acc_high"] = (model(full_x).argmax(1) == full_y).float().mean().item() > 0.85
print(json.dumps(res))
