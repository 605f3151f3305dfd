"""Hand-designed filters find what they are designed for; first-layer filters and activation
maximization show what a network's units respond to."""

from __future__ import annotations

import math

import numpy as np
import pytest

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn
from glassnet.analysis import (
    activation_maximization,
    blur_kernel,
    edge_kernels,
    first_layer_filters,
    fit_gabor,
    gabor_kernel,
    kernels_to_weight,
    receptive_field,
    sharpen_kernel,
)


def step_image(vertical=True, size=12, col=6):
    img = np.zeros((1, 1, size, size), np.float32)
    if vertical:
        img[..., col:] = 1.0  # dark left half, bright right half: a vertical edge
    else:
        img[..., col:, :] = 1.0
    return gn.tensor(img)


def test_sobel_finds_a_vertical_edge():
    k = edge_kernels()
    out = F.conv2d(step_image(), kernels_to_weight(k["sobel_x"], k["sobel_y"])).numpy()[0]
    gx, gy = out
    # 'valid' output column c covers input columns c..c+2: the edge (between 5 and 6) is seen
    # by output columns 4 and 5, each with weight 1 + 2 + 1 = 4
    np.testing.assert_array_equal(gx[:, 4], 4 * np.ones(10))
    np.testing.assert_array_equal(gx[:, 5], 4 * np.ones(10))
    assert np.count_nonzero(gx) == 20 and np.count_nonzero(gy) == 0
    # the horizontal edge is Sobel-y's, not Sobel-x's
    hx, hy = F.conv2d(step_image(False), kernels_to_weight(k["sobel_x"], k["sobel_y"])).numpy()[0]
    assert np.count_nonzero(hx) == 0 and hy[4].min() == 4
    assert np.abs(F.conv2d(step_image(), kernels_to_weight(k["prewitt_x"])).numpy()).max() == 3


def test_classic_kernels():
    k = edge_kernels()
    for name, kern in k.items():
        assert kern.dtype == np.float32 and kern.sum() == 0, name
    np.testing.assert_array_equal(k["sobel_y"], k["sobel_x"].T)
    np.testing.assert_array_equal(blur_kernel() * 16, [[1, 2, 1], [2, 4, 2], [1, 2, 1]])
    assert sharpen_kernel().sum() == 1 and sharpen_kernel()[1, 1] == 5
    for kind in ("binomial", "gaussian", "box"):
        b = blur_kernel(5, kind=kind)
        assert b.shape == (5, 5) and b.sum() == pytest.approx(1, abs=1e-6)
        np.testing.assert_allclose(b, b.T)
    g = blur_kernel(7, sigma=1.0, kind="gaussian")
    assert g[3, 3] / g[3, 4] == pytest.approx(math.exp(0.5), rel=1e-5)
    # on a flat image: derivatives vanish, blur and sharpen keep the value
    flat = gn.ones(1, 1, 6, 6) * 3
    w = kernels_to_weight(k["laplacian"], k["edge"], blur_kernel(), sharpen_kernel())
    np.testing.assert_allclose(F.conv2d(flat, w).numpy()[0, :, 0, 0], [0, 0, 3, 3], atol=1e-6)
    with pytest.raises(ValueError, match="blur_kernel: kind"):
        blur_kernel(kind="median")
    with pytest.raises(ValueError, match="kernels_to_weight"):
        kernels_to_weight(np.ones((3, 3)), np.ones((5, 5)))
    assert kernels_to_weight(k).shape == (6, 1, 3, 3)


def test_gabor_prefers_stripes_across_its_direction():
    g0 = gabor_kernel(15, sigma=3, theta=0.0, lambd=6)
    g90 = gabor_kernel(15, sigma=3, theta=math.pi / 2, lambd=6)
    np.testing.assert_allclose(g90, g0.T, atol=1e-6)
    assert g0[7, 7] == pytest.approx(1.0)  # the centre of the window, cos(0)
    t = np.arange(15) - 7
    vertical = np.cos(2 * math.pi * t / 6)[None, :] * np.ones((15, 1))  # stripes along y
    assert (g0 * vertical).sum() > 5 * abs((g0 * vertical.T).sum())
    assert (g90 * vertical.T).sum() > 5 * abs((g90 * vertical).sum())


def test_first_layer_filters():
    gn.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 4, 5), nn.ReLU(), nn.Conv2d(4, 2, 3))
    w = model[0].weight.detach().numpy()
    raw = first_layer_filters(model, normalize=None)
    np.testing.assert_array_equal(raw, w)
    f = first_layer_filters(model)
    assert f.shape == (4, 3, 5, 5) and f.dtype == np.float32
    np.testing.assert_allclose(f.min(axis=(1, 2, 3)), 0, atol=1e-6)
    np.testing.assert_allclose(f.max(axis=(1, 2, 3)), 1, atol=1e-6)
    glob = first_layer_filters(model, "global")
    assert glob.min() == 0 and glob.max() == pytest.approx(1)
    sym = first_layer_filters(model, "symmetric")
    np.testing.assert_allclose(sym, 0.5 + w / (2 * np.abs(w).max()), rtol=1e-6)
    with pytest.raises(ValueError, match="no 2-D convolution"):
        first_layer_filters(nn.Sequential(nn.Linear(3, 3)))
    with pytest.raises(ValueError, match="normalize"):
        first_layer_filters(model, "zscore")


def test_activation_maximization_recovers_a_linear_units_kernel():
    # a unit w . patch is maximised, at fixed norm, by the patch proportional to w
    conv = nn.Conv2d(1, 2, 3, bias=False)
    conv.weight._data[0, 0] = edge_kernels()["sobel_x"]
    conv.weight._data[1, 0] = gabor_kernel(3, 1.0, 0.5, 3.0)
    model = nn.Sequential(conv, nn.ReLU())
    img, hist = activation_maximization(model, model[0], 0, steps=60, lr=0.2,
                                        input_shape=(1, 9, 9), generator=0)
    assert img.shape == (1, 9, 9) and len(hist) == 60
    assert hist[-1] > hist[0] and hist[-1] > 1.0
    patch = img[0, 3:6, 3:6].ravel()  # the centre unit (3, 3) of the 7 x 7 map reads 3..5
    k = edge_kernels()["sobel_x"].ravel()
    assert np.corrcoef(patch, k)[0, 1] > 0.99
    outside = np.ones((9, 9), bool)
    outside[3:6, 3:6] = False
    assert np.abs(img[0][outside]).max() < 0.05 * np.abs(patch).max()
    # by name, the mean over positions, and the weights are left untouched
    before = conv.weight.detach().numpy().copy()
    _, h2 = activation_maximization(model, "1", 1, steps=10, input_shape=(1, 9, 9),
                                    unit="mean")
    assert h2[-1] > h2[0]
    np.testing.assert_array_equal(conv.weight.detach().numpy(), before)
    assert conv.weight.grad is None and conv.weight.requires_grad and model.training


def test_activation_maximization_in_a_deeper_network():
    gn.manual_seed(3)
    model = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(4, 4, 3, padding=1), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * 8 * 8, 10))
    img, hist = activation_maximization(model, model[3], 2, steps=30, input_shape=(1, 16, 16),
                                        unit=(4, 4), generator=1)
    assert hist[-1] > hist[0] + 0.5
    # the pattern lives in the unit's receptive field: 8 x 8 pixels centred on 8.5 (5..12)
    rf = receptive_field(model[:4], (1, 16, 16))[-1]
    assert rf["receptive_field"] == 8 and rf["start"] + 4 * rf["jump"] == 8.5
    inside = np.zeros((16, 16), bool)
    inside[5:13, 5:13] = True
    assert np.abs(img[0][~inside]).max() < 0.05 * np.abs(img[0][inside]).max()
    with pytest.raises(ValueError, match="no layer named"):
        activation_maximization(model, "conv9", 0, input_shape=(1, 16, 16))
    with pytest.raises(ValueError, match="input_shape"):
        activation_maximization(model, model[3], 0)
    with pytest.raises(ValueError, match="not part of the model"):
        activation_maximization(model, nn.ReLU(), 0, input_shape=(1, 16, 16))


def test_fit_gabor_recovers_a_gabor_and_its_parameters():
    g = gabor_kernel(9, sigma=2.0, theta=2.5, lambd=4.0, gamma=0.6, psi=0.8)
    r = fit_gabor(np.stack([2 * g + 0.3, g]))
    np.testing.assert_allclose(r["r2"], 1.0, atol=1e-8)
    np.testing.assert_allclose(r["fit"][0], 2 * g + 0.3, atol=1e-5)
    x0, y0, sigma, gamma, theta, lambd, psi, amp, offset = r["params"][0]
    np.testing.assert_allclose([x0, y0, sigma, gamma, theta, lambd, psi, amp, offset],
                               [0, 0, 2.0, 0.6, 2.5, 4.0, 0.8, 2.0, 0.3], atol=1e-4)
    rebuilt = amp * gabor_kernel(9, sigma, theta, lambd, gamma, psi) + offset
    np.testing.assert_allclose(rebuilt, 2 * g + 0.3, atol=1e-5)


def test_fit_gabor_on_noise_is_a_baseline_not_zero():
    rng = np.random.default_rng(0)
    r2 = fit_gabor(rng.standard_normal((40, 7, 7)))["r2"]
    assert r2.shape == (40,) and 0.15 < r2.mean() < 0.45 and (r2 < 1).all()
    smooth = fit_gabor(gabor_kernel(7, 1.5, 0.3, 5.0) + 0.05 * rng.standard_normal((7, 7)))
    assert smooth["r2"] > 0.9 and smooth["r2"].shape == ()
    with pytest.raises(ValueError, match="square kernels"):
        fit_gabor(np.zeros((3, 5, 4)))
