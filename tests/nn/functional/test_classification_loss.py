"""cross_entropy, nll_loss and kl_div against PyTorch (every option, every reduction) and float64
gradient checks."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

REDUCTIONS = ["mean", "sum", "none"]


def _idx(rng, shape, c, ignore=None, p_ignore=0.25):
    y = rng.integers(0, c, shape)
    if ignore is not None:
        y[rng.random(shape) < p_ignore] = ignore
    return y.astype(np.int64)


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
    with pytest.raises(ValueError, match=r"batch_size \(4\).*batch_size \(3\)"):
        F.cross_entropy(x, gn.tensor([0, 1, 2]))
    with pytest.raises(RuntimeError, match=r"floating"):
        F.cross_entropy(x, gn.zeros(4, 10, dtype=gn.int64))
    with pytest.raises(RuntimeError, match=r"weight"):
        F.cross_entropy(x, gn.tensor([0, 1, 2, 3]), weight=gn.ones(3))
    with pytest.raises(ValueError, match=r"reduction"):
        F.cross_entropy(x, gn.tensor([0, 1, 2, 3]), reduction="avg")
    with pytest.raises(RuntimeError, match=r"label_smoothing"):
        F.cross_entropy(x, gn.tensor([0, 1, 2, 3]), label_smoothing=1.5)


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


def test_a_0d_target_for_a_batch_is_pytorch_s_value_error():
    import torch

    for lib in (torch, gn):
        with pytest.raises(ValueError, match="batch_size"):
            lib.nn.functional.cross_entropy(lib.zeros(1, 5), lib.tensor(3))
