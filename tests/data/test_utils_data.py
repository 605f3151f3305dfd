"""glassnet.utils.data: PyTorch-style datasets, samplers and loaders under torch's names."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import glassnet as gn
import glassnet.utils.data as gud
from glassnet.utils.data.sampler import SubsetRandomSampler  # noqa: F401 (torch's module path)


class Pairs(gud.Dataset):
    """A PyTorch-style map dataset: (tensor, int) per item."""

    def __init__(self, lib, n=10):
        self.lib, self.n = lib, n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        return self.lib.tensor([float(i), float(i) * 2]), i % 3


class Stream(gud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        for i in range(self.n):
            yield gn.tensor([float(i)]), i


class TorchStream(tud.IterableDataset):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        for i in range(self.n):
            yield torch.tensor([float(i)]), i


@pytest.mark.parametrize("kw", [{}, {"batch_size": 4}, {"batch_size": 4, "drop_last": True},
                                {"batch_size": 3, "num_workers": 2, "pin_memory": True,
                                 "persistent_workers": True}])
def test_map_dataset_batches_match_torch(kw):
    g = list(gud.DataLoader(Pairs(gn), **kw))
    t = list(tud.DataLoader(Pairs(torch), **kw))
    assert len(g) == len(t) == len(gud.DataLoader(Pairs(gn), **kw))
    for (gx, gy), (tx, ty) in zip(g, t):
        assert isinstance(gx, gn.Tensor) and gx.dtype is gn.float32 and gy.dtype is gn.int64
        np.testing.assert_array_equal(gx.numpy(), tx.numpy())
        np.testing.assert_array_equal(gy.numpy(), ty.numpy())


def test_shuffle_and_samplers_cover_the_data():
    gn.manual_seed(0)
    seen = sorted(int(v) for _, y in gud.DataLoader(Pairs(gn, 12), batch_size=5, shuffle=True)
                  for v in (y.tolist() if y.ndim else [y.item()]))
    assert len(seen) == 12
    idx = list(gud.DataLoader(Pairs(gn, 12), batch_size=4,
                              sampler=gud.SubsetRandomSampler([1, 3, 5, 7])))
    assert sorted(idx[0][0][:, 0].tolist()) == [1.0, 3.0, 5.0, 7.0] and len(idx) == 1
    w = gud.WeightedRandomSampler([0.0, 0.0, 1.0, 3.0], num_samples=50)
    draws = list(w)
    assert len(draws) == 50 == len(w) and set(draws) <= {2, 3}
    assert len(set(gud.WeightedRandomSampler([1, 1, 1], 3, replacement=False))) == 3
    with pytest.raises(ValueError):
        gud.WeightedRandomSampler([1.0, 0.0], 2, replacement=False)
    bs = gud.BatchSampler(gud.SequentialSampler(range(5)), 2, drop_last=False)
    assert list(bs) == list(tud.BatchSampler(tud.SequentialSampler(range(5)), 2, False))


def test_iterable_dataset_streams_in_order():
    for kw in ({"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None}):
        g = list(gud.DataLoader(Stream(10), **kw))
        t = list(tud.DataLoader(TorchStream(10), **kw))
        assert len(g) == len(t)
        for (gx, gy), (tx, ty) in zip(g, t):
            np.testing.assert_array_equal(gx.numpy(), tx.numpy())
            np.testing.assert_array_equal(np.asarray(gy.tolist() if isinstance(gy, gn.Tensor) else gy),
                                          np.asarray(ty.tolist() if isinstance(ty, torch.Tensor) else ty))
    chained = list(gud.DataLoader(Stream(3) + Stream(2), batch_size=2))
    assert [x[:, 0].tolist() for x, _ in chained] == [[0.0, 1.0], [2.0, 0.0], [1.0]]
    with pytest.raises(ValueError, match="IterableDataset"):
        gud.DataLoader(Stream(3), shuffle=True)


def test_splits_tensor_dataset_and_collate():
    ds = gud.TensorDataset(gn.arange(10.0).reshape(10, 1), gn.arange(10))
    gen = gn.Generator().manual_seed(42)
    a, b = gud.random_split(ds, [0.7, 0.3], generator=gen)
    assert len(a) == 7 and len(b) == 3
    x, y = next(iter(gud.DataLoader(a, batch_size=7)))
    assert sorted(y.tolist()) == sorted(int(v) for v in x[:, 0].tolist())
    batch = gud.default_collate([(np.ones(2, np.float32), 1), (np.zeros(2, np.float32), 2)])
    assert batch[0].shape == (2, 2) and batch[1].dtype is gn.int64
    assert gud.get_worker_info() is None
    conv = gud.default_convert({"a": np.ones(2), "b": [np.zeros(1)], "c": "text"})
    assert isinstance(conv["a"], gn.Tensor) and conv["c"] == "text"
    assert isinstance(gn.utils.data.ConcatDataset([ds, ds]), gud.Dataset)


def test_one_dataloader_under_both_import_paths():
    import glassnet.data as gd
    import glassnet.utils.data.dataloader as gud_loader
    import glassnet.utils.data.distributed as gud_dist

    for name in gud.__all__:
        assert getattr(gud, name) is getattr(gd, name), name
    assert gud.DataLoader is gd.DataLoader is gud_loader.DataLoader
    assert gud_dist.DistributedSampler is gd.DistributedSampler


@pytest.mark.parametrize("path", ["glassnet.data", "glassnet.utils.data"])
def test_iterable_dataset_through_either_import_path(path):
    import importlib

    mod = importlib.import_module(path)
    for kw in ({"batch_size": 4}, {"batch_size": 4, "drop_last": True}, {"batch_size": None}):
        loader = mod.DataLoader(Stream(10), **kw)
        batches = list(loader)
        assert len(batches) == len(list(tud.DataLoader(TorchStream(10), **kw)))
        xs = np.concatenate([x.numpy().reshape(-1) for x, _ in batches])
        n = 8 if kw.get("drop_last") else 10
        np.testing.assert_array_equal(xs, np.arange(n, dtype=np.float32))
    with pytest.raises(TypeError):  # a stream without a length
        len(mod.DataLoader(Stream(3), batch_size=2))
    with pytest.raises(ValueError, match="IterableDataset"):
        mod.DataLoader(Stream(3), sampler=mod.SequentialSampler(range(3)))
