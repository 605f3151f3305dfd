"""nn.utils.parametrize against PyTorch: a parametrization is a property recomputed on access;
assignment through right_inverse, composition, removal, caching, training and copies."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from nn_helpers import compare_forward_backward, linear_pair
from torch.nn.utils import parametrize as tP

import glassnet as gn
import glassnet.nn as gnn
from glassnet.nn.utils import parametrize as gP


class Symmetric(gnn.Module):
    def forward(self, x):
        return (x + x.transpose(0, 1)) * 0.5

    def right_inverse(self, a):
        return a


class TSymmetric(torch.nn.Module):
    def forward(self, x):
        return (x + x.transpose(0, 1)) * 0.5

    def right_inverse(self, a):
        return a


class Scale(gnn.Module):
    def forward(self, x):
        return x * 2.0


class TScale(torch.nn.Module):
    def forward(self, x):
        return x * 2.0


def test_register_parametrization_is_a_property_recomputed_on_access():
    g, t = linear_pair(3, 3)
    gP.register_parametrization(g, "weight", Symmetric())
    tP.register_parametrization(t, "weight", TSymmetric())
    assert type(g).__name__ == type(t).__name__ == "ParametrizedLinear"
    assert isinstance(g, gnn.Linear) and gP.type_before_parametrizations(g) is gnn.Linear
    assert gP.is_parametrized(g) and gP.is_parametrized(g, "weight")
    assert not gP.is_parametrized(g, "bias")
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(g.weight._data, g.weight._data.T)
    # the original changes -> the weight changes: computed on access, not stored
    g.parametrizations.weight.original._data[0, 1] += 1.0
    assert g.weight._data[1, 0] == g.weight._data[0, 1]
    with torch.no_grad():
        t.parametrizations.weight.original[0, 1] += 1.0
    compare_forward_backward(g, t, np.random.default_rng(0).standard_normal((5, 3)))
    assert repr(g).startswith("ParametrizedLinear(") and "(0): Symmetric()" in repr(g)


def test_assignment_goes_through_right_inverse_and_composition():
    g, t = linear_pair(3, 3)
    gP.register_parametrization(g, "weight", Symmetric())
    gP.register_parametrization(g, "weight", Scale(), unsafe=True)
    tP.register_parametrization(t, "weight", TSymmetric())
    tP.register_parametrization(t, "weight", TScale(), unsafe=True)
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        g.weight = gn.ones(3, 3, dtype=gn.float64)
    g2, _ = linear_pair(3, 3)
    gP.register_parametrization(g2, "weight", Symmetric())
    target = np.arange(9.0).reshape(3, 3)
    g2.weight = gn.tensor(target)
    np.testing.assert_array_equal(g2.parametrizations.weight.original._data, target)


def test_remove_parametrizations_and_cached():
    g, t = linear_pair(3, 3)
    gP.register_parametrization(g, "weight", Symmetric())
    tP.register_parametrization(t, "weight", TSymmetric())
    with gP.cached():
        assert g.weight is g.weight
    assert g.weight is not g.weight
    gP.remove_parametrizations(g, "weight")
    tP.remove_parametrizations(t, "weight")
    assert type(g) is gnn.Linear and isinstance(g.weight, gnn.Parameter)
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy())
    g2, _ = linear_pair(3, 3)
    gP.register_parametrization(g2, "weight", Symmetric())
    original = g2.parametrizations.weight.original._data.copy()
    gP.remove_parametrizations(g2, "weight", leave_parametrized=False)
    np.testing.assert_array_equal(g2.weight._data, original)
    with pytest.raises(ValueError, match="does not have a parametrization"):
        gP.remove_parametrizations(g2, "weight")
    with pytest.raises(ValueError, match="does not have a parameter, a buffer"):
        gP.register_parametrization(g2, "nothing", Symmetric())


def test_shape_change_needs_unsafe():
    class Row(gnn.Module):
        def forward(self, x):
            return x[0]
    g, _ = linear_pair(3, 3)
    with pytest.raises(ValueError, match="may not change the shape"):
        gP.register_parametrization(g, "weight", Row())


def test_parametrized_module_trains_and_deepcopies():
    g, _ = linear_pair(3, 3)
    gP.register_parametrization(g, "weight", Symmetric())
    clone = copy.deepcopy(g)
    assert type(clone).__name__ == "ParametrizedLinear"
    assert clone.parametrizations.weight.original is not g.parametrizations.weight.original
    opt = gn.optim.SGD(g.parameters(), lr=0.1)
    x = gn.tensor(np.random.default_rng(1).standard_normal((8, 3)))
    before = g.weight._data.copy()
    loss = (g(x) ** 2).mean()
    loss.backward()
    opt.step()
    assert not np.allclose(g.weight._data, before)
    np.testing.assert_allclose(g.weight._data, g.weight._data.T)
    np.testing.assert_array_equal(clone.weight._data, before)
