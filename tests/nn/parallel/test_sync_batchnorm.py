"""SyncBatchNorm (glassnet/nn/modules/batchnorm.py) in one process is batch norm."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import HAVE_MPI

import glassnet as gn
import glassnet.distributed as dist
import glassnet.nn as nn


@pytest.mark.parametrize("initialized", [False, True])
def test_sync_batchnorm_in_one_process_is_batchnorm(initialized):
    if initialized:
        if not HAVE_MPI:
            pytest.skip("mpi4py is not installed")
        dist.init_process_group("gloo")
    try:
        net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),
                            nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12)))
        ref = copy.deepcopy(net)
        conv = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        assert isinstance(conv[1], nn.SyncBatchNorm) and isinstance(conv[3][1], nn.SyncBatchNorm)
        x = gn.randn(4, 2, 4, 4)
        out, want = conv(x), ref(x)
        np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())
        np.testing.assert_array_equal(conv[1].running_var.numpy(), ref[1].running_var.numpy())
    finally:
        if initialized:
            dist.destroy_process_group()
