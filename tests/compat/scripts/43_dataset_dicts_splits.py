"""Data pipelines from tutorials: a Dataset returning dicts and nested tuples, default collation of
dicts/tuples/NumPy arrays/ints/floats/strings, a custom collate_fn padding variable lengths,
TensorDataset, random_split with a generator (fractions too), Subset, ConcatDataset, and a shuffled
loader driven by a generator. Orders drawn at random are compared as sets."""
import json

import numpy as np
import torch
from torch.nn.utils.rnn import pad_sequence
from torch.utils.data import (ConcatDataset, DataLoader, Dataset, Subset, TensorDataset,
                              random_split)


class Records(Dataset):
    def __init__(self, n=7):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return {"id": i, "x": torch.full((3,), float(i)), "name": f"item{i}",
                "meta": (np.array([i, i * 2], dtype=np.int64), i / 2),
                "mask": torch.tensor(i % 2 == 0)}


res = {}
batches = list(DataLoader(Records(), batch_size=3))
b0 = batches[0]
res["dict_batch"] = [sorted(b0.keys()), b0["id"].tolist(), b0["id"].dtype == torch.int64,
                     list(b0["x"].shape), b0["name"], b0["meta"][0].tolist(),
                     b0["meta"][1].tolist(), b0["meta"][1].dtype == torch.float64,
                     b0["mask"].tolist(), len(batches), list(batches[-1]["x"].shape)]


class Sentences(Dataset):
    def __init__(self):
        self.data = [[3, 1, 4], [1, 5], [9, 2, 6, 5], [3], [5, 8, 9]]
        self.labels = [0, 1, 1, 0, 1]

    def __len__(self):
        return len(self.data)

    def __getitem__(self, idx):
        return torch.tensor(self.data[idx]), self.labels[idx]


def pad_collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=0), lengths, torch.tensor(labels)


res["pad_collate"] = [[p.tolist(), ln.tolist(), y.tolist()]
                      for p, ln, y in DataLoader(Sentences(), batch_size=2, collate_fn=pad_collate)]
res["list_collate"] = [len(b) for b in DataLoader(Sentences(), batch_size=2,
                                                   collate_fn=lambda b: b)]

X = torch.arange(20.0).view(10, 2)
Y = torch.arange(10) % 3
ds = TensorDataset(X, Y)
res["tensordataset"] = [len(ds), ds[3][0].tolist(), ds[3][1].item(), len(ds.tensors)]
g = torch.Generator().manual_seed(0)
train, val = random_split(ds, [7, 3], generator=g)
res["split_sizes"] = [len(train), len(val), sorted(train.indices + val.indices) == list(range(10)),
                      type(train).__name__]
a, b, c = random_split(range(10), [0.5, 0.3, 0.2], generator=torch.Generator().manual_seed(1))
res["fraction_split"] = [len(a), len(b), len(c), sorted(list(a) + list(b) + list(c))]
sub = Subset(ds, [0, 2, 4])
res["subset"] = [len(sub), sub[1][0].tolist(), [y.item() for _, y in sub]]
cat = ConcatDataset([sub, ds])
res["concat"] = [len(cat), cat[3][0].tolist(), cat.cumulative_sizes, cat[-1][1].item()]
loader = DataLoader(ds, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(3))
epoch1 = [y.tolist() for _, y in loader]
res["shuffled"] = [[len(e) for e in epoch1], sorted(sum(epoch1, [])) == sorted(Y.tolist())]
seen = sorted(int(x[0].item()) for xb, _ in loader for x in xb)
res["epoch_covers_all"] = seen == [int(v) for v in X[:, 0].tolist()]
loader = DataLoader(ds, batch_size=4, drop_last=True)
res["drop_last"] = [len(loader), [list(xb.shape) for xb, _ in loader]]
res["len_loader"] = [len(DataLoader(ds, batch_size=3)), len(DataLoader(Records(), batch_size=5))]
xb, yb = next(iter(DataLoader(val, batch_size=8)))
res["val_batch"] = [list(xb.shape), yb.dtype == torch.int64]
# tuples of numpy arrays and python numbers collate into tensors of the matching dtype
items = [(np.float32(i), np.ones(2, dtype=np.float32) * i, i, float(i), bool(i % 2))
         for i in range(3)]
col = next(iter(DataLoader(items, batch_size=3)))
res["numpy_collate"] = [[t.tolist() for t in col], [t.is_floating_point() for t in col],
                        [t.element_size() for t in col]]
print(json.dumps(res))
