"""The PixelShuffle and PixelUnshuffle layers against PyTorch: reprs, outputs and gradients."""

from __future__ import annotations

import numpy as np
import torch.nn as tnn
from helpers import check_parity

import glassnet.nn as nn


def test_pixel_shuffle_layers_match_pytorch(rng):
    x = rng.standard_normal((2, 12, 3, 4))
    for g, t in ((nn.PixelShuffle(2), tnn.PixelShuffle(2)),
                 (nn.PixelUnshuffle(3), tnn.PixelUnshuffle(3))):
        assert repr(g) == repr(t)
    check_parity(nn.PixelShuffle(2), tnn.PixelShuffle(2), [x], dtype=np.float64)
    check_parity(nn.PixelUnshuffle(2), tnn.PixelUnshuffle(2), [x[..., :2, :]], dtype=np.float64)
