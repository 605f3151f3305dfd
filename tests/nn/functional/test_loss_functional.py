"""Loss functions against PyTorch (every option, every reduction) and float64 gradient checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck, to_gn, to_torch

import glassnet as gn
import glassnet.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _idx(rng, shape, c, ignore=None, p_ignore=0.25):
    y = rng.integers(0, c, shape)
    if ignore is not None:
        y[rng.random(shape) < p_ignore] = ignore
    return y.astype(np.int64)


# ----------------------------------------------------------------------------- cross-entropy
CE_OPTIONS = [
    dict(),
    dict(weight=True),
    dict(ignore_index=1),
    dict(ignore_index=-100, use_ignore=True),
    dict(label_smoothing=0.1),
    dict(label_smoothing=0.2, weight=True),
    dict(label_smoothing=0.15, weight=True, ignore_index=2),
    dict(label_smoothing=0.3, ignore_index=0),
]


def _ce_case(rng, opts, shape_x, c):
    n = shape_x[0] if len(shape_x) > 1 else None
    tshape = (shape_x[0],) + shape_x[2:] if len(shape_x) > 1 else ()
    ign = opts.get("ignore_index", -100)
    y = _idx(rng, tshape, c, ign if ("ignore_index" in opts) else None)
    if opts.get("use_ignore") and y.size:
        y.reshape(-1)[0] = -100
    w = rng.uniform(0.2, 2.0, c) if opts.get("weight") else None
    del n
    return y, w, ign, opts.get("label_smoothing", 0.0)


@pytest.mark.parametrize("opts", CE_OPTIONS, ids=lambda o: "-".join(f"{k}" for k in o) or "plain")
@pytest.mark.parametrize("shape", [(6, 5), (3, 4, 2, 3), (5,), (4, 3, 5)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_indices(opts, shape, reduction, rng):
    c = shape[0] if len(shape) == 1 else shape[1]
    y, w, ign, ls = _ce_case(rng, opts, shape, c)
    x = rng.standard_normal(shape) * 2
    inputs = [x, y] + ([w] if w is not None else [])

    def g(x, y, w=None):
        return F.cross_entropy(x, y, weight=w, ignore_index=ign, reduction=reduction,
                               label_smoothing=ls)

    def t(x, y, w=None):
        return TF.cross_entropy(x, y, weight=w, ignore_index=ign, reduction=reduction,
                                label_smoothing=ls)

    for dtype in FLOAT_DTYPES:
        check_parity(g, t, inputs, dtype=dtype, grad_inputs=[0])
    if not (y == ign).all():  # all ignored: the mean is NaN (0 / 0), nothing to differentiate
        gradcheck(g, inputs, grad_inputs=[0])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(), dict(weight=True), dict(label_smoothing=0.2),
                                  dict(weight=True, label_smoothing=0.1)])
def test_cross_entropy_probabilities(reduction, opts, rng):
    for shape in [(5, 4), (2, 3, 4), (4,)]:
        cdim = 0 if len(shape) == 1 else 1
        x = rng.standard_normal(shape)
        tgt = rng.random(shape)
        tgt /= tgt.sum(axis=cdim, keepdims=True)
        w = rng.uniform(0.5, 2, shape[cdim]) if opts.get("weight") else None
        ls = opts.get("label_smoothing", 0.0)
        inputs = [x, tgt] + ([w] if w is not None else [])

        def g(x, t, w=None):
            return F.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=ls)

        def t_(x, t, w=None):
            return TF.cross_entropy(x, t, weight=w, reduction=reduction, label_smoothing=ls)

        check_parity(g, t_, inputs, grad_inputs=[0, 1])
        check_parity(g, t_, inputs, dtype=np.float64, grad_inputs=[0, 1])
        gradcheck(g, inputs, grad_inputs=[0, 1])


def test_cross_entropy_gradient_is_softmax_minus_onehot(rng):
    x = rng.standard_normal((4, 3))
    y = np.array([0, 2, 1, 2])
    xt = gn.tensor(x, dtype=gn.float64, requires_grad=True)
    F.cross_entropy(xt, gn.tensor(y), reduction="sum").backward()
    p = np.exp(x) / np.exp(x).sum(1, keepdims=True)
    np.testing.assert_allclose(xt.grad.numpy(), p - np.eye(3)[y], rtol=1e-12, atol=1e-14)
    # one-hot probability targets give the same loss and gradient as the indices
    xo = gn.tensor(x, dtype=gn.float64, requires_grad=True)
    F.cross_entropy(xo, gn.tensor(np.eye(3)[y]), reduction="sum").backward()
    np.testing.assert_allclose(xo.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-14)


def test_cross_entropy_large_logits_are_stable():
    x = np.array([[21.0, 34.0, 10000.0, 680.0], [1e4, -1e4, 0.0, 5.0]], np.float32)
    y = np.array([1, 0])
    check_parity(F.cross_entropy, TF.cross_entropy, [x, y], grad_inputs=[0])


def test_cross_entropy_all_ignored_is_nan():
    x = gn.randn(3, 4)
    y = gn.tensor([-100, -100, -100])
    assert np.isnan(F.cross_entropy(x, y).item())
    assert F.cross_entropy(x, y, reduction="sum").item() == 0.0


def test_cross_entropy_errors():
    x = gn.randn(4, 10)
    with pytest.raises(IndexError, match=r"label 12 .* 10 classes"):
        F.cross_entropy(x, gn.tensor([0, 12, 3, 1]))
    with pytest.raises(IndexError, match=r"label -3"):
        F.cross_entropy(x, gn.tensor([0, -3, 3, 1]))
    with pytest.raises(RuntimeError, match=r"int64|integer"):
        F.cross_entropy(x, gn.tensor([0.0, 1.0, 2.0, 3.0]))
    with pytest.raises(RuntimeError, match=r"shape"):
        F.cross_entropy(x, gn.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"floating"):
        F.cross_entropy(x, gn.zeros(4, 10, dtype=gn.int64))
    with pytest.raises(RuntimeError, match=r"weight"):
        F.cross_entropy(x, gn.tensor([0, 1, 2, 3]), weight=gn.ones(3))
    with pytest.raises(ValueError, match=r"reduction"):
        F.cross_entropy(x, gn.tensor([0, 1, 2, 3]), reduction="avg")
    with pytest.raises(ValueError, match=r"label_smoothing"):
        F.cross_entropy(x, gn.tensor([0, 1, 2, 3]), label_smoothing=1.5)


# ----------------------------------------------------------------------------- NLL
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("opts", [dict(), dict(weight=True), dict(ignore_index=1),
                                  dict(weight=True, ignore_index=0)])
def test_nll_loss(reduction, opts, rng):
    for shape in [(5, 4), (2, 3, 4, 2), (4,)]:
        c = shape[0] if len(shape) == 1 else shape[1]
        tshape = () if len(shape) == 1 else (shape[0],) + shape[2:]
        ign = opts.get("ignore_index", -100)
        y = _idx(rng, tshape, c, ign if "ignore_index" in opts else None)
        w = rng.uniform(0.5, 2, c) if opts.get("weight") else None
        x = rng.standard_normal(shape)
        inputs = [x, y] + ([w] if w is not None else [])

        def g(x, y, w=None):
            return F.nll_loss(x, y, weight=w, ignore_index=ign, reduction=reduction)

        def t(x, y, w=None):
            return TF.nll_loss(x, y, weight=w, ignore_index=ign, reduction=reduction)

        check_parity(g, t, inputs, grad_inputs=[0])
        check_parity(g, t, inputs, dtype=np.float64, grad_inputs=[0])
    x = rng.standard_normal((6, 5))
    y = rng.integers(0, 5, 6)
    np.testing.assert_allclose(
        F.nll_loss(F.log_softmax(gn.tensor(x), 1), gn.tensor(y)).item(),
        F.cross_entropy(gn.tensor(x), gn.tensor(y)).item(), rtol=1e-6)


# ----------------------------------------------------------------------------- regression
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,gfn,tfn", [
    ("mse", F.mse_loss, TF.mse_loss),
    ("l1", F.l1_loss, TF.l1_loss),
    ("smooth_l1", F.smooth_l1_loss, TF.smooth_l1_loss),
    ("smooth_l1_b", lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0.3),
     lambda a, b, reduction: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0.3)),
    ("smooth_l1_b0", lambda a, b, reduction: F.smooth_l1_loss(a, b, reduction=reduction, beta=0),
     lambda a, b, reduction: TF.smooth_l1_loss(a, b, reduction=reduction, beta=0)),
    ("huber", F.huber_loss, TF.huber_loss),
    ("huber_d", lambda a, b, reduction: F.huber_loss(a, b, reduction=reduction, delta=0.4),
     lambda a, b, reduction: TF.huber_loss(a, b, reduction=reduction, delta=0.4)),
    ("soft_margin", F.soft_margin_loss, TF.soft_margin_loss),
])
def test_regression_losses(name, gfn, tfn, reduction, rng):
    for shape in [(4, 5), (7,), (2, 3, 2)]:
        x = rng.standard_normal(shape) * 1.5
        y = rng.standard_normal(shape)
        if name == "soft_margin":
            y = np.sign(y)
        gi = [0] if name == "soft_margin" else [0, 1]  # PyTorch: no target gradient there
        for dtype in FLOAT_DTYPES:
            check_parity(lambda a, b: gfn(a, b, reduction=reduction),
                         lambda a, b: tfn(a, b, reduction=reduction), [x, y], dtype=dtype,
                         grad_inputs=gi)
        gradcheck(lambda a, b: gfn(a, b, reduction=reduction), [x, y], grad_inputs=gi)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
def test_weighted_regression_losses(name, reduction, rng):
    x, y, w = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)), rng.random((3, 4))
    check_parity(lambda a, b, c: getattr(F, name)(a, b, reduction=reduction, weight=c),
                 lambda a, b, c: getattr(TF, name)(a, b, reduction=reduction, weight=c),
                 [x, y, w], dtype=np.float64, grad_inputs=[0, 1])


def test_regression_broadcast_warns_and_errors():
    with pytest.warns(UserWarning, match="target size"):
        F.mse_loss(gn.randn(3, 1), gn.randn(3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(RuntimeError, match="broadcast"):
            F.mse_loss(gn.randn(3, 2), gn.randn(4))


# ----------------------------------------------------------------------------- binary
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


# ----------------------------------------------------------------------------- KL
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target, rng):
    x = np.log(rng.dirichlet(np.ones(4), 3))
    t = rng.dirichlet(np.ones(4), 3)
    t[0, 1] = 0.0  # 0 log 0 = 0
    if log_target:
        t = np.log(t + 0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dtype in FLOAT_DTYPES:
            check_parity(lambda a, b: F.kl_div(a, b, reduction=reduction, log_target=log_target),
                         lambda a, b: TF.kl_div(a, b, reduction=reduction, log_target=log_target),
                         [x, t], dtype=dtype, grad_inputs=[0] if not log_target else [0, 1])


# ----------------------------------------------------------------------------- margins
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


def test_legacy_size_average_reduce(rng):
    x, y = rng.standard_normal(4).astype(np.float32), rng.standard_normal(4).astype(np.float32)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        g = F.mse_loss(to_gn(x), to_gn(y), size_average=False)
        t = TF.mse_loss(to_torch(x), to_torch(y), size_average=False)
        g2 = F.mse_loss(to_gn(x), to_gn(y), reduce=False)
    np.testing.assert_allclose(g.item(), t.item(), rtol=1e-6)
    assert tuple(g2.shape) == (4,)
