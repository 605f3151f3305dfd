"""The losses' legacy size_average / reduce flags map to a reduction as in PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import torch.nn.functional as TF
from helpers import to_gn, to_torch

import glassnet.nn.functional as F


def test_legacy_size_average_reduce(rng):
    x, y = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = F.mse_loss(to_gn(x), to_gn(y), size_average=False)
        t = TF.mse_loss(to_torch(x), to_torch(y), size_average=False)
        g2 = F.mse_loss(to_gn(x), to_gn(y), reduce=False)
    np.testing.assert_allclose(g.item(), t.item(), rtol=1e-6)
    assert tuple(g2.shape) == (4,)
