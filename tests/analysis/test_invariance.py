"""Shift invariance and equivariance (glassnet/analysis/invariance.py): exact where the
lectures say so, broken by striding, restored (mostly) by blurring before subsampling (Zhang
2019)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.analysis import shift, shift_batch, shift_consistency, shift_deviation


class CircularMaxBlurPool(nn.Module):
    """Zhang's MaxBlurPool on a torus: circular pad, 2x2 max at stride 1, circular BlurPool."""

    def __init__(self, channels, filt_size=3):
        super().__init__()
        self.max = nn.MaxPool2d(2, 1)
        self.blur = nn.BlurPool2d(channels, filt_size, pad_mode="circular")

    def forward(self, x):
        return self.blur(self.max(F.pad(x, [0, 1, 0, 1], mode="circular")))


def circular_cnn(pool, classes=8):
    """conv -> ReLU -> pool -> conv -> ReLU -> global average pool, all on a torus."""
    return nn.Sequential(nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular"), nn.ReLU(), pool,
                         nn.Conv2d(8, classes, 3, padding=1, padding_mode="circular"), nn.ReLU(),
                         nn.AdaptiveAvgPool2d(1), nn.Flatten())


def test_shift_moves_content_and_wraps_or_fills():
    x = gn.arange(12.0).reshape(1, 1, 3, 4)
    np.testing.assert_array_equal(shift(x, (0, 1)).numpy()[0, 0, 0], [3, 0, 1, 2])
    np.testing.assert_array_equal(shift(x, (1, -1), circular=False).numpy()[0, 0],
                                  [[0, 0, 0, 0], [1, 2, 3, 0], [5, 6, 7, 0]])
    assert isinstance(shift(x.numpy(), 1), np.ndarray)
    np.testing.assert_array_equal(shift(x, 1).numpy(), np.roll(x.numpy(), (1, 1), (2, 3)))
    with pytest.raises(ValueError, match="shift: a shift must be an int or a tuple of 2"):
        shift(x, (1, 2, 3))
    # per-image shifts: one gather for the batch, same as shifting each image on its own
    b = np.random.default_rng(0).standard_normal((3, 2, 5, 6)).astype(np.float32)
    v = [(1, -2), (0, 3), (-4, 0)]
    for circular in (True, False):
        out = shift_batch(b, v, circular)
        for i in range(3):
            np.testing.assert_array_equal(out[i:i + 1], shift(b[i:i + 1], v[i], circular))


def test_circular_convolution_is_exactly_shift_equivariant():
    gn.manual_seed(0)
    x = gn.randn(4, 3, 16, 16)
    conv = nn.Conv2d(3, 8, 3, padding=1, padding_mode="circular")
    err = shift_deviation(conv, x, [1, (2, -3), 5, (0, 7)])
    assert err.shape == (4,) and err.max() < 1e-6
    # zero padding: exact away from the border, not at it
    zero = nn.Conv2d(3, 8, 3, padding=1)
    assert shift_deviation(zero, x, [2], circular=False).min() > 0.05
    assert shift_deviation(zero, x, [2], circular=False, margin=3).max() < 1e-6
    # a 1-D signal works the same way
    c1 = nn.Conv1d(2, 3, 5, padding=2, padding_mode="circular")
    assert shift_deviation(c1, gn.randn(2, 2, 20), [3, -7]).max() < 1e-6


def test_pooling_is_equivariant_only_for_shifts_by_multiples_of_the_stride():
    x = gn.randn(2, 4, 16, 16)
    mp = nn.MaxPool2d(2)
    assert shift_deviation(mp, x, [2, (4, -2)], stride=2).max() < 1e-6
    with pytest.raises(ValueError, match="multiples of the stride"):
        shift_deviation(mp, x, [1], stride=2)
    with pytest.raises(ValueError, match="mode"):
        shift_deviation(mp, x, [1], mode="covariance")
    # the lecture's example: 0 0 1 1 0 0 1 1 max-pooled in pairs is 0 1 0 1, shifted by one
    # it becomes 1 1 1 1 -- the sampled signal changes completely (aliasing)
    sig = gn.tensor(np.tile([0.0, 0.0, 1.0, 1.0], 4).reshape(1, 1, 16))
    np.testing.assert_array_equal(F.max_pool1d(sig, 2).numpy().ravel(), np.tile([0, 1], 4))
    np.testing.assert_array_equal(F.max_pool1d(shift(sig, 1), 2).numpy().ravel(), np.ones(8))


def test_global_average_pooled_circular_cnn_is_exactly_shift_invariant():
    gn.manual_seed(1)
    model = circular_cnn(nn.Identity())
    x = gn.randn(8, 3, 16, 16)
    assert shift_deviation(model, x, [1, (3, -5), 8], mode="invariance").max() < 1e-6
    assert shift_consistency(model, x.numpy(), max_shift=6, pairs=3, generator=0) == 1.0


def test_blur_before_subsampling_reduces_the_shift_deviation():
    x = gn.randn(16, 3, 16, 16)
    dev = {}
    for name, pool in [("max", nn.MaxPool2d(2)), ("subsample", nn.AvgPool2d(1, 2)),
                       ("maxblur", CircularMaxBlurPool(8)),
                       ("blur", nn.BlurPool2d(8, 3, pad_mode="circular"))]:
        gn.manual_seed(1)  # the same convolution weights for every variant
        d = shift_deviation(circular_cnn(pool), x, [0, 1, 2, 3, (0, 1)], mode="invariance")
        assert d[0] == 0 and d[2] < 1e-6  # shifts by the stride are still exact
        dev[name] = d[[1, 3, 4]].mean()
    assert dev["max"] > 0.02 and dev["subsample"] > 0.05
    assert dev["maxblur"] < dev["max"] / 3
    assert dev["blur"] < dev["subsample"] / 5


def test_shift_consistency_of_a_pixel_classifier_is_lower():
    gn.manual_seed(2)
    pixels = nn.Sequential(nn.Flatten(), nn.Linear(3 * 12 * 12, 10))
    x = np.random.default_rng(0).standard_normal((64, 3, 12, 12)).astype(np.float32)
    c = shift_consistency(pixels, x, max_shift=4, generator=0, batch_size=20)
    assert 0.0 <= c < 0.6  # a dense layer on raw pixels has no notion of a shift
    assert shift_consistency(pixels, x, max_shift=0) == 1.0
    with pytest.raises(ValueError, match="shift_consistency"):
        shift_consistency(pixels, x[0], 2)
