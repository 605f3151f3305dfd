"""p4 group convolutions: parity with a loop-by-rotation PyTorch reference, float64 gradients,
and exact equivariance to quarter turns (Cohen and Welling 2016)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import nn
from glassnet.analysis import equivariance_error, invariance_error, rot90, rotate_p4
from glassnet.nn.modules.equivariant import p4_conv2d, p4_filter_bank
from helpers import check_parity, gradcheck


def torch_p4(x, w, b, stride, padding):
    """Reference: one conv2d per (output rotation, input rotation) pair, written from the
    definition y[o, r] = sum_{i, s} x[i, s] * rot90(W[o, i, s - r], r)."""
    outs = []
    for r in range(4):
        if w.ndim == 4:
            y = torch.nn.functional.conv2d(x, torch.rot90(w, r, (-2, -1)), None, stride, padding)
        else:
            y = sum(torch.nn.functional.conv2d(x[:, :, s], torch.rot90(w[:, :, (s - r) % 4], r,
                                                                       (-2, -1)),
                                               None, stride, padding) for s in range(4))
        outs.append(y)
    y = torch.stack(outs, 2)
    return y if b is None else y + b.reshape(1, -1, 1, 1, 1)


@pytest.mark.parametrize("group_in", [False, True])
@pytest.mark.parametrize("k,stride,padding,bias", [(3, 1, 1, True), (1, 1, 0, False),
                                                   (5, 2, 2, True), (2, 1, 0, True)])
def test_p4_conv2d_matches_reference(group_in, k, stride, padding, bias):
    r = np.random.default_rng(k + stride)
    x = r.standard_normal((2, 3, 4, 7, 7) if group_in else (2, 3, 7, 7))
    w = r.standard_normal((5, 3, 4, k, k) if group_in else (5, 3, k, k))
    b = r.standard_normal(5) if bias else None

    def gn_fn(x, w, b=None):
        return p4_conv2d(x, w, b, stride, padding)

    def th_fn(x, w, b=None):
        return torch_p4(x, w, b, stride, padding)

    inputs = [x, w] + ([b] if bias else [])
    check_parity(gn_fn, th_fn, inputs)
    check_parity(gn_fn, th_fn, inputs, dtype=np.float64)
    gradcheck(gn_fn, inputs)


def test_filter_bank_layout_and_errors():
    w = gn.randn(2, 3, 3, 3)
    bank = p4_filter_bank(w).numpy()
    assert bank.shape == (8, 3, 3, 3)
    for o in range(2):
        for r in range(4):
            np.testing.assert_array_equal(bank[4 * o + r], np.rot90(w.numpy()[o], r, (-2, -1)))
    assert p4_filter_bank(gn.randn(2, 3, 4, 3, 3)).shape == (8, 12, 3, 3)
    with pytest.raises(ValueError, match="p4_filter_bank"):
        p4_filter_bank(gn.randn(2, 3, 2, 3, 3))


def test_layers_shapes_parameters_and_errors():
    z2, p4 = nn.P4ConvZ2(3, 6, 3, padding=1), nn.P4ConvP4(6, 4, 3, padding=1, bias=False)
    x = gn.randn(2, 3, 9, 9)
    assert z2(x).shape == (2, 6, 4, 9, 9) and p4(z2(x)).shape == (2, 4, 4, 9, 9)
    assert sum(p.numel() for p in z2.parameters()) == 6 * 3 * 9 + 6
    assert sum(p.numel() for p in p4.parameters()) == 4 * 6 * 4 * 9
    assert nn.GroupMaxPool()(p4(z2(x))).shape == (2, 4, 9, 9)
    assert "P4ConvP4(6, 4" in repr(p4) and "bias=False" in repr(p4)
    bound = 1 / np.sqrt(3 * 9)  # Conv2d's initialisation with fan_in = 27
    assert np.abs(z2.weight.detach().numpy()).max() <= bound
    assert np.abs(z2.bias.detach().numpy()).max() <= bound
    with pytest.raises(ValueError, match=r"P4ConvZ2: expected input of shape \(N, 3, H, W\)"):
        z2(gn.randn(2, 4, 9, 9))
    with pytest.raises(ValueError, match="P4ConvP4: expected input of shape"):
        p4(gn.randn(2, 6, 9, 9))
    with pytest.raises(ValueError, match="square"):
        nn.P4ConvZ2(3, 6, (3, 5))
    with pytest.raises(ValueError, match="padding_mode"):
        nn.P4ConvZ2(3, 6, 3, padding_mode="wrap")


@pytest.mark.parametrize("padding_mode", ["zeros", "circular", "reflect"])
def test_quarter_turns_rotate_maps_and_roll_the_rotation_axis(padding_mode):
    gn.manual_seed(1)
    z2 = nn.P4ConvZ2(2, 4, 3, padding=1, padding_mode=padding_mode)
    p4 = nn.P4ConvP4(4, 3, 5, padding=2, padding_mode=padding_mode)
    x = gn.randn(3, 2, 11, 11)
    for k in range(1, 4):
        turn = lambda t, k=k: rot90(t, k)
        turn_p4 = lambda t, k=k: rotate_p4(t, k)
        assert equivariance_error(z2, x, turn, turn_p4) < 1e-6
        assert equivariance_error(p4, z2(x).detach(), turn_p4, turn_p4) < 1e-6
    # the output rotates AND its rotation axis moves: without the roll the error is large
    assert equivariance_error(z2, x, rot90, lambda t: rot90(t)) > 0.3


def test_stride_keeps_equivariance_when_the_grid_maps_onto_itself():
    z2 = nn.P4ConvZ2(1, 2, 3, stride=2, padding=1)
    x = gn.randn(2, 1, 9, 9)  # 9 + 2 - 3 = 8 is a multiple of the stride
    assert z2(x).shape == (2, 2, 4, 5, 5)
    assert equivariance_error(z2, x, rot90, rotate_p4) < 1e-6


def test_group_pooling_gives_equivariant_maps_and_invariant_features():
    gn.manual_seed(2)
    body = nn.Sequential(nn.P4ConvZ2(1, 4, 3, padding=1), nn.ReLU(),
                         nn.P4ConvP4(4, 4, 3, padding=1), nn.ReLU())
    x = gn.randn(4, 1, 13, 13)
    for pool in (nn.GroupMaxPool(), nn.GroupAvgPool()):
        eq = nn.Sequential(body, pool)
        assert equivariance_error(eq, x, rot90, rot90) < 1e-6
        inv = nn.Sequential(eq, nn.AdaptiveAvgPool2d(1), nn.Flatten())
        assert invariance_error(inv, x, lambda t: rot90(t, 2)) < 1e-6
    # an ordinary CNN with the same global pooling is not rotation-invariant
    plain = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, padding=1),
                          nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
    assert invariance_error(plain, x, rot90) > 1e-3


def test_gradients_reach_the_shared_filter():
    z2 = nn.P4ConvZ2(1, 2, 3, padding=1)
    y = z2(gn.randn(1, 1, 5, 5))
    y[:, :, 1].sum().backward()  # only the quarter-turned copies receive gradient
    assert z2.weight.grad is not None and np.abs(z2.weight.grad.numpy()).sum() > 0
