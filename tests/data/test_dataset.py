import numpy as np
import pytest

import glassnet as gn
from glassnet.data import ConcatDataset, Dataset, Subset, TensorDataset, batch_getter, random_split


class Squares(Dataset):
    def __init__(self, n):
        self.n = n

    def __getitem__(self, i):
        return np.array([i, i * i], dtype=np.float32), i % 3

    def __len__(self):
        return self.n


def test_tensor_dataset_keeps_arrays_and_gathers_batches():
    x = np.arange(20, dtype=np.float32).reshape(10, 2)
    y = np.arange(10)
    ds = TensorDataset(x, y)
    assert ds.arrays[0] is x and len(ds) == 10
    xi, yi = ds[3]
    np.testing.assert_array_equal(xi, x[3])
    assert yi == 3
    bx, by = ds.get_batch(np.array([4, 1, 7]))
    np.testing.assert_array_equal(bx, x[[4, 1, 7]])
    np.testing.assert_array_equal(by, [4, 1, 7])


def test_tensor_dataset_accepts_tensors_without_copy():
    x = np.ones((5, 3), dtype=np.float32)
    ds = TensorDataset(gn.Tensor(x), np.zeros(5))
    assert ds.arrays[0] is x
    assert ds.tensors[0].shape == (5, 3)


def test_tensor_dataset_length_mismatch_names_shapes():
    with pytest.raises(AssertionError, match=r"TensorDataset.*\(4,\)"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


def test_subset_and_batched_access():
    ds = TensorDataset(np.arange(10) * 10)
    sub = Subset(ds, [9, 2, 5])
    assert len(sub) == 3 and sub[0][0] == 90
    np.testing.assert_array_equal(sub.get_batch([2, 0])[0], [50, 90])
    assert batch_getter(sub) is not None
    assert batch_getter(Subset(Squares(4), [0, 1])) is None


def test_concat_dataset_indexing_and_batches():
    a = TensorDataset(np.arange(3), np.zeros(3, dtype=np.int64))
    b = TensorDataset(np.arange(10, 15), np.ones(5, dtype=np.int64))
    c = a + b
    assert isinstance(c, ConcatDataset) and len(c) == 8
    assert c[3][0] == 10 and c[-1][0] == 14 and c[2][0] == 2
    x, y = c.get_batch(np.array([7, 0, 3, 2]))
    np.testing.assert_array_equal(x, [14, 0, 10, 2])
    np.testing.assert_array_equal(y, [1, 0, 1, 0])
    with pytest.raises(IndexError):
        c[8]


def test_random_split_counts_fractions_and_seed():
    ds = TensorDataset(np.arange(10))
    parts = random_split(ds, [0.7, 0.3], generator=gn.backend.Generator(1))
    assert [len(p) for p in parts] == [7, 3]
    again = random_split(ds, [7, 3], generator=gn.backend.Generator(1))
    np.testing.assert_array_equal(parts[0].indices, again[0].indices)
    all_idx = np.sort(np.concatenate([p.indices for p in parts]))
    np.testing.assert_array_equal(all_idx, np.arange(10))
    assert [len(p) for p in random_split(TensorDataset(np.arange(11)), [0.5, 0.5])] == [6, 5]
    with pytest.raises(ValueError, match="sum to 9"):
        random_split(ds, [5, 4])


def test_subset_indices_stay_as_given():
    # PyTorch keeps ``indices`` as passed, and random_split hands out lists of ints:
    # ``train.indices + val.indices`` concatenates, it does not add elementwise
    a, b = random_split(range(6), [4, 2], generator=gn.backend.Generator(0))
    assert isinstance(a.indices, list) and all(type(i) is int for i in a.indices)
    assert sorted(a.indices + b.indices) == list(range(6))
    sub = Subset(TensorDataset(np.arange(5) * 2), (4, 1))
    assert sub.indices == (4, 1) and sub[0][0] == 8 and sub[-1][0] == 2
    np.testing.assert_array_equal(sub.get_batch([1, 0])[0], [2, 8])


def test_stack_dataset_as_pytorch():
    import torch

    rng = np.random.default_rng(0)
    images, labels = rng.normal(size=(5, 3)).astype(np.float32), np.arange(5)
    for lib in (torch, gn):
        tds = lib.utils.data.TensorDataset(lib.tensor(images))
        stacked = lib.utils.data.StackDataset(tds, list(labels))
        assert len(stacked) == 5
        x, y = stacked[2]
        assert np.allclose(np.asarray(x[0]), images[2]) and y == 2
        named = lib.utils.data.StackDataset(image=tds, label=list(labels))
        assert sorted(named[1]) == ["image", "label"] and named[1]["label"] == 1
        assert len(named.__getitems__([0, 4])) == 2
        with pytest.raises(ValueError, match="(?i)size mismatch"):
            lib.utils.data.StackDataset(tds, [1, 2])
        with pytest.raises(ValueError):
            lib.utils.data.StackDataset(tds, label=list(labels))
    loader = gn.utils.data.DataLoader(gn.utils.data.StackDataset(image=gn.utils.data.TensorDataset(
        gn.tensor(images)), label=list(labels)), batch_size=5)
    batch = next(iter(loader))
    assert batch["image"][0].shape == (5, 3) and batch["label"].tolist() == list(range(5))
