"""InstanceNorm1d/2d/3d against PyTorch: affine parameters, running statistics, train and eval
mode."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn as tnn
from helpers import assert_close
from nn_helpers import module_parity

import glassnet.nn as nn


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d",
                                                                         (2, 4, 3, 3)),
                                        ("InstanceNorm2d", (4, 3, 3)),
                                        ("InstanceNorm3d", (2, 4, 2, 2, 2))])
@pytest.mark.parametrize("opts", [dict(), dict(affine=True), dict(track_running_stats=True)])
def test_instancenorm(name, shape, opts, rng):
    g, t = getattr(nn, name)(4, **opts), getattr(tnn, name)(4, **opts)
    for step in range(2):
        module_parity(g, t, [rng.standard_normal(shape) * 2 + 1], np.float64, seed=step)
    for (bname, b), (_, tb) in zip(g.named_buffers(), t.named_buffers()):
        assert_close(b, tb, 1e-9, 1e-9, bname)
    g.eval(), t.eval()
    module_parity(g, t, [rng.standard_normal(shape)], np.float64)
