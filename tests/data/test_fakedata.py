"""FakeData: random images, the same for an index every time, through a DataLoader."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import DataLoader
from glassnet.data import transforms as T
from glassnet.data.datasets import FakeData

Image = pytest.importorskip("PIL.Image")


def test_samples_are_deterministic_per_index_and_pil():
    ds = FakeData(size=5, image_size=(3, 6, 7), num_classes=4)
    img, y = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "RGB" and img.size == (7, 6)
    assert isinstance(y, int) and 0 <= y < 4
    again, y2 = ds[2]
    assert np.array_equal(np.asarray(img), np.asarray(again)) and y == y2
    assert not np.array_equal(np.asarray(img), np.asarray(ds[3][0]))
    other = FakeData(size=5, image_size=(3, 6, 7), num_classes=4, random_offset=1)
    assert np.array_equal(np.asarray(other[1][0]), np.asarray(ds[2][0]))
    assert FakeData(3, (1, 4, 4))[0][0].mode == "L"
    with pytest.raises(IndexError, match="out of range"):
        ds[5]


def test_reading_draws_nothing_from_the_default_generator():
    gn.manual_seed(0)
    a = gn.rand(3)
    gn.manual_seed(0)
    FakeData(4, (3, 4, 4))[1]
    assert np.array_equal(gn.rand(3).numpy(), a.numpy())


def test_through_a_dataloader_with_to_tensor():
    ds = FakeData(size=10, image_size=(3, 8, 8), transform=T.ToTensor(),
                  target_transform=lambda y: y + 100)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert isinstance(x, gn.Tensor) and tuple(x.shape) == (4, 3, 8, 8) and x.dtype == gn.float32
    assert y.dtype == gn.int64 and all(v >= 100 for v in y.tolist())
    assert 0.0 <= float(x.min()) and float(x.max()) <= 1.0
    with pytest.raises(ValueError, match="image_size"):
        FakeData(image_size=(8, 8))
