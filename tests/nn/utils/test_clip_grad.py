"""Gradient clipping against torch.nn.utils."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from nn_helpers import grad_pairs

import glassnet as gn
from glassnet.nn import utils as gutils


def _tol(dtype):
    return (1e-5, 1e-6) if dtype == np.float32 else (1e-12, 1e-14)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, math.inf, 0.5])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(dtype, norm_type, max_norm):
    gp, tp = grad_pairs(dtype, scale=2.0, none_at=1)
    gn_total = gutils.clip_grad_norm_(gp, max_norm, norm_type=norm_type)
    t_total = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    rtol, atol = _tol(dtype)
    assert isinstance(gn_total, gn.Tensor) and gn_total.shape == ()
    assert gn_total.dtype == dtype
    np.testing.assert_allclose(gn_total.item(), t_total.item(), rtol=rtol)
    for a, b in zip(gp, tp):
        if b.grad is None:
            assert a.grad is None
            continue
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=rtol, atol=atol)


def test_clip_grad_norm_bounds_the_norm_and_keeps_direction():
    gp, _ = grad_pairs(np.float64, scale=10.0)
    before = [p.grad._data.copy() for p in gp]
    total = gutils.clip_grad_norm_(gp, 1.0).item()
    after = math.sqrt(sum(float((p.grad._data ** 2).sum()) for p in gp))
    assert total > 1.0 and after == pytest.approx(1.0, rel=1e-5)
    for b, p in zip(before, gp):
        np.testing.assert_allclose(p.grad._data * total / after, b, rtol=1e-5)


def test_clip_grad_norm_single_tensor_empty_and_nonfinite():
    p = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    assert gutils.clip_grad_norm_(p, 1.0).item() == 0.0  # no gradient yet
    p.grad = gn.tensor(np.array([3.0, 4.0, 0.0], dtype=np.float32))
    assert gutils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    p.grad = gn.tensor(np.array([np.inf, 1.0, 0.0], dtype=np.float32))
    with pytest.raises(RuntimeError, match="non-finite"):
        gutils.clip_grad_norm_([p], 1.0, error_if_nonfinite=True)
    t = torch.tensor([1.0, 1.0, 1.0], requires_grad=True)
    t.grad = torch.tensor([np.inf, 1.0, 0.0])
    total = gutils.clip_grad_norm_([p], 1.0)
    t_total = torch.nn.utils.clip_grad_norm_([t], 1.0)
    assert math.isinf(total.item()) and math.isinf(t_total.item())
    np.testing.assert_array_equal(np.isnan(p.grad._data), np.isnan(t.grad.numpy()))


def test_clip_grad_norm_inside_a_training_step():
    """clip after backward, before the optimiser: the gradient fed to SGD is the clipped one."""
    w = gn.tensor(np.array([10.0, -10.0], dtype=np.float32), requires_grad=True)
    opt = gn.optim.SGD([w], lr=1.0)
    loss = (w * w).sum()
    loss.backward()
    gutils.clip_grad_norm_([w], max_norm=1.0)
    opt.step()
    np.testing.assert_allclose(w._data, [10 - 1 / math.sqrt(2), -10 + 1 / math.sqrt(2)], rtol=1e-5)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_clip_grad_value_matches_torch(dtype):
    gp, tp = grad_pairs(dtype, scale=2.0, none_at=0)
    assert gutils.clip_grad_value_(gp, 0.7) is None
    torch.nn.utils.clip_grad_value_(tp, 0.7)
    for a, b in zip(gp, tp):
        if b.grad is not None:
            np.testing.assert_array_equal(a.grad._data, b.grad.numpy())
            assert a.grad._data.dtype == dtype


def test_get_total_norm_and_clip_grads_with_norm_match_torch():
    gp, tp = grad_pairs(np.float32, scale=3.0)
    total = gutils.get_total_norm([p.grad for p in gp], 2.0)
    t_total = torch.nn.utils.get_total_norm([p.grad for p in tp], 2.0)
    np.testing.assert_allclose(total.item(), t_total.item(), rtol=1e-6)
    gutils.clip_grads_with_norm_(gp, 1.5, total)
    torch.nn.utils.clip_grads_with_norm_(tp, 1.5, t_total)
    for a, b in zip(gp, tp):
        np.testing.assert_allclose(a.grad._data, b.grad.numpy(), rtol=1e-6, atol=1e-7)
