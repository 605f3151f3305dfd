"""Blob scenes rotate exactly; rotation_sensitivity tells invariant maps from sensitive ones."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.analysis import BlobScene, rotate, rotation_sensitivity


def test_render_rotates_the_blobs_exactly():
    scene = BlobScene.random(3, 21, n_blobs=3, sigma=(1.0, 2.0), generator=0)
    x0 = scene.render(0.0, np.float64)
    assert x0.shape == (3, 1, 21, 21) and x0.dtype == np.float64
    # a quarter turn of the scene is rot90 of the image (counter-clockwise), to rounding
    np.testing.assert_allclose(scene.render(90.0, np.float64), np.rot90(x0, 1, (-2, -1)),
                               atol=1e-12)
    np.testing.assert_allclose(scene.render(360.0, np.float64), x0, atol=1e-12)
    # any other angle agrees with bilinear resampling up to its interpolation error (measured
    # 4.7 %), and the direction is the same (-30 degrees: 82 %)
    def rel(a, b):
        return np.linalg.norm(a - b) / np.linalg.norm(b)

    assert rel(rotate(x0, 30.0), scene.render(30.0, np.float64)) < 0.08
    assert rel(rotate(x0, 30.0), scene.render(-30.0, np.float64)) > 0.5
    # every blob (3 sigma) stays inside the frame
    reach = np.linalg.norm(scene.centers, axis=-1) + 3 * scene.sigmas
    assert reach.max() <= 10.0


def test_one_blob_at_a_known_place():
    scene = BlobScene([[[3.0, 0.0]]], 1.0, 2.0, 9)          # 3 px right of the centre
    x = scene.render(0.0, np.float64)[0, 0]
    assert np.unravel_index(x.argmax(), x.shape) == (4, 7) and x.max() == pytest.approx(2.0)
    y = scene.render(90.0, np.float64)[0, 0]                 # turned up: row 1, centre column
    assert np.unravel_index(y.argmax(), y.shape) == (1, 4)


def test_rotation_sensitivity_separates_invariant_and_sensitive_maps():
    scene = BlobScene.random(6, 21, n_blobs=3, generator=1)
    mean = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten())      # invariant (to sampling)
    gn.manual_seed(0)
    linear = nn.Sequential(nn.Flatten(), nn.Linear(21 * 21, 5))      # sensitive
    s_mean = rotation_sensitivity(mean, scene, [30, 90])
    s_lin = rotation_sensitivity(linear, scene, [30, 90])
    assert s_mean.max() < 1e-3 and s_lin.min() > 0.3


def test_errors():
    with pytest.raises(ValueError, match=r"BlobScene: centers must have shape \(N, B, 2\)"):
        BlobScene(np.zeros((2, 2)), 1.0, 1.0, 9)
    with pytest.raises(ValueError, match="do not fit"):
        BlobScene.random(2, 9, sigma=(2.0, 3.0))
    with pytest.raises(ValueError, match="at least 2 images"):
        rotation_sensitivity(lambda x: x, BlobScene.random(1, 15), [30])


def test_a_constant_map_gives_nan():
    scene = BlobScene.random(3, 15, generator=2)
    out = rotation_sensitivity(lambda x: x.sum(dim=(1, 2, 3)) * 0.0, scene, [30])
    assert np.isnan(out).all()


def test_images_as_blobs_rotate_exactly():
    rng = np.random.default_rng(3)
    img = np.zeros((2, 1, 11, 11))
    img[:, :, 3:8, 4:7] = rng.random((2, 1, 5, 3))
    scene = BlobScene.from_images(img, sigma=0.7)
    assert scene.centers.shape == (2, 15, 2)
    x0 = scene.render(0.0, np.float64)
    # the render is the image smoothed by a unit-mass Gaussian: same total, same place
    np.testing.assert_allclose(x0.sum((1, 2, 3)), img.sum((1, 2, 3)), rtol=1e-3)
    np.testing.assert_allclose(scene.render(90.0, np.float64), np.rot90(x0, 1, (-2, -1)),
                               atol=1e-12)
    with pytest.raises(ValueError, match="expected square images"):
        BlobScene.from_images(np.zeros((2, 5, 6)))
