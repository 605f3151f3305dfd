"""nn.utils holds torch.nn.utils' public names (and nn.utils.rnn the names of
torch.nn.utils.rnn); skip_init and the memory-format converter."""

from __future__ import annotations

import copy

import pytest
import torch

import glassnet as gn
import glassnet.nn as gnn
import glassnet.nn.utils as gu


def test_small_helpers_and_rnn_namespace():
    m = gnn.Conv2d(1, 1, 3)
    assert gu.convert_conv2d_weight_memory_format(m, gn.channels_last if hasattr(
        gn, "channels_last") else None) is m
    lin = gu.skip_init(gnn.Linear, 3, 2)
    assert lin.weight.shape == (2, 3)
    for name in ("pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
                 "pack_sequence", "PackedSequence", "unpad_sequence", "unpack_sequence"):
        assert hasattr(gu.rnn, name) == hasattr(torch.nn.utils.rnn, name), name
    public = {n for n in dir(torch.nn.utils) if not n.startswith("_")}
    missing = public - set(dir(gu)) - {"stateless", "memory_format", "init"}
    assert not missing, missing
    with pytest.warns(FutureWarning):
        deep = copy.deepcopy(gu.weight_norm(gnn.Linear(2, 2)))
    assert deep(gn.ones(1, 2)).shape == (1, 2)
