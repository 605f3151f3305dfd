"""EmbeddingBag and F.embedding_bag against PyTorch, with float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, check_parity, gradcheck
from nn_helpers import copy_state

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

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


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_module_parity(mode, rng):
    t = tnn.EmbeddingBag(10, 4, mode=mode, padding_idx=0)
    g = nn.EmbeddingBag(10, 4, mode=mode, padding_idx=0)
    assert repr(g) == repr(t)
    assert not g.weight.detach().numpy()[0].any()  # the padding row starts at zero
    copy_state(t, g)
    idx = rng.integers(0, 10, 12)
    off = np.array([0, 3, 3, 9])
    psw = rng.standard_normal(12).astype(np.float32) if mode == "sum" else None
    go = g(gn.tensor(idx), gn.tensor(off), None if psw is None else gn.tensor(psw))
    to = t(torch.tensor(idx), torch.tensor(off), None if psw is None else torch.tensor(psw))
    assert_close(go, to)
    u = rng.standard_normal(tuple(to.shape)).astype(np.float32)
    go.backward(gn.tensor(u))
    to.backward(torch.tensor(u))
    assert_close(g.weight.grad, t.weight.grad)
    assert not g.weight.grad.numpy()[0].any()


def test_embedding_bag_from_pretrained(rng):
    w = rng.standard_normal((5, 3)).astype(np.float32)
    g = nn.EmbeddingBag.from_pretrained(gn.tensor(w), mode="max")
    t = tnn.EmbeddingBag.from_pretrained(torch.tensor(w), mode="max")
    assert not g.weight.requires_grad
    idx = np.array([[0, 1], [4, 2]])
    assert_close(g(gn.tensor(idx)), t(torch.tensor(idx)))
    assert nn.EmbeddingBag.from_pretrained(gn.tensor(w), freeze=False).weight.requires_grad
