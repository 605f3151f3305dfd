"""The weight memory-format converters accept PyTorch's calls and return the module (glassnet
arrays have one layout)."""

from __future__ import annotations

import torch

import glassnet.nn as gnn
import glassnet.nn.utils as gu


def test_converters_return_the_module():
    c2, c3 = gnn.Conv2d(1, 2, 3), gnn.Conv3d(1, 2, 3)
    w2 = c2.weight._data.copy()
    assert gu.convert_conv2d_weight_memory_format(c2, torch.channels_last) is c2
    assert gu.convert_conv3d_weight_memory_format(c3, torch.channels_last_3d) is c3
    assert (c2.weight._data == w2).all()
    t = torch.nn.Conv2d(1, 2, 3)
    assert torch.nn.utils.convert_conv2d_weight_memory_format(t, torch.channels_last) is t
