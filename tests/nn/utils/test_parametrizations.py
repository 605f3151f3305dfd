"""nn.utils.parametrizations.weight_norm and spectral_norm against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_helpers import compare_forward_backward, linear_pair, module_pair
from torch.nn.utils import parametrizations as tQ

import glassnet.nn as gnn
from glassnet.nn.utils import parametrizations as gQ


@pytest.mark.parametrize("dim", [0, 1, None, -2])
def test_weight_norm_parametrization_matches_torch(dim):
    g, t = module_pair(lambda: gnn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3))
    gQ.weight_norm(g, dim=dim)
    tQ.weight_norm(t, dim=dim)
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-12, err_msg=k)
    x = np.random.default_rng(2).standard_normal((2, 2, 5, 5))
    compare_forward_backward(g, t, x)


def _copy_uv(g, t):
    for name in ("_u", "_v"):
        getattr(g.parametrizations.weight[0], name)._data[...] = \
            getattr(t.parametrizations.weight[0], name).numpy()


@pytest.mark.parametrize("make", ["linear", "conv", "conv_transpose"])
def test_spectral_norm_parametrization_matches_torch(make):
    if make == "linear":
        g, t = linear_pair(5, 4)
    elif make == "conv":
        g, t = module_pair(lambda: gnn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3))
    else:
        g, t = module_pair(lambda: gnn.ConvTranspose2d(2, 3, 3),
                           lambda: torch.nn.ConvTranspose2d(2, 3, 3))
    gQ.spectral_norm(g, n_power_iterations=2)
    tQ.spectral_norm(t, n_power_iterations=2)
    assert list(g.state_dict()) == list(t.state_dict())
    assert g.parametrizations.weight[0].dim == t.parametrizations.weight[0].dim
    _copy_uv(g, t)          # the random start vectors come from each library's generator
    shape = (3, 5) if make == "linear" else (2, 2, 6, 6)
    rng = np.random.default_rng(3)
    for _ in range(3):          # training: a power-iteration step at every access
        compare_forward_backward(g, t, rng.standard_normal(shape), rtol=1e-9, atol=1e-11)
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
