"""The regression losses (mse, l1, smooth_l1, huber, poisson_nll, gaussian_nll; functions and
layers) against PyTorch over every reduction, with float64 gradient checks. The shared grid also
runs soft_margin_loss."""

from __future__ import annotations

import warnings

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
