"""Upsample, UpsamplingNearest2d and UpsamplingBilinear2d against PyTorch: reprs, outputs and
gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import FLOAT_DTYPES, check_parity
from nn_helpers import compare_layer

import glassnet.nn as nn


@pytest.mark.parametrize("make", [
    lambda m: m.Upsample(scale_factor=2, mode="nearest"),
    lambda m: m.Upsample(size=(4, 5), mode="bilinear"),
])
def test_repr_matches_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Upsample(scale_factor=1.5, mode="bilinear", align_corners=True), (1, 2, 5, 4)),
    (lambda m: m.Upsample(size=7), (1, 2, 5)),
])
def test_parameterless_layers_match_pytorch(make, shape, rng):
    compare_layer(make(nn), make(torch.nn), rng.standard_normal(shape), np.float64,
                   (1e-7, 1e-7))


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_upsampling_layers_parity(dtype, rng):
    x = rng.standard_normal((2, 3, 4, 5))
    for kw in ({"scale_factor": 2}, {"size": (7, 3)}, {"size": 9}):
        check_parity(nn.UpsamplingNearest2d(**kw), tnn.UpsamplingNearest2d(**kw), [x],
                     dtype=dtype)
        check_parity(nn.UpsamplingBilinear2d(**kw), tnn.UpsamplingBilinear2d(**kw), [x],
                     dtype=dtype)
    assert repr(nn.UpsamplingBilinear2d(scale_factor=2)) == \
        repr(tnn.UpsamplingBilinear2d(scale_factor=2))
