"""DistributedSampler: the same shards as PyTorch's, index for index, over a grid of dataset
sizes, replica counts, shuffling, drop_last and epochs."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data.distributed import DistributedSampler as TorchSampler

import glassnet as gn
from glassnet.utils.data import DataLoader, DistributedSampler, TensorDataset
from glassnet.utils.data.distributed import torch_randperm


@pytest.mark.parametrize("n", [0, 1, 2, 5, 10, 33, 100, 257])
@pytest.mark.parametrize("seed", [0, 1, 41, 2**32 + 7])
def test_randperm_is_pytorchs(n, seed):
    g = torch.Generator()
    g.manual_seed(seed)
    assert torch_randperm(n, seed) == torch.randperm(n, generator=g).tolist()


@pytest.mark.parametrize("n", [1, 3, 7, 10, 31, 64])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4, 8])
@pytest.mark.parametrize("shuffle", [False, True])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_shards_as_pytorch(n, replicas, shuffle, drop_last):
    data = list(range(n))
    for rank in range(replicas):
        ours = DistributedSampler(data, replicas, rank, shuffle=shuffle, seed=5,
                                  drop_last=drop_last)
        theirs = TorchSampler(data, replicas, rank, shuffle=shuffle, seed=5, drop_last=drop_last)
        assert (ours.num_samples, ours.total_size, len(ours)) == (
            theirs.num_samples, theirs.total_size, len(theirs))
        for epoch in (0, 1, 4):
            ours.set_epoch(epoch)
            theirs.set_epoch(epoch)
            assert list(ours) == list(theirs)
            assert ours.epoch_indices().tolist() == list(theirs)


def test_shards_cover_the_dataset_once_per_epoch():
    data = list(range(12))
    shards = [list(DistributedSampler(data, 3, r, seed=1)) for r in range(3)]
    assert sorted(i for s in shards for i in s) == data
    a = DistributedSampler(data, 3, 0, seed=1)
    first = list(a)
    assert list(a) == first  # without set_epoch, every epoch repeats the order
    a.set_epoch(1)
    assert list(a) != first


def test_with_dataloader():
    ds = TensorDataset(gn.arange(10.0))
    sampler = DistributedSampler(ds, num_replicas=2, rank=1, shuffle=False)
    batches = [b.tolist() for (b,) in DataLoader(ds, batch_size=2, sampler=sampler)]
    assert batches == [[1.0, 3.0], [5.0, 7.0], [9.0]]


def test_errors():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1\]"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=2)
    with pytest.raises(ValueError, match="Invalid rank -1"):
        DistributedSampler(list(range(4)), num_replicas=2, rank=-1)


def test_import_paths():
    import glassnet.utils.data.distributed as mod

    assert mod.DistributedSampler is DistributedSampler
    assert isinstance(np.asarray(DistributedSampler([1, 2], 1, 0).epoch_indices()), np.ndarray)
