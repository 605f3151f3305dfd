"""The margin losses (hinge_embedding, multi_margin, cosine_embedding, margin_ranking,
triplet_margin, triplet_margin_with_distance, multilabel_margin; functions and layers) against
PyTorch over every reduction, with float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_hinge_embedding_loss(reduction, rng):
    x = rng.standard_normal((4, 5)) * 2
    y = np.where(rng.random((4, 5)) < 0.5, -1.0, 1.0)
    for margin in (1.0, 0.3):
        check_parity(lambda a, b: F.hinge_embedding_loss(a, b, margin, reduction=reduction),
                     lambda a, b: TF.hinge_embedding_loss(a, b, margin, reduction=reduction),
                     [x, y], grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin,weighted", [(1, 1.0, False), (2, 0.5, False), (1, 0.0, True),
                                               (2, 1.5, True)])
def test_multi_margin_loss(reduction, p, margin, weighted, rng):
    for shape in [(5, 4), (4,)]:
        x = rng.standard_normal(shape)
        y = rng.integers(0, shape[-1], shape[:-1]).astype(np.int64)
        w = rng.uniform(0.5, 2, shape[-1]) if weighted else None
        inputs = [x, y] + ([w] if weighted else [])
        check_parity(
            lambda a, b, c=None: F.multi_margin_loss(a, b, p, margin, c, reduction=reduction),
            lambda a, b, c=None: TF.multi_margin_loss(a, b, p, margin, c, reduction=reduction),
            inputs, dtype=np.float64, grad_inputs=[0])
    with pytest.raises(IndexError, match="out of range"):
        F.multi_margin_loss(gn.randn(2, 3), gn.tensor([0, 3]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cosine_and_ranking_losses(reduction, rng):
    a, b = rng.standard_normal((5, 4)), rng.standard_normal((5, 4))
    y = np.where(rng.random(5) < 0.5, -1.0, 1.0)
    for margin in (0.0, 0.2):
        check_parity(lambda u, v, t: F.cosine_embedding_loss(u, v, t, margin, reduction=reduction),
                     lambda u, v, t: TF.cosine_embedding_loss(u, v, t, margin,
                                                              reduction=reduction),
                     [a, b, y], dtype=np.float64, grad_inputs=[0, 1])
    a1, b1 = rng.standard_normal(5), rng.standard_normal(5)
    check_parity(lambda u, v, t: F.margin_ranking_loss(u, v, t, 0.1, reduction=reduction),
                 lambda u, v, t: TF.margin_ranking_loss(u, v, t, 0.1, reduction=reduction),
                 [a1, b1, y], dtype=np.float64, grad_inputs=[0, 1])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [{}, {"margin": 0.5, "p": 1.0, "swap": True},
                                  {"margin": 2.0, "p": 3.0, "eps": 1e-3}, {"swap": True}])
def test_triplet_margin_loss_parity(dtype, reduction, opts, rng):
    a, p, n = (rng.standard_normal((6, 4)) for _ in range(3))
    check_parity(lambda *t: F.triplet_margin_loss(*t, reduction=reduction, **opts),
                 lambda *t: TF.triplet_margin_loss(*t, reduction=reduction, **opts), [a, p, n],
                 dtype=dtype)
    check_parity(nn.TripletMarginLoss(reduction=reduction, **opts),
                 tnn.TripletMarginLoss(reduction=reduction, **opts), [a, p, n], dtype=dtype)
    check_parity(lambda *t: F.triplet_margin_loss(*t, reduction=reduction, **opts),
                 lambda *t: TF.triplet_margin_loss(*t, reduction=reduction, **opts),
                 [a[0], p[0], n[0]], dtype=dtype)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_with_distance_loss_parity(reduction, swap, rng):
    a, p, n = (rng.standard_normal((5, 3)) for _ in range(3))

    def cos_gn(x, y):
        return 1 - F.cosine_similarity(x, y)

    def cos_th(x, y):
        return 1 - TF.cosine_similarity(x, y)

    for dist_g, dist_t in ((None, None), (cos_gn, cos_th)):
        check_parity(
            lambda *t: F.triplet_margin_with_distance_loss(
                *t, distance_function=dist_g, margin=0.7, swap=swap, reduction=reduction),
            lambda *t: TF.triplet_margin_with_distance_loss(
                *t, distance_function=dist_t, margin=0.7, swap=swap, reduction=reduction),
            [a, p, n])
        check_parity(nn.TripletMarginWithDistanceLoss(distance_function=dist_g, swap=swap,
                                                      reduction=reduction),
                     tnn.TripletMarginWithDistanceLoss(distance_function=dist_t, swap=swap,
                                                       reduction=reduction), [a, p, n])


def test_triplet_gradcheck_and_errors(rng):
    a, p, n = (rng.standard_normal((4, 3)) for _ in range(3))
    gradcheck(lambda *t: F.triplet_margin_loss(*t, margin=3.0, swap=True), [a, p, n])
    gradcheck(lambda *t: F.triplet_margin_with_distance_loss(*t, margin=3.0), [a, p, n])
    with pytest.raises(ValueError, match="margin must be greater than 0"):
        F.triplet_margin_loss(*(gn.tensor(v) for v in (a, p, n)), margin=0)
    with pytest.raises(ValueError, match="expected margin to be greater than 0"):
        nn.TripletMarginLoss(margin=-1)
    with pytest.raises(RuntimeError, match="same number of dimensions"):
        F.triplet_margin_loss(gn.tensor(a), gn.tensor(p), gn.tensor(n[0]))


def _ml_targets(rng, n, c):
    t = np.full((n, c), -1, dtype=np.int64)
    for i in range(n):
        k = rng.integers(0, c + 1)
        t[i, :k] = rng.permutation(c)[:k]
        if k < c:  # entries after the first -1 are ignored
            t[i, k + 1:] = rng.integers(0, c, c - k - 1)
    return t


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss_parity(dtype, reduction, rng):
    x = rng.standard_normal((6, 5))
    y = _ml_targets(rng, 6, 5)
    y[0] = [1, 1, 3, -1, 2]  # a repeated target
    check_parity(lambda a, b: F.multilabel_margin_loss(a, b, reduction=reduction),
                 lambda a, b: TF.multilabel_margin_loss(a, b, reduction=reduction), [x, y],
                 dtype=dtype)
    check_parity(nn.MultiLabelMarginLoss(reduction=reduction),
                 tnn.MultiLabelMarginLoss(reduction=reduction), [x, y], dtype=dtype)
    check_parity(lambda a, b: F.multilabel_margin_loss(a, b, reduction=reduction),
                 lambda a, b: TF.multilabel_margin_loss(a, b, reduction=reduction),
                 [x[1], y[1]], dtype=dtype)


def test_multilabel_gradcheck_and_errors(rng):
    x = rng.standard_normal((4, 5))
    y = _ml_targets(rng, 4, 5)
    gradcheck(lambda a: F.multilabel_margin_loss(a, gn.tensor(y)), [x])
    gradcheck(F.multilabel_soft_margin_loss, [x, rng.random((4, 5))])
    with pytest.raises(RuntimeError, match="target"):
        F.multilabel_margin_loss(gn.tensor(x), gn.tensor(np.full((4, 5), 7)))
    with pytest.raises(RuntimeError, match="inconsistent target size"):
        F.multilabel_margin_loss(gn.tensor(x), gn.tensor(y[:, :3]))


def test_multi_margin_loss_of_a_0d_score():
    x = np.array(0.7)
    y = np.array(0)
    check_parity(lambda t, c: gn.nn.functional.multi_margin_loss(t, c), TF.multi_margin_loss,
                 [x, y])
