"""pad_sequence, pack_sequence, pack_padded_sequence, pad_packed_sequence and unpack_sequence
against torch.nn.utils.rnn."""

from __future__ import annotations

import pytest
import torch
from helpers import assert_close

import glassnet as gn
from glassnet import nn


def test_pad_pack_utilities_match_torch(rng):
    from torch.nn.utils import rnn as trnn

    from glassnet.nn.utils import rnn as grnn

    seqs = [rng.standard_normal((n, 2)) for n in (2, 4, 1)]
    for kw in ({}, {"batch_first": True, "padding_value": -1.0}, {"padding_side": "left"}):
        a = grnn.pad_sequence([gn.tensor(s) for s in seqs], **kw)
        b = trnn.pad_sequence([torch.tensor(s) for s in seqs], **kw)
        assert_close(a, b, 0, 0)
    gp = grnn.pack_sequence([gn.tensor(s) for s in seqs], enforce_sorted=False)
    tp = trnn.pack_sequence([torch.tensor(s) for s in seqs], enforce_sorted=False)
    assert_close(gp.data, tp.data, 0, 0)
    for field in ("batch_sizes", "sorted_indices", "unsorted_indices"):
        assert getattr(gp, field).tolist() == getattr(tp, field).tolist()
    for a, b in zip(grnn.unpack_sequence(gp), trnn.unpack_sequence(tp)):
        assert_close(a, b, 0, 0)
    padded, lens = grnn.pad_packed_sequence(gp, total_length=6, padding_value=9.0)
    tpadded, _ = trnn.pad_packed_sequence(tp, total_length=6, padding_value=9.0)
    assert_close(padded, tpadded, 0, 0)
    assert lens.tolist() == [2, 4, 1]
    with pytest.raises(RuntimeError, match="sorted in decreasing order"):
        grnn.pack_padded_sequence(gn.zeros(4, 3, 2), [2, 4, 1])
    assert nn.utils.rnn.PackedSequence is grnn.PackedSequence
