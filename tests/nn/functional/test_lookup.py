"""F.one_hot and F.embedding_bag against PyTorch, with float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F


def test_one_hot():
    y = np.array([[0, 3], [2, 1]])
    np.testing.assert_array_equal(F.one_hot(gn.tensor(y)).numpy(),
                                  TF.one_hot(torch.tensor(y)).numpy())
    np.testing.assert_array_equal(F.one_hot(gn.tensor(y), 6).numpy(),
                                  TF.one_hot(torch.tensor(y), 6).numpy())
    assert F.one_hot(gn.tensor(y)).dtype == gn.int64
    with pytest.raises(RuntimeError, match="out of range"):
        F.one_hot(gn.tensor([0, 5]), 3)
    with pytest.raises(RuntimeError, match="integer"):
        F.one_hot(gn.tensor([0.0, 1.0]))


INPUT = np.array([1, 2, 4, 5, 4, 3, 2, 0, 6, 6])
OFFSETS = np.array([0, 2, 2, 5, 8])  # bag 1 is empty


def _bag(**kw):
    def g(idx, w, off, *psw):
        return F.embedding_bag(idx, w, off, per_sample_weights=psw[0] if psw else None, **kw)

    def t(idx, w, off, *psw):
        return TF.embedding_bag(idx, w, off, per_sample_weights=psw[0] if psw else None, **kw)

    return g, t


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
@pytest.mark.parametrize("include_last_offset", [False, True])
def test_embedding_bag_parity(mode, padding_idx, include_last_offset, dtype, rng):
    w = rng.standard_normal((7, 3))
    off = np.r_[OFFSETS, len(INPUT)] if include_last_offset else OFFSETS
    inputs = [INPUT, w, off]
    if mode == "sum":
        inputs.append(rng.standard_normal(len(INPUT)))
    g, t = _bag(mode=mode, padding_idx=padding_idx, include_last_offset=include_last_offset)
    check_parity(g, t, inputs, dtype=dtype)


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d_input_and_gradcheck(mode, rng):
    w = rng.standard_normal((6, 4))
    idx = rng.integers(0, 6, (3, 5))
    g, t = _bag(mode=mode)
    check_parity(lambda i, w: g(i, w, None), lambda i, w: t(i, w, None), [idx, w])
    gradcheck(lambda w: g(gn.tensor(INPUT % 6), w, gn.tensor(OFFSETS)), [w])
    if mode == "sum":
        psw = rng.standard_normal(idx.shape)
        check_parity(lambda i, w, p: g(i, w, None, p), lambda i, w, p: t(i, w, None, p),
                     [idx, w, psw])
        gradcheck(lambda w, p: g(gn.tensor(idx), w, None, p), [w, psw])


def test_embedding_bag_scale_grad_and_max_norm(rng):
    """scale_grad_by_freq divides each row's gradient by its index's frequency in the batch.
    PyTorch 2.13's CPU embedding_bag reads the wrong count for some rows (pytorch#190063, fixed
    upstream), so the reference is PyTorch's embedding (correct) followed by the bag sums."""
    w = rng.standard_normal((7, 3)) * 2

    def via_embedding(idx, w, off):
        rows = TF.embedding(idx, w, scale_grad_by_freq=True)
        ends = list(off[1:].tolist()) + [len(idx)]
        return torch.stack([rows[a:b].sum(0) for a, b in zip(off.tolist(), ends)])

    g, _ = _bag(mode="sum", scale_grad_by_freq=True)
    check_parity(g, via_embedding, [INPUT, w, OFFSETS])
    gw, tw = gn.tensor(w.copy()), torch.tensor(w.copy())
    go = F.embedding_bag(gn.tensor(INPUT), gw, gn.tensor(OFFSETS), max_norm=1.0, mode="sum")
    to = TF.embedding_bag(torch.tensor(INPUT), tw, torch.tensor(OFFSETS), max_norm=1.0,
                          mode="sum")
    assert_close(go, to)
    assert_close(gw, tw, what="renormalised weight")


def test_embedding_bag_errors():
    w = gn.randn(7, 3)
    idx, off = gn.tensor(INPUT), gn.tensor(OFFSETS)
    with pytest.raises(ValueError, match="offsets has to be a 1D Tensor but got None"):
        F.embedding_bag(idx, w)
    with pytest.raises(ValueError, match="if input is 2D, then offsets has to be None"):
        F.embedding_bag(idx.reshape(2, 5), w, off)
    with pytest.raises(NotImplementedError, match="only supported for mode='sum'"):
        F.embedding_bag(idx, w, off, per_sample_weights=gn.ones(10))
    with pytest.raises(ValueError, match="max mode does not support scaling"):
        F.embedding_bag(idx, w, off, mode="max", scale_grad_by_freq=True)
    with pytest.raises(ValueError, match="mode has to be one of"):
        F.embedding_bag(idx, w, off, mode="median")
    with pytest.raises(RuntimeError, match=r"offsets\[0\] has to be 0"):
        F.embedding_bag(idx, w, gn.tensor([1, 3]))
    with pytest.raises(IndexError, match="index 9 is out of range"):
        F.embedding_bag(gn.tensor([3, 9]), w, gn.tensor([0]))
    with pytest.raises(ValueError, match="same shape as the input"):
        F.embedding_bag(idx, w, off, mode="sum", per_sample_weights=gn.ones(3))
