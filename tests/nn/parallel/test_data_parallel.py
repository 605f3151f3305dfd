"""DataParallel (glassnet/nn/parallel/data_parallel.py) calls the module."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.nn as nn
from glassnet.nn.parallel import DataParallel, DistributedDataParallel


def _mlp():
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))


def test_data_parallel_calls_the_module():
    net = _mlp()
    dp = DataParallel(net)
    x = gn.randn(2, 5)
    np.testing.assert_array_equal(dp(x).detach().numpy(), net(x).detach().numpy())
    assert dp.module is net and next(iter(dp.state_dict())) == "module.0.weight"
    assert nn.DataParallel is DataParallel
    assert nn.parallel.DistributedDataParallel is DistributedDataParallel
