"""PyTorch state-dict interop (glassnet/io/interop.py): from torch and back."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.io as gio


def test_torch_interop():
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(3, 2)
    sd = gio.from_torch_state_dict(lin.state_dict())
    assert list(sd) == ["weight", "bias"] and sd["weight"].dtype == np.float32
    np.testing.assert_array_equal(sd["weight"].numpy(), lin.weight.detach().numpy())
    back = gio.to_torch_state_dict(sd)
    lin2 = torch.nn.Linear(3, 2)
    lin2.load_state_dict(back)
    assert torch.equal(lin2.weight, lin.weight)
