"""Deformation stability: zero at alpha 0, growing with alpha, and CNN features more stable than
raw pixels (the lecture's ||f(x) - f(D_tau x)|| ~ ||grad tau||)."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.analysis import (deformation_stability, deformation_table,
                               displacement_gradient_norm, displacement_norm)


def strokes(n=24, size=24, seed=0):
    """Digit-like images: two or three bright line segments with a soft profile."""
    r = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    out = np.zeros((n, 1, size, size), np.float32)
    for i in range(n):
        for _ in range(int(r.integers(2, 4))):
            p, q = r.uniform(4, size - 4, 2), r.uniform(4, size - 4, 2)
            d = q - p
            t = np.clip(((yy - p[0]) * d[0] + (xx - p[1]) * d[1]) / (d @ d + 1e-6), 0, 1)
            dist2 = (yy - p[0] - t * d[0]) ** 2 + (xx - p[1] - t * d[1]) ** 2
            out[i, 0] = np.maximum(out[i, 0], np.exp(-dist2 / 2.0))
    return out


ALPHAS = [0, 2, 4, 8, 16, 32]


def test_zero_at_alpha_zero_and_growing():
    x = strokes()
    curve = deformation_stability(None, x, ALPHAS, sigma=4, generator=0)
    assert curve.shape == (len(ALPHAS),) and curve[0] == 0
    assert np.all(np.diff(curve) > 0)
    # ~ linear for small fields: doubling alpha about doubles the change
    assert curve[2] / curve[1] == pytest.approx(2, rel=0.15)
    # averaging over draws keeps the shape; same generator, same numbers
    again = deformation_stability(None, x, ALPHAS, sigma=4, generator=0)
    np.testing.assert_array_equal(curve, again)
    more = deformation_stability(None, x, ALPHAS, sigma=4, generator=1, draws=3)
    assert more[0] == 0 and np.all(np.diff(more) > 0)


def test_cnn_features_are_more_stable_than_pixels():
    gn.manual_seed(0)
    cnn = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                        nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2))
    t = deformation_table({"pixels": None, "cnn": cnn,
                           "cnn_gap": nn.Sequential(cnn, nn.AdaptiveAvgPool2d(1))},
                          gn.tensor(strokes()), ALPHAS, sigma=4, generator=0)
    pixels, feats, pooled = t.column("pixels"), t.column("cnn"), t.column("cnn_gap")
    assert pixels[0] == feats[0] == pooled[0] == 0
    assert np.all(feats[1:] < 0.8 * pixels[1:]) and np.all(pooled[1:] < feats[1:])
    # the field's size grows linearly with alpha
    np.testing.assert_allclose(t.column("grad_tau"), np.array(ALPHAS) * t.column("grad_tau")[1] / 2)
    assert "pixels" in str(t) and "grad_tau" in str(t)


def test_displacement_gradient_norm():
    h = w = 16
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    assert displacement_gradient_norm(np.full((h, w), 3.0), np.full((h, w), -1.0)) == 0
    # a uniform stretch tau = (0.1 y, 0.2 x) has Jacobian diag(0.1, 0.2) everywhere
    g = displacement_gradient_norm(0.1 * yy, 0.2 * xx)
    assert g == pytest.approx(np.hypot(0.1, 0.2))
    with pytest.raises(ValueError, match="displacement_gradient_norm"):
        displacement_gradient_norm(np.zeros((2, 4, 4)), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="alphas must be >= 0"):
        deformation_stability(None, strokes(2), [-1])
    with pytest.raises(ValueError, match=r"images \(N, C, H, W\)"):
        deformation_stability(None, np.zeros((4, 4)), [1])


def test_displacement_norm_weights_and_per_sample():
    h = w = 12
    dy, dx = np.zeros((2, h, w)), np.zeros((2, h, w))
    dy[0], dx[1] = 3.0, -4.0  # image 0 moves 3 px down, image 1 moves 4 px left
    assert displacement_norm(dy, dx) == pytest.approx(3.5)
    np.testing.assert_allclose(displacement_norm(dy, dx, per_sample=True), [3.0, 4.0])
    # weights pick where the displacement counts: only the left half moves
    field = np.zeros((h, w))
    field[:, : w // 2] = 2.0
    ink = np.zeros((h, w))
    ink[:, :2] = 1.0
    assert displacement_norm(field, field) == pytest.approx(2.0)  # sqrt(mean 8 over half)
    assert displacement_norm(field, field, weights=ink) == pytest.approx(np.sqrt(8.0))
    # a rotation by theta bends by ||R - I||_F = 2 sqrt(2) sin(theta / 2) everywhere
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    t = 0.3
    ry = np.cos(t) * yy + np.sin(t) * xx - yy
    rx = -np.sin(t) * yy + np.cos(t) * xx - xx
    g = displacement_gradient_norm(ry, rx, weights=ink, per_sample=True)
    np.testing.assert_allclose(g, [2 * np.sqrt(2) * np.sin(t / 2)])
    with pytest.raises(ValueError, match="displacement_norm: weights"):
        displacement_norm(field, field, weights=np.zeros((h, w)))
    with pytest.raises(ValueError, match="displacement_norm: weights must be"):
        displacement_norm(field, field, weights=np.ones((3, 3)))
