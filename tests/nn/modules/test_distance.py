"""The PairwiseDistance and CosineSimilarity layers against PyTorch: reprs, outputs and
gradients."""

from __future__ import annotations

import numpy as np
import torch.nn as tnn
from helpers import check_parity

import glassnet.nn as nn


def test_distance_layers_match_pytorch(rng):
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    for g, t in ((nn.PairwiseDistance(3.0, eps=1e-3, keepdim=True),
                  tnn.PairwiseDistance(3.0, eps=1e-3, keepdim=True)),
                 (nn.CosineSimilarity(0, eps=1e-6), tnn.CosineSimilarity(0, eps=1e-6))):
        assert g.eps == t.eps and repr(g) == repr(t)
        check_parity(g, t, [a, b], dtype=np.float64)
