"""Padding layers (Zero/Constant/Reflection/Replication/CircularPad 1d-3d) against PyTorch."""

from __future__ import annotations

import pytest
import torch.nn as tnn
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet.nn as nn

KINDS = ["ZeroPad", "ConstantPad", "ReflectionPad", "ReplicationPad", "CircularPad"]
PADS = {1: [2, (1, 3), (0, 2)], 2: [1, (1, 2, 0, 3)], 3: [1, (1, 0, 2, 1, 0, 2)]}


def _pair(kind, nd, pad):
    name = f"{kind}{nd}d"
    args = (pad, 1.5) if kind == "ConstantPad" else (pad,)
    return getattr(nn, name)(*args), getattr(tnn, name)(*args)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_padding_layer_parity(kind, nd, batched, rng):
    spatial = {1: (5,), 2: (4, 5), 3: (3, 4, 4)}[nd]
    shape = ((2, 3) if batched else (3,)) + spatial
    x = rng.standard_normal(shape)
    for pad in PADS[nd]:
        g, t = _pair(kind, nd, pad)
        assert g.padding == t.padding and repr(g) == repr(t)
        for dtype in FLOAT_DTYPES:
            check_parity(g, t, [x], dtype=dtype)


@pytest.mark.parametrize("kind", ["ConstantPad", "ReflectionPad", "ReplicationPad",
                                  "CircularPad"])
def test_padding_layer_gradcheck(kind, rng):
    g, _ = _pair(kind, 2, (1, 2, 2, 1))
    gradcheck(g, [rng.standard_normal((1, 2, 4, 5))])


def test_constant_pad_negative_crops_and_any_rank(rng):
    x = rng.standard_normal((2, 3, 4, 5))
    check_parity(nn.ConstantPad2d((-1, 2, 0, -2), 0.5), tnn.ConstantPad2d((-1, 2, 0, -2), 0.5),
                 [x])
    check_parity(nn.ZeroPad1d(1), tnn.ZeroPad1d(1), [x])  # pads the last dim of any rank


def test_padding_layer_errors(rng):
    import glassnet as gn

    with pytest.raises(ValueError, match="4 values"):
        nn.ZeroPad2d((1, 2, 3))
    with pytest.raises(ValueError, match="expected 2D or 3D input"):
        nn.CircularPad1d(1)(gn.zeros(2, 2, 2, 2))
    with pytest.raises(RuntimeError, match="reflect padding"):
        nn.ReflectionPad1d(3)(gn.zeros(1, 1, 3))
