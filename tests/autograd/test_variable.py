"""Variable, the autograd base class of Tensor (glassnet/autograd/variable.py): every tensor
is a Variable, detach and requires_grad_, hooks on leaves and non-leaves, retain_grad and
is_leaf."""

from __future__ import annotations

import numpy as np
import pytest
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


def test_detach_and_requires_grad_():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    d = (x * 2).detach()
    assert not d.requires_grad and d.grad_fn is None
    y = gn.tensor([1.0, 2.0])
    assert y.requires_grad_() is y and y.requires_grad
    (y * 3).sum().backward()
    np.testing.assert_array_equal(y.grad.numpy(), [3.0, 3.0])
    d2 = x.detach()
    d2._data[0] = 5.0  # detach shares storage, like PyTorch
    assert x._data[0] == 5.0
    with pytest.raises(RuntimeError, match="floating point"):
        gn.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="floating point"):
        gn.tensor([1, 2], requires_grad=True)


# ----------------------------------------------------------------------------- hooks
def test_register_hook_on_a_leaf_sees_and_replaces_the_gradient():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    h = x.register_hook(lambda g: seen.append(g.numpy().copy()))
    (x * 3).sum().backward()
    np.testing.assert_array_equal(seen[0], [3.0, 3.0])
    h.remove()
    x.grad = None
    x.register_hook(lambda g: g * 10)
    (x * 3).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [30.0, 30.0])
    assert len(seen) == 1


def test_register_hook_on_a_non_leaf_changes_upstream_gradients():
    for lib in (gn, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        y = x * x
        y.register_hook(lambda g: g * 2)
        y.sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [4.0, 8.0])


def test_hook_runs_once_with_the_summed_gradient():
    calls = []
    x = gn.tensor([1.0], requires_grad=True)
    y = x * 2
    y.register_hook(lambda g: calls.append(g.item()))
    (y * 3 + y * 4).sum().backward()
    assert calls == [7.0]


def test_register_hook_needs_requires_grad():
    with pytest.raises(RuntimeError, match="register_hook"):
        gn.ones(2).register_hook(lambda g: g)


def test_retain_grad_and_is_leaf():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    y.retain_grad()
    (y * y).sum().backward()
    assert x.is_leaf and not y.is_leaf
    np.testing.assert_array_equal(y.grad.numpy(), [6.0, 12.0])
