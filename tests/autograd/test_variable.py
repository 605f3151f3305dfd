"""Variable, the autograd base class of Tensor, and the autograd package's layout."""

from __future__ import annotations

import importlib

import numpy as np
import torch

import glassnet as gn
from glassnet.autograd import Variable


def test_every_tensor_is_a_variable_as_in_pytorch():
    t = gn.ones(2)
    assert isinstance(t, Variable)
    assert isinstance(torch.ones(2), torch.autograd.Variable)  # the behaviour we follow
    assert isinstance(gn.nn.Parameter(gn.ones(2)), Variable)


def test_variable_builds_a_tensor():
    v = Variable(gn.tensor([1.0, 2.0]), requires_grad=True)
    assert type(v) is gn.Tensor and v.requires_grad and v.is_leaf
    (v * v).sum().backward()
    np.testing.assert_allclose(v.grad.numpy(), [2.0, 4.0])
    assert type(Variable(np.zeros(3, np.float32))) is gn.Tensor


def test_ops_and_gradients_of_a_parameter_are_plain_tensors():
    p = gn.nn.Parameter(gn.ones(3))
    y = p * 2
    assert type(y) is gn.Tensor and type(p.detach()) is gn.Tensor
    y.sum().backward()
    assert type(p.grad) is gn.Tensor
    (g,) = gn.autograd.grad((p * p).sum(), p, create_graph=True)
    assert type(g) is gn.Tensor and g.requires_grad


def test_functional_is_a_real_submodule_loaded_on_first_use():
    mod = importlib.import_module("glassnet.autograd.functional")
    assert gn.autograd.functional is mod
    from glassnet.autograd import functional

    assert functional is mod and callable(mod.jacobian)
    x = gn.tensor([1.0, 2.0])
    np.testing.assert_allclose(gn.autograd.functional.jacobian(lambda a: a * a, x).numpy(),
                               np.diag([2.0, 4.0]))
