import json
import threading

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    RandomSampler,
    SequentialSampler,
    TensorDataset,
    default_collate,
)

from ._util import arr


def make_ds(n=23):
    return TensorDataset(
        np.arange(n, dtype=np.float32)[:, None] * np.ones((1, 2), np.float32), np.arange(n)
    )


def firsts(loader):
    return [arr(y).tolist() for _, y in loader]


class Slow(Dataset):
    """No batched access: exercises the per-sample path."""

    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.full(3, i, dtype=np.float64), i

    def __len__(self):
        return self.n


def test_sequential_batches_in_order_and_dtypes():
    dl = DataLoader(make_ds(10), batch_size=4)
    batches = list(dl)
    assert len(dl) == 3 and len(batches) == 3
    x, y = batches[0]
    assert isinstance(x, gn.Tensor) and x.dtype == np.float32 and y.dtype == np.int64
    assert [arr(b[1]).tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]


def test_drop_last():
    dl = DataLoader(make_ds(10), batch_size=4, drop_last=True)
    assert len(dl) == 2 and firsts(dl) == [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_shuffle_is_a_permutation_reproducible_with_seed_and_new_each_epoch():
    gn.manual_seed(3)
    dl = DataLoader(make_ds(), batch_size=5, shuffle=True)
    e1, e2 = firsts(dl), firsts(dl)
    assert sorted(i for b in e1 for i in b) == list(range(23))
    assert e1 != e2
    gn.manual_seed(3)
    assert firsts(dl) == e1
    g = gn.backend.Generator(7)
    a = firsts(DataLoader(make_ds(), batch_size=5, shuffle=True, generator=g))
    b = firsts(DataLoader(make_ds(), batch_size=5, shuffle=True, generator=gn.backend.Generator(7)))
    assert a == b


def test_consecutive_batches_of_the_epoch_permutation():
    sampler = RandomSampler(make_ds(), generator=gn.backend.Generator(0))
    perm = sampler.indices_for_seed(123)
    sampler.load_state_dict({"epoch_seed": 123})
    dl = DataLoader(make_ds(), batch_size=6, sampler=sampler)
    assert [i for b in firsts(dl) for i in b] == perm.tolist()


def test_per_sample_path_and_default_collate():
    dl = DataLoader(Slow(5), batch_size=2)
    x, y = next(iter(dl))
    assert x.dtype == np.float64 and x.shape == (2, 3) and y.dtype == np.int64
    out = default_collate(
        [{"a": 1.5, "b": np.zeros(2, np.uint8)}, {"a": 2.5, "b": np.ones(2, np.uint8)}]
    )
    # PyTorch's rule: Python floats collate to float64, NumPy arrays keep their dtype
    assert arr(out["a"]).dtype == np.float64 and arr(out["b"]).dtype == np.uint8
    assert default_collate([("s", 1), ("t", 2)])[0] == ["s", "t"]
    custom = DataLoader(make_ds(4), batch_size=2, collate_fn=lambda samples: len(samples))
    assert list(custom) == [2, 2]


def test_batch_sampler_and_samplers():
    bs = BatchSampler(SequentialSampler(range(7)), 3, drop_last=False)
    assert list(bs) == [[0, 1, 2], [3, 4, 5], [6]] and len(bs) == 3
    dl = DataLoader(make_ds(7), batch_sampler=bs)
    assert firsts(dl) == [[0, 1, 2], [3, 4, 5], [6]]
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(make_ds(7), batch_size=2, batch_sampler=bs)
    with pytest.raises(ValueError, match="batch_size"):
        DataLoader(make_ds(7), batch_size=0)


def test_batch_size_can_change_between_epochs():
    dl = DataLoader(make_ds(12), batch_size=4)
    assert len(list(dl)) == 3
    dl.batch_size = 6
    assert len(dl) == 2 and [len(b) for b in firsts(dl)] == [6, 6]


@pytest.mark.parametrize("explicit_generator", [False, True])
@pytest.mark.parametrize("stop_at", [0, 3, 5])
def test_state_dict_resume_mid_epoch(explicit_generator, stop_at):
    def loader():
        g = gn.backend.Generator(11) if explicit_generator else None
        return DataLoader(make_ds(), batch_size=4, shuffle=True, generator=g)

    gn.manual_seed(5)
    ref = loader()
    full = [firsts(ref) for _ in range(3)]  # 3 epochs of 6 batches

    gn.manual_seed(5)
    first = loader()
    it = iter(first)
    seen = [arr(next(it)[1]).tolist() for _ in range(stop_at)]
    state = json.loads(json.dumps(first.state_dict()))  # JSON-safe
    rng_state = gn.get_rng_state()
    assert state["batches_yielded"] == stop_at and seen == full[0][:stop_at]

    gn.manual_seed(999)  # a fresh process: different global state until restored
    resumed = loader()
    gn.set_rng_state(rng_state)
    resumed.load_state_dict(state)
    rest = firsts(resumed)
    assert seen + rest == full[0]
    assert firsts(resumed) == full[1] and firsts(resumed) == full[2]
    assert resumed.epoch == 3


def test_state_dict_at_epoch_end_resumes_into_next_epoch():
    g = gn.backend.Generator(2)
    dl = DataLoader(make_ds(8), batch_size=4, shuffle=True, generator=g)
    ref = DataLoader(make_ds(8), batch_size=4, shuffle=True, generator=gn.backend.Generator(2))
    e1, e2 = firsts(ref), firsts(ref)
    assert firsts(dl) == e1
    state = dl.state_dict()
    assert not state["in_epoch"]
    other = DataLoader(make_ds(8), batch_size=4, shuffle=True, generator=gn.backend.Generator(99))
    other.load_state_dict(state)
    assert firsts(other) == e2


@pytest.mark.parametrize("collate", [False, True])
def test_prefetch_gives_identical_batches(collate):
    kw = {"collate_fn": default_collate} if collate else {}
    gn.manual_seed(1)
    a = [
        [arr(t).copy() for t in b]
        for b in DataLoader(make_ds(50), batch_size=7, shuffle=True, **kw)
    ]
    gn.manual_seed(1)
    b = [
        [arr(t).copy() for t in b]
        for b in DataLoader(make_ds(50), batch_size=7, shuffle=True, prefetch=3, **kw)
    ]
    assert len(a) == len(b)
    for u, v in zip(a, b):
        for s, t in zip(u, v):
            np.testing.assert_array_equal(s, t)


def test_prefetch_thread_stops_on_break_and_errors_propagate():
    before = threading.active_count()
    dl = DataLoader(make_ds(200), batch_size=2, prefetch=2)
    for i, _ in enumerate(dl):
        if i == 1:
            break
    assert threading.active_count() == before  # the abandoned iterator stopped its thread

    class Broken(Dataset):
        def __getitem__(self, i):
            if i == 5:
                raise RuntimeError("bad sample 5")
            return np.zeros(1), 0

        def __len__(self):
            return 10

    with pytest.raises(RuntimeError, match="bad sample 5"):
        list(DataLoader(Broken(), batch_size=2, prefetch=2))


def test_as_numpy_output():
    x, y = next(iter(DataLoader(make_ds(4), batch_size=2, as_numpy=True)))
    assert isinstance(x, np.ndarray) and x.dtype == np.float32 and y.dtype == np.int64


def test_an_endless_random_sampler_is_drawn_lazily_by_the_loader():
    """RandomSampler(replacement=True, num_samples=1e10) inside a DataLoader: the batches are
    cut from the sampler's blocks as the epoch goes, never from an array of all 1e10 indices;
    they are the sampler's own indices in order."""
    import itertools
    import tracemalloc

    from glassnet.data import DataLoader, RandomSampler, TensorDataset

    ds = TensorDataset(gn.arange(100))
    gn.manual_seed(0)
    sampler = RandomSampler(ds, replacement=True, num_samples=int(1e10))
    loader = DataLoader(ds, batch_size=7, sampler=sampler)
    assert len(loader) == -(-int(1e10) // 7)
    tracemalloc.start()
    batches = [b[0].numpy() for b in itertools.islice(loader, 5)]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 2**20
    gn.manual_seed(0)
    again = RandomSampler(ds, replacement=True, num_samples=int(1e10))
    expect = list(itertools.islice(iter(again), 35))
    assert np.concatenate(batches).tolist() == expect
