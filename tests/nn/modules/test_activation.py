"""Activation layers against PyTorch: same state and inputs, same outputs and gradients; reprs."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn as tnn
from nn_helpers import module_parity

import glassnet as gn
import glassnet.nn as nn


@pytest.mark.parametrize("name,args", [
    ("ReLU", ()), ("LeakyReLU", (0.1,)), ("ELU", (0.5,)), ("SELU", ()), ("CELU", (1.5,)),
    ("GELU", ()), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("Tanh", ()),
    ("Softplus", (2.0, 5.0)), ("Hardtanh", (-2.0, 2.0)), ("ReLU6", ()), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("Softsign", ()), ("LogSigmoid", ()), ("Softmax", (1,)),
    ("LogSoftmax", (1,)), ("Softmin", (1,)), ("PReLU", (3,)), ("GLU", ()), ("Tanhshrink", ()),
])
def test_activation_layers(name, args, rng):
    x = rng.standard_normal((4, 3, 2)) * 3
    module_parity(getattr(nn, name)(*args), getattr(tnn, name)(*args), [x], np.float64)


def test_softmax2d_and_step_layers(rng):
    x = rng.standard_normal((2, 3, 2, 2))
    module_parity(nn.Softmax2d(), tnn.Softmax2d(), [x], np.float64)
    s = nn.Step()
    assert s(gn.tensor([-1.0, 0.0, 2.0])).tolist() == [0.0, 1.0, 1.0]
    assert repr(nn.Step(0.5)) == "Step(threshold=0.5)"
    assert nn.Heaviside(0.0)(gn.tensor([0.0])).tolist() == [0.0]


@pytest.mark.parametrize("name,args", [("GLU", ()), ("Softmin", (1,)), ("Softmax2d", ()),
                                       ("LogSigmoid", ()), ("Tanhshrink", ()), ("Softsign", ()),
                                       ("CELU", (0.7,)), ("SELU", ()), ("Mish", ()),
                                       ("Hardswish", ()), ("Hardsigmoid", ()), ("SiLU", ())])
def test_family_layers_match_torch(name, args, rng):
    x = rng.uniform(-4, 4, (2, 4, 3, 2))
    module_parity(getattr(nn, name)(*args), getattr(tnn, name)(*args), [x], np.float64)
    assert repr(getattr(nn, name)(*args)) == repr(getattr(tnn, name)(*args))
