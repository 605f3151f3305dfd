"""The hook-based nn.utils.weight_norm / remove_weight_norm against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from nn_helpers import conv_pair, step_compare

import glassnet.nn.utils as gu


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    g, t = conv_pair()
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        gu.weight_norm(g, dim=dim)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(t, dim=dim)
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-12, err_msg=k)
    assert g.weight_g.shape == tuple(t.weight_g.shape)
    step_compare(g, t, np.random.default_rng(0).standard_normal((2, 2, 5, 5)))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning):
        gu.weight_norm(g, dim=dim)
    gu.remove_weight_norm(g)
    torch.nn.utils.remove_weight_norm(t)
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        gu.remove_weight_norm(g)
