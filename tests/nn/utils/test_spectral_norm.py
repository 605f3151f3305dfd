"""The hook-based nn.utils.spectral_norm / remove_spectral_norm against PyTorch: a power iteration
at every training step, none in eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_helpers import conv_pair, module_pair, step_compare

import glassnet.nn as gnn
import glassnet.nn.utils as gu


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
def test_spectral_norm_matches_torch(kind):
    if kind == "linear":
        g, t = module_pair(lambda: gnn.Linear(5, 4), lambda: torch.nn.Linear(5, 4))
        shape = (3, 5)
    elif kind == "conv":
        g, t = conv_pair()
        shape = (2, 2, 5, 5)
    else:
        g, t = module_pair(lambda: gnn.ConvTranspose2d(2, 3, 3),
                     lambda: torch.nn.ConvTranspose2d(2, 3, 3))
        shape = (2, 2, 4, 4)
    gu.spectral_norm(g, n_power_iterations=2)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    assert list(g.state_dict()) == list(t.state_dict())
    g.weight_u._data[...] = t.weight_u.numpy()      # the random start vectors: same values
    g.weight_v._data[...] = t.weight_v.numpy()
    rng = np.random.default_rng(1)
    for _ in range(3):
        step_compare(g, t, rng.standard_normal(shape), rtol=1e-9, atol=1e-11)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=k)
    g.eval()
    t.eval()
    u = g.weight_u._data.copy()
    step_compare(g, t, rng.standard_normal(shape), rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(g.weight_u._data, u)   # no power iteration in eval
    gu.remove_spectral_norm(g)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy(), rtol=1e-9)
    with pytest.raises(ValueError, match="n_power_iterations"):
        gu.spectral_norm(gnn.Linear(2, 2), n_power_iterations=0)
