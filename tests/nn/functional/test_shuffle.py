"""pixel_shuffle, pixel_unshuffle and channel_shuffle (functions and layers), and the deprecated
upsample_nearest / upsample_bilinear, against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,r", [((2, 8, 3, 4), 2), ((18, 2, 3), 3), ((2, 1, 4, 2, 2), 2),
                                     ((1, 4, 1, 1), 2), ((3, 5, 5), 1)])
def test_pixel_shuffle_parity(dtype, shape, r, rng):
    x = rng.standard_normal(shape)
    check_parity(lambda a: F.pixel_shuffle(a, r), lambda a: TF.pixel_shuffle(a, r), [x],
                 dtype=dtype)
    check_parity(nn.PixelShuffle(r), tnn.PixelShuffle(r), [x], dtype=dtype)
    y = TF.pixel_shuffle(torch.from_numpy(x), r).numpy()
    check_parity(lambda a: F.pixel_unshuffle(a, r), lambda a: TF.pixel_unshuffle(a, r), [y],
                 dtype=dtype)
    check_parity(nn.PixelUnshuffle(r), tnn.PixelUnshuffle(r), [y], dtype=dtype)


def test_pixel_shuffle_roundtrip_gradcheck_and_errors(rng):
    x = rng.standard_normal((2, 8, 3, 2))
    out = F.pixel_unshuffle(F.pixel_shuffle(gn.tensor(x), 2), 2)
    np.testing.assert_array_equal(out.numpy(), x)
    gradcheck(lambda a: F.pixel_shuffle(a, 2), [x])
    gradcheck(lambda a: F.pixel_unshuffle(a, 2), [rng.standard_normal((1, 2, 4, 6))])
    assert repr(nn.PixelShuffle(3)) == repr(tnn.PixelShuffle(3))
    assert repr(nn.PixelUnshuffle(2)) == repr(tnn.PixelUnshuffle(2))
    with pytest.raises(RuntimeError, match="divisible by the square of upscale_factor"):
        F.pixel_shuffle(gn.zeros(1, 6, 2, 2), 2)
    with pytest.raises(RuntimeError, match="at least 3 dimensions"):
        F.pixel_shuffle(gn.zeros(4, 2), 2)
    with pytest.raises(RuntimeError, match="width to be divisible"):
        F.pixel_unshuffle(gn.zeros(1, 1, 4, 3), 2)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,groups", [((2, 6, 3, 3), 3), ((2, 6, 5), 2), ((1, 4, 2, 2, 2), 4),
                                          ((3, 5, 2), 1)])
def test_channel_shuffle_parity(dtype, shape, groups, rng):
    x = rng.standard_normal(shape)
    check_parity(lambda a: F.channel_shuffle(a, groups),
                 lambda a: TF.channel_shuffle(a, groups), [x], dtype=dtype)
    check_parity(nn.ChannelShuffle(groups), tnn.ChannelShuffle(groups), [x], dtype=dtype)
    assert repr(nn.ChannelShuffle(groups)) == repr(tnn.ChannelShuffle(groups))


def test_channel_shuffle_errors():
    with pytest.raises(RuntimeError, match="divisible by groups"):
        F.channel_shuffle(gn.zeros(1, 5, 2), 2)
    with pytest.raises(RuntimeError, match="must be positive"):
        F.channel_shuffle(gn.zeros(1, 4, 2), 0)


def test_upsample_functions_warn_and_match(rng):
    x = rng.standard_normal((1, 2, 3, 4))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_parity(lambda a: F.upsample_bilinear(a, scale_factor=2),
                     lambda a: TF.upsample_bilinear(a, scale_factor=2), [x])
        check_parity(lambda a: F.upsample_nearest(a, size=(5, 6)),
                     lambda a: TF.upsample_nearest(a, size=(5, 6)), [x])
    with pytest.warns(UserWarning, match="deprecated"):
        F.upsample_nearest(gn.tensor(x), scale_factor=2)
    gradcheck(lambda a: F.interpolate(a, scale_factor=2, mode="bilinear", align_corners=True),
              [x])
