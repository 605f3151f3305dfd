"""BatchSizeScheduler: the loader's batch size follows the schedule, epoch by epoch."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import BatchSampler, DataLoader, SequentialSampler, TensorDataset
from glassnet.optim import BatchSizeScheduler


def _loader(n=100, batch_size=4, **kw):
    x = np.arange(n, dtype=np.float32).reshape(n, 1)
    return DataLoader(TensorDataset(gn.tensor(x)), batch_size=batch_size, **kw)


def _epoch_sizes(loader):
    return [len(b[0]) for b in loader]


def test_geometric_growth_every_k_epochs_with_cap():
    loader = _loader()
    bss = BatchSizeScheduler(loader, factor=2, step_size=3, max_batch_size=20)
    seen = []
    for _ in range(10):
        sizes = _epoch_sizes(loader)
        assert sum(sizes) == 100 and max(sizes) == sizes[0]
        seen.append(sizes[0])
        bss.step()
    assert seen == [4, 4, 4, 8, 8, 8, 16, 16, 16, 20]
    assert bss.get_last_batch_size() == 20 and bss.last_epoch == 10


def test_milestone_dict_callable_and_factor_milestones():
    loader = _loader()
    bss = BatchSizeScheduler(loader, {2: 10, 5: 50})
    sizes = []
    for _ in range(7):
        sizes.append(loader.batch_size)
        bss.step()
    assert sizes == [4, 4, 10, 10, 10, 50, 50]

    loader = _loader(batch_size=8)
    bss = BatchSizeScheduler(loader, lambda e: 8 + 4 * e)
    assert [loader.batch_size for _ in range(4) if bss.step() is None] == [12, 16, 20, 24]

    loader = _loader(batch_size=5)
    bss = BatchSizeScheduler(loader, factor=3, milestones=[1, 4])
    got = [bss.batch_size_at(e) for e in range(6)]
    assert got == [5, 15, 15, 15, 45, 45]


def test_larger_batches_mean_fewer_steps_per_epoch():
    loader = _loader(n=64, batch_size=8)
    bss = BatchSizeScheduler(loader, factor=2, step_size=1)
    steps = []
    for _ in range(4):
        steps.append(len(loader))
        assert len(list(loader)) == steps[-1]
        bss.step()
    assert steps == [8, 4, 2, 1]


def test_state_dict_round_trip():
    loader = _loader()
    bss = BatchSizeScheduler(loader, {3: 16, 6: 32})
    for _ in range(4):
        bss.step()
    text = json.dumps(bss.state_dict())
    loader2 = _loader()
    bss2 = BatchSizeScheduler(loader2, {0: 1})
    bss2.load_state_dict(json.loads(text))
    assert loader2.batch_size == loader.batch_size == 16
    for _ in range(3):
        bss.step()
        bss2.step()
        assert loader2.batch_size == loader.batch_size
    assert loader.batch_size == 32

    loader = _loader()
    f = BatchSizeScheduler(loader, lambda e: 4 + e)
    for _ in range(3):
        f.step()
    loader3 = _loader()
    g = BatchSizeScheduler(loader3, lambda e: 4 + e)
    g.load_state_dict(json.loads(json.dumps(f.state_dict())))
    f.step()
    g.step()
    assert loader3.batch_size == loader.batch_size == 8


def test_errors():
    loader = _loader()
    with pytest.raises(ValueError, match="exactly one"):
        BatchSizeScheduler(loader)
    with pytest.raises(ValueError, match="exactly one"):
        BatchSizeScheduler(loader, {1: 2}, factor=2)
    with pytest.raises(ValueError, match="positive integer"):
        BatchSizeScheduler(loader, lambda e: 0)
    bs = BatchSampler(SequentialSampler(range(10)), 2, False)
    x = gn.tensor(np.zeros((10, 1), dtype=np.float32))
    with pytest.raises(ValueError, match="batch_sampler"):
        BatchSizeScheduler(DataLoader(TensorDataset(x), batch_sampler=bs), factor=2)
