"""Flatten and Unflatten against PyTorch: reprs, outputs and gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_helpers import compare_layer

from glassnet import nn


@pytest.mark.parametrize("make", [
    lambda m: m.Flatten(),
    lambda m: m.Unflatten(1, (2, 3)),
])
def test_repr_matches_pytorch(make):
    assert repr(make(nn)) == repr(make(torch.nn))


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Flatten(), (2, 3, 4, 5)),
    (lambda m: m.Flatten(0, 2), (2, 3, 4, 5)),
    (lambda m: m.Unflatten(1, (3, 4)), (2, 12, 5)),
])
def test_parameterless_layers_match_pytorch(make, shape, rng):
    compare_layer(make(nn), make(torch.nn), rng.standard_normal(shape), np.float64,
                   (1e-7, 1e-7))
