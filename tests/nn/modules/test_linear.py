"""Identity, Linear and Bilinear against PyTorch: same state, same inputs, same outputs, input
gradients and parameter gradients (PReLU is checked alongside)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import FLOAT_DTYPES
from nn_helpers import module_parity

import glassnet as gn
import glassnet.nn as nn


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_parity(dtype, bias, xshape, rng):
    module_parity(nn.Linear(4, 3, bias=bias), tnn.Linear(4, 3, bias=bias),
                  [rng.standard_normal(xshape)], dtype)


def test_bilinear_parity(rng):
    module_parity(nn.Bilinear(3, 2, 4), tnn.Bilinear(3, 2, 4),
                  [rng.standard_normal((5, 3)), rng.standard_normal((5, 2))], np.float64)


def test_prelu_identity_bilinear_match_torch(rng):
    module_parity(nn.PReLU(3), tnn.PReLU(3), [rng.standard_normal((2, 3, 4))])
    module_parity(nn.Identity(), tnn.Identity(), [rng.standard_normal((2, 3))])
    module_parity(nn.Bilinear(3, 2, 4), tnn.Bilinear(3, 2, 4),
                  [rng.standard_normal((5, 3)), rng.standard_normal((5, 2))])
    assert tuple(nn.Bilinear(3, 2, 4).weight.shape) == (4, 3, 2)
    assert gn.is_tensor(nn.Identity(54, unused="x")(gn.ones(1)))
    _ = torch  # the reference library is the parity partner above


@pytest.mark.parametrize("make,shape", [
    (lambda m: m.Linear(-1, 5), r"\[5, -1\]"),
    (lambda m: m.Linear(5, -1), r"\[-1, 5\]"),
    (lambda m: m.Bilinear(2, 3, -1), r"\[-1, 2, 3\]"),
])
def test_negative_features_raise_as_pytorch(make, shape):
    with pytest.raises(RuntimeError, match="negative dimension"):
        make(tnn)
    with pytest.raises(RuntimeError, match=rf"(Bi)?[Ll]inear: weight shape must be non-negative.*"
                                           rf"{shape}"):
        make(nn)
