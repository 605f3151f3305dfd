"""Loss modules: the same results as torch.nn's modules; class weights are buffers."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import assert_close

import glassnet as gn
import glassnet.nn as nn


def _pair(gmod, tmod, *arrays):
    """Gradients are compared for the first input (the prediction)."""
    gi = [gn.tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays)]
    ti = [torch.tensor(a, requires_grad=i == 0) for i, a in enumerate(arrays)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        go, to = gmod(*gi), tmod(*ti)
    assert_close(go, to, 1e-5, 1e-6, "loss")
    go.sum().backward()
    to.sum().backward()
    for a, b in zip(gi, ti):
        if b.grad is not None:
            assert_close(a.grad, b.grad, 1e-5, 1e-6, "gradient")


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_loss_modules_match_pytorch(reduction, rng):
    x = rng.standard_normal((6, 4)).astype(np.float32)
    t = rng.standard_normal((6, 4)).astype(np.float32)
    y = rng.integers(0, 4, 6)
    pm1 = np.where(rng.random(6) < 0.5, -1.0, 1.0).astype(np.float32)
    p = rng.uniform(0.05, 0.95, (6, 4)).astype(np.float32)
    w = rng.uniform(0.5, 2.0, 4).astype(np.float32)
    r = reduction
    _pair(nn.MSELoss(reduction=r), tnn.MSELoss(reduction=r), x, t)
    _pair(nn.L1Loss(reduction=r), tnn.L1Loss(reduction=r), x, t)
    _pair(nn.SmoothL1Loss(reduction=r, beta=0.5), tnn.SmoothL1Loss(reduction=r, beta=0.5), x, t)
    _pair(nn.HuberLoss(reduction=r, delta=0.7), tnn.HuberLoss(reduction=r, delta=0.7), x, t)
    _pair(nn.CrossEntropyLoss(weight=gn.tensor(w), reduction=r, label_smoothing=0.1),
          tnn.CrossEntropyLoss(weight=torch.tensor(w), reduction=r, label_smoothing=0.1), x, y)
    _pair(nn.CrossEntropyLoss(ignore_index=2, reduction=r),
          tnn.CrossEntropyLoss(ignore_index=2, reduction=r), x, y)
    _pair(nn.NLLLoss(weight=gn.tensor(w), reduction=r),
          tnn.NLLLoss(weight=torch.tensor(w), reduction=r), x, y)
    _pair(nn.BCELoss(weight=gn.tensor(w), reduction=r),
          tnn.BCELoss(weight=torch.tensor(w), reduction=r), p, p.round())
    _pair(nn.BCEWithLogitsLoss(pos_weight=gn.tensor(w), reduction=r),
          tnn.BCEWithLogitsLoss(pos_weight=torch.tensor(w), reduction=r), x, p)
    _pair(nn.KLDivLoss(reduction=r), tnn.KLDivLoss(reduction=r), np.log(p), p)
    _pair(nn.HingeEmbeddingLoss(0.5, reduction=r), tnn.HingeEmbeddingLoss(0.5, reduction=r),
          x[:, 0], pm1)
    _pair(nn.MultiMarginLoss(p=2, margin=0.5, weight=gn.tensor(w), reduction=r),
          tnn.MultiMarginLoss(p=2, margin=0.5, weight=torch.tensor(w), reduction=r), x, y)
    _pair(nn.CosineEmbeddingLoss(0.1, reduction=r), tnn.CosineEmbeddingLoss(0.1, reduction=r),
          x, t, pm1)
    _pair(nn.MarginRankingLoss(0.2, reduction=r), tnn.MarginRankingLoss(0.2, reduction=r),
          x[:, 0], t[:, 0], pm1)
    _pair(nn.SoftMarginLoss(reduction=r), tnn.SoftMarginLoss(reduction=r), x[:, 0], pm1)


def test_kl_batchmean_and_one_hot_targets(rng):
    x = rng.standard_normal((5, 3)).astype(np.float32)
    logp = x - np.log(np.exp(x).sum(1, keepdims=True))
    q = rng.dirichlet(np.ones(3), 5).astype(np.float32)
    _pair(nn.KLDivLoss(reduction="batchmean"), tnn.KLDivLoss(reduction="batchmean"), logp, q)
    onehot = np.eye(3, dtype=np.float32)[rng.integers(0, 3, 5)]
    _pair(nn.CrossEntropyLoss(), tnn.CrossEntropyLoss(), x, onehot)


def test_weights_are_buffers_and_reprs():
    ce = nn.CrossEntropyLoss(weight=gn.ones(3))
    assert list(ce.state_dict()) == ["weight"] and list(ce.parameters()) == []
    ce.double()
    assert ce.weight.dtype == gn.float64
    assert list(nn.BCEWithLogitsLoss(pos_weight=gn.ones(2)).state_dict()) == ["pos_weight"]
    assert repr(nn.CrossEntropyLoss()) == "CrossEntropyLoss()"
    assert nn.MSELoss(size_average=False).reduction == "sum"
    assert nn.MSELoss(reduce=False).reduction == "none"
    with pytest.raises(ValueError):
        nn.MultiMarginLoss(p=3)


def test_perceptron_criterion_is_zero_when_all_correct():
    scores = gn.tensor([[3.0, 1.0, 0.0], [0.0, 2.0, -1.0]])
    assert nn.MultiMarginLoss(margin=0.0)(scores, gn.tensor([0, 1])).item() == 0.0
    assert nn.MultiMarginLoss(margin=0.0)(scores, gn.tensor([1, 1])).item() > 0.0
