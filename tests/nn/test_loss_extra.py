"""Triplet, Poisson/Gaussian NLL and multi-label losses (functions and layers) against PyTorch,
over every reduction, with float64 gradient checks."""

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


# ----------------------------------------------------------------------------- triplet
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


# ----------------------------------------------------------------------------- Poisson
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input,full", [(True, False), (False, False), (True, True),
                                            (False, True)])
def test_poisson_nll_loss_parity(dtype, reduction, log_input, full, rng):
    x = rng.standard_normal((4, 5)) if log_input else rng.uniform(0.1, 3.0, (4, 5))
    y = rng.poisson(2.0, (4, 5)).astype(np.float64) + 0.5  # some at or below 1, some above
    check_parity(lambda a, b: F.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
                 lambda a, b: TF.poisson_nll_loss(a, b, log_input, full, reduction=reduction),
                 [x, y], dtype=dtype)
    check_parity(nn.PoissonNLLLoss(log_input, full, reduction=reduction),
                 tnn.PoissonNLLLoss(log_input, full, reduction=reduction), [x, y], dtype=dtype)


def test_poisson_nll_loss_zero_counts_and_gradcheck(rng):
    x = rng.standard_normal((3, 4))
    y = rng.poisson(1.0, (3, 4)).astype(np.float64)  # zeros included; target without grad
    check_parity(lambda a, b: F.poisson_nll_loss(a, b, full=True),
                 lambda a, b: TF.poisson_nll_loss(a, b, full=True), [x, y], grad_inputs=[0])
    gradcheck(lambda a, b: F.poisson_nll_loss(a, b, full=True),
              [x, rng.uniform(1.5, 4.0, (3, 4))])
    gradcheck(lambda a: F.poisson_nll_loss(a, gn.tensor(y), log_input=False),
              [rng.uniform(0.5, 2.0, (3, 4))])


# ----------------------------------------------------------------------------- Gaussian
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4,), (4, 1), (1, 3)])
def test_gaussian_nll_loss_parity(dtype, reduction, var_shape, rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    var = rng.uniform(0.1, 2.0, var_shape)
    var.flat[0] = 1e-9  # below eps: clamped, with the gradient passed straight through
    for full in (False, True):
        check_parity(lambda a, b, v: F.gaussian_nll_loss(a, b, v, full, reduction=reduction),
                     lambda a, b, v: TF.gaussian_nll_loss(a, b, v, full, reduction=reduction),
                     [x, y, var], dtype=dtype, grad_rtol=2e-4)
    check_parity(nn.GaussianNLLLoss(full=True, eps=0.1, reduction=reduction),
                 tnn.GaussianNLLLoss(full=True, eps=0.1, reduction=reduction), [x, y, var],
                 dtype=dtype)


def test_gaussian_nll_loss_float_var_gradcheck_and_errors(rng):
    x, y = rng.standard_normal((4, 3)), rng.standard_normal((4, 3))
    check_parity(lambda a, b: F.gaussian_nll_loss(a, b, 0.5),
                 lambda a, b: TF.gaussian_nll_loss(a, b, 0.5), [x, y])
    gradcheck(F.gaussian_nll_loss, [x, y, rng.uniform(0.5, 2.0, (4, 1))])
    with pytest.raises(ValueError, match="incorrect size"):
        F.gaussian_nll_loss(gn.tensor(x), gn.tensor(y), gn.ones(3, 4))
    with pytest.raises(ValueError, match="negative"):
        F.gaussian_nll_loss(gn.tensor(x), gn.tensor(y), -gn.ones(4, 3))


# ----------------------------------------------------------------------------- multi-label
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
