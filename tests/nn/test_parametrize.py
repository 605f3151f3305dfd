"""nn.utils.parametrize and parametrizations.weight_norm / spectral_norm against PyTorch."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch.nn.utils import parametrizations as tQ
from torch.nn.utils import parametrize as tP

import glassnet as gn
import glassnet.nn as gnn
from glassnet.nn.utils import parametrizations as gQ
from glassnet.nn.utils import parametrize as gP


def _pair(make_g, make_t, seed=0):
    torch.manual_seed(seed)
    t = make_t().double()
    g = make_g().double()
    g.load_state_dict({k: gn.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return g, t


def _linear_pair(i=4, o=3):
    return _pair(lambda: gnn.Linear(i, o), lambda: torch.nn.Linear(i, o))


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


def _compare_forward_backward(g, t, x, rtol=1e-10, atol=1e-12):
    gy, ty = g(gn.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=rtol, atol=atol)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    gnames = dict(g.named_parameters())
    tnames = dict(t.named_parameters())
    assert list(gnames) == list(tnames)
    for name, tp in tnames.items():
        np.testing.assert_allclose(gnames[name].grad._data, tp.grad.numpy(), rtol=rtol,
                                   atol=atol, err_msg=name)


def test_register_parametrization_is_a_property_recomputed_on_access():
    g, t = _linear_pair(3, 3)
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
    _compare_forward_backward(g, t, np.random.default_rng(0).standard_normal((5, 3)))
    assert repr(g).startswith("ParametrizedLinear(") and "(0): Symmetric()" in repr(g)


def test_assignment_goes_through_right_inverse_and_composition():
    g, t = _linear_pair(3, 3)
    gP.register_parametrization(g, "weight", Symmetric())
    gP.register_parametrization(g, "weight", Scale(), unsafe=True)
    tP.register_parametrization(t, "weight", TSymmetric())
    tP.register_parametrization(t, "weight", TScale(), unsafe=True)
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy())
    with pytest.raises(RuntimeError, match="does not implement right_inverse"):
        g.weight = gn.ones(3, 3, dtype=gn.float64)
    g2, _ = _linear_pair(3, 3)
    gP.register_parametrization(g2, "weight", Symmetric())
    target = np.arange(9.0).reshape(3, 3)
    g2.weight = gn.tensor(target)
    np.testing.assert_array_equal(g2.parametrizations.weight.original._data, target)


def test_remove_parametrizations_and_cached():
    g, t = _linear_pair(3, 3)
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
    g2, _ = _linear_pair(3, 3)
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
    g, _ = _linear_pair(3, 3)
    with pytest.raises(ValueError, match="may not change the shape"):
        gP.register_parametrization(g, "weight", Row())


def test_parametrized_module_trains_and_deepcopies():
    g, _ = _linear_pair(3, 3)
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


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_parametrization_matches_torch(dim):
    g, t = _pair(lambda: gnn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3))
    gQ.weight_norm(g, dim=dim)
    tQ.weight_norm(t, dim=dim)
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-12, err_msg=k)
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 5))
    _compare_forward_backward(g, t, x)


def _copy_uv(g, t):
    for name in ("_u", "_v"):
        getattr(g.parametrizations.weight[0], name)._data[...] = \
            getattr(t.parametrizations.weight[0], name).numpy()


@pytest.mark.parametrize("make", ["linear", "conv", "conv_transpose"])
def test_spectral_norm_parametrization_matches_torch(make):
    if make == "linear":
        g, t = _linear_pair(5, 4)
    elif make == "conv":
        g, t = _pair(lambda: gnn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3))
    else:
        g, t = _pair(lambda: gnn.ConvTranspose2d(2, 3, 3), lambda: torch.nn.ConvTranspose2d(2, 3, 3))
    gQ.spectral_norm(g, n_power_iterations=2)
    tQ.spectral_norm(t, n_power_iterations=2)
    assert list(g.state_dict()) == list(t.state_dict())
    assert g.parametrizations.weight[0].dim == t.parametrizations.weight[0].dim
    _copy_uv(g, t)          # the random start vectors come from each library's generator
    shape = (3, 5) if make == "linear" else (2, 2, 6, 6)
    rng = np.random.default_rng(3)
    for _ in range(3):          # training: a power-iteration step at every access
        _compare_forward_backward(g, t, rng.standard_normal(shape), rtol=1e-9, atol=1e-11)
        for p in list(g.parameters()) + list(t.parameters()):
            p.grad = None
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-9, atol=1e-12)
    g.eval()
    t.eval()
    u = g.parametrizations.weight[0]._u._data.copy()
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy(), rtol=1e-9)
    np.testing.assert_array_equal(g.parametrizations.weight[0]._u._data, u)


def test_spectral_norm_divides_by_the_largest_singular_value():
    lin = gnn.Linear(6, 4)
    w = lin.weight._data.copy()
    gQ.spectral_norm(lin)
    for _ in range(30):
        _ = lin.weight            # each access in training runs one power-iteration step
    sigma = np.linalg.svd(w, compute_uv=False)[0]
    np.testing.assert_allclose(lin.weight._data, w / sigma, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.linalg.svd(lin.weight._data, compute_uv=False)[0], 1.0, rtol=1e-4)
