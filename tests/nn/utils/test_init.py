"""skip_init builds a module as PyTorch's does (parameter shapes, errors)."""

from __future__ import annotations

import pytest
import torch

import glassnet.nn as gnn
import glassnet.nn.utils as gu


def test_skip_init_matches_pytorch():
    g = gu.skip_init(gnn.Linear, 3, 2, bias=False)
    t = torch.nn.utils.skip_init(torch.nn.Linear, 3, 2, bias=False)
    assert type(g).__name__ == type(t).__name__ == "Linear"
    assert tuple(g.weight.shape) == tuple(t.weight.shape) and g.bias is None and t.bias is None
    with pytest.raises(RuntimeError, match="Expected a Module"):
        gu.skip_init(int)
