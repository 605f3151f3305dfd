"""DataLoader options from real training scripts: collate_fn, samplers, num_workers, drop_last,
batch_size=None, generators, iterating a loader twice, and a Dataset of NumPy images."""
import json

import numpy as np
import torch
from torch.utils.data import (BatchSampler, DataLoader, Dataset, RandomSampler, SequentialSampler,
                              Subset, SubsetRandomSampler, TensorDataset, WeightedRandomSampler)

torch.manual_seed(0)  # the samplers without a generator draw from the global one


class Images(Dataset):
    def __init__(self, n=10, transform=None):
        rng = np.random.default_rng(32)
        self.images = rng.integers(0, 256, (n, 4, 4, 3)).astype(np.uint8)  # HWC, like PIL arrays
        self.labels = rng.integers(0, 3, n)
        self.transform = transform

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        img = self.images[i]
        if self.transform:
            img = self.transform(img)
        return img, self.labels[i]


def to_tensor(img):
    return torch.from_numpy(img.transpose(2, 0, 1).astype(np.float32) / 255.0)


res = {}
ds = Images(transform=to_tensor)
xb, yb = next(iter(DataLoader(ds, batch_size=4)))
res["batch"] = [list(xb.shape), xb.dtype == torch.float32, yb.dtype == torch.int64,
                round(xb.sum().item(), 3), yb.tolist()]
raw = next(iter(DataLoader(Images(), batch_size=3)))
res["numpy_collate"] = [list(raw[0].shape), raw[0].dtype == torch.uint8, raw[1].tolist()]

# workers give the same batches as the main process (in order, without shuffling)
main = [b[0].sum().item() for b in DataLoader(ds, batch_size=3)]
workers = [b[0].sum().item() for b in DataLoader(ds, batch_size=3, num_workers=2)]
res["workers_same"] = main == workers
res["n_batches"] = [len(DataLoader(ds, batch_size=3)), len(DataLoader(ds, batch_size=3,
                                                                       drop_last=True))]


def pad_collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    padded = torch.nn.utils.rnn.pad_sequence(list(seqs), batch_first=True)
    return padded, lengths, torch.tensor(labels)


class Sequences(Dataset):
    def __len__(self):
        return 5

    def __getitem__(self, i):
        return torch.arange(1.0, i + 2), i % 2


padded, lengths, labels = next(iter(DataLoader(Sequences(), batch_size=5, collate_fn=pad_collate)))
res["collate_fn"] = [padded.tolist(), lengths.tolist(), labels.tolist()]

tds = TensorDataset(torch.arange(10.0).view(10, 1), torch.arange(10))
res["sequential_sampler"] = [b[1].tolist() for b in DataLoader(tds, sampler=SequentialSampler(tds),
                                                                batch_size=4)]
res["batch_sampler"] = [b[1].tolist() for b in DataLoader(
    tds, batch_sampler=BatchSampler(SequentialSampler(tds), batch_size=3, drop_last=False))]
res["batch_size_none"] = [b[1].item() for b in DataLoader(tds, batch_size=None)][:3]
sub = SubsetRandomSampler([1, 3, 5, 7])
res["subset_random"] = sorted(i for b in DataLoader(tds, sampler=sub, batch_size=2)
                              for i in b[1].tolist())
weighted = WeightedRandomSampler([0.0, 1.0, 0.0, 1.0], num_samples=20, replacement=True)
res["weighted"] = sorted(set(weighted))
rs = RandomSampler(tds, replacement=True, num_samples=7)
res["random_replacement"] = [len(list(rs)), all(0 <= i < 10 for i in rs)]
g = torch.Generator()
g.manual_seed(0)
a = [b[1].tolist() for b in DataLoader(tds, batch_size=5, shuffle=True, generator=g)]
g.manual_seed(0)
b = [b[1].tolist() for b in DataLoader(tds, batch_size=5, shuffle=True, generator=g)]
res["generator_repro"] = a == b
res["subset"] = [len(Subset(tds, [0, 2, 4])), Subset(tds, [0, 2, 4])[1][1].item()]
loader = DataLoader(tds, batch_size=4, shuffle=False, pin_memory=False)
res["twice"] = [[b[1].sum().item() for b in loader], [b[1].sum().item() for b in loader]]
res["loader_attrs"] = [loader.batch_size, len(loader.dataset), loader.drop_last]
print(json.dumps(res))
