"""The ChannelShuffle layer against PyTorch: repr, outputs and gradients."""

from __future__ import annotations

import numpy as np
import torch.nn as tnn
from helpers import check_parity

import glassnet.nn as nn


def test_channel_shuffle_layer_matches_pytorch(rng):
    g, t = nn.ChannelShuffle(3), tnn.ChannelShuffle(3)
    assert repr(g) == repr(t)
    check_parity(g, t, [rng.standard_normal((2, 6, 4, 3))], dtype=np.float64)
