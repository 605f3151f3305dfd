"""LayerNorm, GroupNorm, RMSNorm and LocalResponseNorm against PyTorch (same state: outputs and
every gradient)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity
from nn_helpers import module_parity

import glassnet.nn as nn
import glassnet.nn.functional as F


@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("opts", [dict(), dict(elementwise_affine=False), dict(bias=False),
                                  dict(eps=1e-2)])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_layernorm(shape, ns, opts, dtype, rng):
    g, t = nn.LayerNorm(ns, **opts), tnn.LayerNorm(ns, **opts)
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
    module_parity(g, t, [rng.standard_normal(shape) * 3 + 2], dtype)
    g.eval(), t.eval()
    module_parity(g, t, [rng.standard_normal(shape)], dtype)


@pytest.mark.parametrize("groups,shape", [(1, (3, 4, 5)), (2, (3, 4, 2, 2)), (4, (2, 4, 3)),
                                          (2, (5, 4))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_groupnorm(groups, shape, affine, dtype, rng):
    g, t = nn.GroupNorm(groups, 4, affine=affine), tnn.GroupNorm(groups, 4, affine=affine)
    if affine:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            t.bias.uniform_(-1, 1)
    module_parity(g, t, [rng.standard_normal(shape) * 2], dtype)


def test_rmsnorm_lrn_normalize(rng):
    module_parity(nn.RMSNorm(5), tnn.RMSNorm(5), [rng.standard_normal((3, 5))], np.float64)
    module_parity(nn.RMSNorm((2, 5), eps=1e-3), tnn.RMSNorm((2, 5), eps=1e-3),
                  [rng.standard_normal((3, 2, 5))], np.float64)
    module_parity(nn.LocalResponseNorm(3), tnn.LocalResponseNorm(3),
                  [rng.standard_normal((2, 6, 3, 3)) * 5], np.float64)
    module_parity(nn.LocalResponseNorm(4, 1e-2, 0.5, 2.0), tnn.LocalResponseNorm(4, 1e-2, 0.5, 2.0),
                  [rng.standard_normal((2, 5, 4)) * 5], np.float64)
    x = rng.standard_normal((4, 3))
    check_parity(F.normalize, TF.normalize, [x], dtype=np.float64)
    check_parity(lambda t: F.normalize(t, p=1, dim=0), lambda t: TF.normalize(t, p=1, dim=0),
                 [x], dtype=np.float64)
