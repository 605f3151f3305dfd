"""Embedding and EmbeddingBag layers against PyTorch: padding_idx, scale_grad_by_freq, max_norm,
from_pretrained, errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import assert_close
from nn_helpers import copy_state, module_parity

import glassnet as gn
import glassnet.nn as nn


@pytest.mark.parametrize("opts", [dict(), dict(padding_idx=1), dict(scale_grad_by_freq=True),
                                  dict(padding_idx=-1, scale_grad_by_freq=True)])
def test_embedding_parity(opts, rng):
    idx = np.array([[0, 2, 1, 2], [4, 4, 1, 3]])
    module_parity(nn.Embedding(5, 3, **opts), tnn.Embedding(5, 3, **opts), [idx])


def test_embedding_max_norm_and_errors(rng):
    w = rng.standard_normal((5, 3)).astype(np.float32) * 3
    g = nn.Embedding.from_pretrained(gn.tensor(w), freeze=False, max_norm=1.0)
    t = tnn.Embedding.from_pretrained(torch.tensor(w), freeze=False, max_norm=1.0)
    idx = np.array([0, 3, 3])
    assert_close(g(gn.tensor(idx)), t(torch.tensor(idx)), 1e-5, 1e-6)
    assert_close(g.weight, t.weight, 1e-5, 1e-6)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        g(gn.tensor([5]))
    with pytest.raises(RuntimeError, match="integer"):
        g(gn.tensor([1.0]))
    assert nn.Embedding(4, 2, padding_idx=0).weight[0].abs().sum().item() == 0
    e = nn.Embedding.from_pretrained(gn.tensor(w))
    assert not e.weight.requires_grad


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


@pytest.mark.parametrize("cls", ["Embedding", "EmbeddingBag"])
@pytest.mark.parametrize("num,dim,bad", [(-1, 3, -1), (3, -2, -2)])
def test_negative_sizes_raise_as_pytorch(cls, num, dim, bad):
    with pytest.raises(RuntimeError, match="negative dimension"):
        getattr(tnn, cls)(num, dim)
    with pytest.raises(RuntimeError, match=rf"{cls}: weight shape must be non-negative.*"
                                           rf"negative dimension {bad}: \[{num}, {dim}\]"):
        getattr(nn, cls)(num, dim)
