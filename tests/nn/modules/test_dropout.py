"""Dropout layers: kept values scaled by 1/(1-p) with the gradient through the same mask,
whole-channel masks, alpha dropout's mean, variance and constants (PyTorch's), identity in eval."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn


def test_dropout_scaling_mask_and_eval_identity():
    gn.manual_seed(0)
    p = 0.3
    d = nn.Dropout(p)
    x = gn.ones(200, 50, requires_grad=True)
    y = d(x)
    v = y.detach().numpy()
    kept = v != 0
    np.testing.assert_allclose(v[kept], 1 / (1 - p), rtol=1e-6)  # kept values scaled by 1/(1-p)
    assert abs(kept.mean() - (1 - p)) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v)  # gradient uses the same mask and scale
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 1.0).abs().sum().item() == 0
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


@pytest.mark.parametrize("cls,shape", [(nn.Dropout2d, (4, 6, 3, 3)), (nn.Dropout1d, (4, 6, 5)),
                                       (nn.Dropout3d, (2, 6, 2, 2, 2)), (nn.Dropout2d, (6, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    gn.manual_seed(0)
    y = cls(0.5)(gn.ones(*shape)).numpy()
    lead = 2 if len(shape) in (3, 4, 5) and not (cls is nn.Dropout2d and len(shape) == 3) else 1
    if cls is nn.Dropout2d and len(shape) == 3:
        lead = 2  # PyTorch reads a 3-D input to dropout2d as (N, C, L)
    flat = y.reshape(int(np.prod(shape[:lead])), -1)
    for row in flat:
        assert np.all(row == 0) or np.allclose(row, 2.0)
    assert 0 < (flat[:, 0] == 0).mean() < 1


def test_alpha_dropout_keeps_mean_and_variance():
    gn.manual_seed(0)
    p = 0.2
    x = gn.randn(400, 250)
    y = nn.AlphaDropout(p)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert nn.AlphaDropout(p).eval()(x) is x
    # Every value is either a * x + b (kept) or the constant a * alpha' + b (dropped), with the
    # same a, b and constant as PyTorch.
    ty = TF.alpha_dropout(torch.tensor(x.numpy()), p, training=True).numpy()
    vals, counts = np.unique(ty, return_counts=True)
    dropped_t = vals[counts.argmax()]
    a = 1.0 / np.sqrt((1 - p) * (1 + p * 1.7580993408473766 ** 2))
    b = a * p * 1.7580993408473766
    xs = x.numpy()
    kept_t = ty != dropped_t
    np.testing.assert_allclose(ty[kept_t], a * xs[kept_t] + b, rtol=1e-5, atol=1e-5)
    dropped_g = np.isclose(y, dropped_t, rtol=0, atol=1e-6) & ~np.isclose(a * xs + b, dropped_t)
    assert abs(dropped_g.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped_g], a * xs[~dropped_g] + b, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("shape", [(50, 40), (50, 40, 3, 3, 2)])
def test_dropout2d_on_other_ranks_warns_and_drops_per_sample_channel_as_pytorch(shape):
    gn.manual_seed(0)
    torch.manual_seed(0)
    x = gn.ones(*shape, requires_grad=True)
    with pytest.warns(UserWarning, match="Received a .*-D input to dropout2d") as got:
        y = nn.Dropout2d(0.5)(x)
    with pytest.warns(UserWarning, match="Received a .*-D input to dropout2d") as want:
        ty = torch.nn.Dropout2d(0.5)(torch.ones(*shape))
    assert len(got) == len(want)
    for out in (y.detach().numpy(), ty.numpy()):
        flat = out.reshape(shape[0] * shape[1], -1)  # one draw per (N, C): elements when 2-D
        assert np.all((flat == 0).all(1) | np.isclose(flat, 2.0).all(1))
        assert 0.35 < (flat[:, 0] == 0).mean() < 0.65
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())


def test_dropout2d_on_3d_input_warns_like_pytorch_and_eval_still_warns():
    x = gn.ones(4, 6, 5)
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        nn.Dropout2d(0.5)(x)
    with pytest.warns(UserWarning, match="interpreted as shape \\(N, C, L\\)"):
        torch.nn.Dropout2d(0.5)(torch.ones(4, 6, 5))
    with pytest.warns(UserWarning, match="2-D input to dropout2d"):
        assert nn.Dropout2d(0.5).eval()(gn.ones(3, 4)).numpy().tolist() == [[1.0] * 4] * 3


def test_dropout3d_on_2d_input_warns_and_drops_whole_rows_as_pytorch():
    gn.manual_seed(0)
    torch.manual_seed(0)
    with pytest.warns(UserWarning, match="2-D input to dropout3d"):
        y = nn.Dropout3d(0.5)(gn.ones(60, 7)).numpy()
    with pytest.warns(UserWarning, match="2-D input to dropout3d"):
        ty = torch.nn.Dropout3d(0.5)(torch.ones(60, 7)).numpy()
    for out in (y, ty):  # read as one sample (C=60, L=7): whole rows go
        assert np.all((out == 0).all(1) | (out == 2.0).all(1))
        assert 0 < (out[:, 0] == 0).mean() < 1


@pytest.mark.parametrize("shape", [(5,), (2, 3, 4, 5)])
def test_dropout1d_rejects_other_ranks_as_pytorch(shape):
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        torch.nn.Dropout1d(0.5)(torch.ones(*shape))
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input"):
        nn.Dropout1d(0.5)(gn.ones(*shape))
    with pytest.warns(UserWarning), pytest.raises(RuntimeError, match="Feature dropout requires"):
        F.dropout2d(gn.ones(5), 0.5)
    with pytest.warns(UserWarning):  # not training: the input comes back, as in PyTorch
        assert F.dropout2d(gn.ones(5), 0.5, training=False).shape == (5,)
