"""binary_cross_entropy, binary_cross_entropy_with_logits and multilabel_soft_margin_loss
(functions and layers) against PyTorch over every reduction, with float64 gradient checks.
(soft_margin_loss runs in the regression-loss grid, whose signature it shares.)"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted, rng):
    p = rng.uniform(0.02, 0.98, (4, 3))
    t = rng.random((4, 3))
    w = rng.random(3) if weighted else None
    inputs = [p, t] + ([w] if weighted else [])
    for dtype in FLOAT_DTYPES:
        check_parity(lambda a, b, c=None: F.binary_cross_entropy(a, b, c, reduction=reduction),
                     lambda a, b, c=None: TF.binary_cross_entropy(a, b, c, reduction=reduction),
                     inputs, dtype=dtype, grad_inputs=[0, 1])
    gradcheck(lambda a, b: F.binary_cross_entropy(a, b, reduction=reduction), [p, t])


def test_binary_cross_entropy_clamps_log_and_checks_range():
    p = np.array([0.0, 1.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 1.0], np.float32)
    check_parity(F.binary_cross_entropy, TF.binary_cross_entropy, [p, t], grad_inputs=[])
    assert F.binary_cross_entropy(gn.tensor(p), gn.tensor(t)).item() == pytest.approx(
        TF.binary_cross_entropy(torch.tensor(p), torch.tensor(t)).item())
    with pytest.raises(RuntimeError, match="between 0 and 1"):
        F.binary_cross_entropy(gn.tensor([1.5]), gn.tensor([1.0]))
    with pytest.raises(ValueError, match="size"):
        F.binary_cross_entropy(gn.tensor([0.5, 0.5]), gn.tensor([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(), dict(weight=True), dict(pos_weight=True),
                                  dict(weight=True, pos_weight=True)])
def test_bce_with_logits(reduction, opts, rng):
    x = rng.standard_normal((5, 3)) * 3
    t = rng.random((5, 3))
    extra = {}
    arrays = [x, t]
    if opts.get("weight"):
        arrays.append(rng.random((5, 1)))
        extra["weight"] = len(arrays) - 1
    if opts.get("pos_weight"):
        arrays.append(rng.uniform(0.5, 3, 3))
        extra["pos_weight"] = len(arrays) - 1

    def call(mod):
        def f(*a):
            kw = {k: a[i] for k, i in extra.items()}
            return mod.binary_cross_entropy_with_logits(a[0], a[1], reduction=reduction, **kw)
        return f

    for dtype in FLOAT_DTYPES:
        check_parity(call(F), call(TF), arrays, dtype=dtype, grad_inputs=[0, 1])
    gradcheck(call(F), arrays, grad_inputs=[0, 1])


def test_bce_with_logits_large_logits():
    x = np.array([-200.0, -30.0, 0.0, 30.0, 200.0], np.float32)
    t = np.array([1.0, 0.0, 0.5, 1.0, 0.0], np.float32)
    check_parity(F.binary_cross_entropy_with_logits, TF.binary_cross_entropy_with_logits, [x, t])
    pw = np.array([2.0], np.float32)
    check_parity(lambda a, b, c: F.binary_cross_entropy_with_logits(a, b, pos_weight=c),
                 lambda a, b, c: TF.binary_cross_entropy_with_logits(a, b, pos_weight=c),
                 [x, t, pw], grad_inputs=[0])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss_parity(dtype, reduction, weighted, rng):
    x = rng.standard_normal((5, 4)) * 2
    y = (rng.random((5, 4)) < 0.4).astype(np.float64)
    w = rng.uniform(0.5, 2.0, 4) if weighted else None

    def g(a, b):
        return F.multilabel_soft_margin_loss(a, b, None if w is None else gn.tensor(w, dtype=a.dtype),
                                             reduction=reduction)

    def t(a, b):
        return TF.multilabel_soft_margin_loss(a, b, None if w is None else
                                              torch.tensor(w, dtype=a.dtype),
                                              reduction=reduction)

    check_parity(g, t, [x, y], dtype=dtype)
    gm = nn.MultiLabelSoftMarginLoss(None if w is None else gn.tensor(w, dtype=dtype),
                                     reduction=reduction)
    tm = tnn.MultiLabelSoftMarginLoss(None if w is None else torch.tensor(w, dtype=
                                      torch.float32 if dtype == np.float32 else torch.float64),
                                      reduction=reduction)
    check_parity(gm, tm, [x, y], dtype=dtype)
