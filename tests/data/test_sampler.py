"""RandomSampler draws lazily (blocks of 32 with replacement, one permutation at a time without),
so an endless sampler costs no memory; the same epoch seed gives the same indices whether they are
iterated or drawn as one array."""

from __future__ import annotations

import itertools
import tracemalloc

import numpy as np
import pytest
import torch
from torch.utils.data import RandomSampler as TorchRandomSampler

import glassnet as gn
from glassnet.data.sampler import RandomSampler, SubsetRandomSampler, WeightedRandomSampler


def _take(sampler, k):
    return list(itertools.islice(iter(sampler), k))


def test_endless_sampler_with_replacement_is_lazy_and_has_a_length():
    ds = range(10)
    ours = RandomSampler(ds, replacement=True, num_samples=int(1e10), generator=gn.Generator(0))
    theirs = TorchRandomSampler(ds, replacement=True, num_samples=int(1e10),
                                generator=torch.Generator().manual_seed(0))
    assert len(ours) == len(theirs) == 10**10
    tracemalloc.start()
    first = _take(ours, 1000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20  # a few blocks, not 80 GB of indices
    assert len(first) == 1000 and set(first) <= set(range(10)) and len(set(first)) == 10
    assert len(_take(theirs, 1000)) == 1000


def test_endless_sampler_without_replacement_yields_whole_permutations():
    s = RandomSampler(range(7), num_samples=int(1e10), generator=gn.Generator(0))
    got = _take(s, 21)
    for k in range(3):
        assert sorted(got[7 * k:7 * k + 7]) == list(range(7))


@pytest.mark.parametrize("replacement,n,m", [(True, 10, 100), (True, 5, 33), (True, 1000, 31),
                                             (False, 10, 10), (False, 10, 25), (False, 6, 4)])
def test_iteration_and_epoch_indices_agree_for_one_seed(replacement, n, m):
    s = RandomSampler(range(n), replacement=replacement, num_samples=m)
    seed = 1234
    whole = s.indices_for_seed(seed)
    assert whole.dtype == np.int64 and whole.shape == (m,)
    assert np.concatenate(list(s.chunks_for_seed(seed))).tolist() == whole.tolist()
    s.load_state_dict({"epoch_seed": seed})
    assert list(s) == whole.tolist()
    assert whole.min() >= 0 and whole.max() < n
    if replacement:
        assert all(len(c) <= RandomSampler.block for c in s.chunks_for_seed(seed))


def test_same_seed_same_stream():
    a = RandomSampler(range(50), replacement=True, num_samples=10**9, generator=gn.Generator(3))
    b = RandomSampler(range(50), replacement=True, num_samples=10**9, generator=gn.Generator(3))
    assert _take(a, 200) == _take(b, 200)
    gn.manual_seed(5)
    c = _take(RandomSampler(range(50), replacement=True, num_samples=300), 300)
    gn.manual_seed(5)
    assert RandomSampler(range(50), replacement=True, num_samples=300).epoch_indices().tolist() == c


def test_draws_with_replacement_are_uniform():
    idx = RandomSampler(range(4), replacement=True, num_samples=40_000).indices_for_seed(0)
    counts = np.bincount(idx, minlength=4)
    assert np.all(np.abs(counts - 10_000) < 400)


def test_subset_and_weighted_samplers_iterate_their_own_indices():
    sub = SubsetRandomSampler([5, 7, 9], generator=gn.Generator(0))
    assert sorted(sub) == [5, 7, 9]
    sub.load_state_dict({"epoch_seed": 11})
    assert list(sub) == sub.indices_for_seed(11).tolist()
    w = WeightedRandomSampler([0.0, 1.0, 0.0], 20, generator=gn.Generator(0))
    assert list(w) == [1] * 20


def test_empty_dataset_with_replacement_is_a_clear_error():
    with pytest.raises(ValueError, match="empty dataset"):
        list(RandomSampler([], replacement=True, num_samples=3))
