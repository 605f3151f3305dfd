"""The three image kinds: every transform gives back the kind it was given."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet.data import kinds
from glassnet.data import transforms as T

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(0)
RGB = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)


def test_unwrap_reads_each_kind_as_chw_and_wraps_back():
    img = Image.fromarray(RGB)
    a, wrap = kinds.unwrap(img, "test")
    assert a.shape == (3, 6, 8) and a.dtype == np.uint8
    back = wrap(a)
    assert back.mode == "RGB" and np.array_equal(np.asarray(back), RGB)
    t = gn.tensor(RGB.transpose(2, 0, 1).copy())
    a, wrap = kinds.unwrap(t, "test")
    assert a is t._data and isinstance(wrap(a), gn.Tensor)
    with pytest.raises(TypeError, match="test: expected a PIL image, a Tensor or a NumPy array"):
        kinds.unwrap([1, 2], "test")


def test_dimensions_of_each_kind():
    img = Image.fromarray(RGB)
    assert kinds.get_dimensions(img) == [3, 6, 8]
    assert kinds.get_image_size(gn.zeros(2, 1, 6, 8)) == [8, 6]
    assert kinds.get_image_num_channels(np.zeros((4, 5, 5))) == 4


@pytest.mark.parametrize("t", [T.RandomHorizontalFlip(1.0), T.RandomCrop(5, padding=1),
                               T.RandomRotation(10), T.ColorJitter(0.3, 0.3, 0.3),
                               T.RandomAffine(5, translate=(0.1, 0.1))],
                         ids=lambda t: type(t).__name__)
def test_random_transforms_keep_the_kind_and_integer_dtype(t):
    img = Image.fromarray(RGB)
    out = t(img)
    assert isinstance(out, Image.Image) and out.mode == "RGB"
    tens = gn.tensor(RGB.transpose(2, 0, 1).copy())
    out = t(tens)
    assert isinstance(out, gn.Tensor) and out.dtype == gn.uint8
    batch = gn.rand(2, 3, 6, 8)
    out = t(batch)
    assert isinstance(out, gn.Tensor) and out.shape[:2] == (2, 3) and out.dtype == gn.float32
    assert float(out.max()) <= 1.0 + 1e-6 or not isinstance(t, T.ColorJitter)


def test_flip_on_pil_is_exact():
    out = T.RandomHorizontalFlip(1.0)(Image.fromarray(RGB))
    assert np.array_equal(np.asarray(out), RGB[:, ::-1])


def test_color_jitter_on_uint8_uses_the_uint8_range():
    x = np.full((1, 3, 4, 4), 200, np.uint8)
    out = T.ColorJitter(brightness=(1.0, 1.0))(x)
    assert out.dtype == np.uint8 and np.array_equal(out, x)


def test_random_crop_pad_if_needed_pads_both_sides_as_torchvision():
    x = np.ones((16, 1, 4, 4), np.float32)
    out = T.RandomCrop(8, pad_if_needed=True, generator=gn.backend.Generator(0))(x)
    assert out.shape == (16, 1, 8, 8) and np.all(out.sum(axis=(1, 2, 3)) == 16)
    # torchvision pads the shortfall (4) on every side, so the image lands anywhere in 0..4
    tops = {int(np.argmax(o[0].any(axis=1))) for o in out}
    assert len(tops) > 1 and tops <= set(range(5))
