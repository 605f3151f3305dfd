"""The invariance experiments: registered with references and figures; pooling-invariance runs
in quick mode, the warps and networks of the others are checked on tiny sizes."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import lab, nn
from glassnet.analysis import displacement_gradient_norm, displacement_norm
from glassnet.lab.experiments import invariance as V

NAMES = ("pooling-invariance", "aliasing-blurpool", "deformation-stability")


def blobs(n=4, size=31, seed=0):
    """Smooth blobs on a black canvas (odd size, margins of about 4 blob widths)."""
    r = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:size, 0:size]
    x = np.zeros((n, 1, size, size))
    for i in range(n):
        for _ in range(3):
            cy, cx = r.uniform(12, size - 13, 2)
            x[i, 0] += np.exp(-((yy - cy) ** 2 + (xx - cx) ** 2) / (2 * r.uniform(1.5, 2.5) ** 2))
    return x.astype(np.float32)


def test_registered_with_lecture_claim_and_full_run():
    reg = lab.registry()
    for name in NAMES:
        exp = reg[name]
        assert exp.lecture and exp.claim and exp.full
        assert exp.fn.__module__ == "glassnet.lab.experiments.invariance"


def test_pooling_invariance_runs_quick(tmp_path):
    r = lab.run("pooling-invariance", out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) == 3 and all(c["reference"] for c in r["claims"])
    dev = r["data"]["relative_change"]
    assert dev["global max"][0] < dev["max 4x4"][0] < dev["max 2x2"][0] < dev["no pooling"][0]
    pytest.importorskip("matplotlib")
    assert r["figures"] == ["shift-curves.png"]
    assert (tmp_path / "pooling-invariance" / "shift-curves.png").exists()


def test_pooled_features_and_unchanged_fraction():
    x = blobs()
    w = V.gabor_bank()
    assert tuple(w.shape) == (8, 1, 7, 7)
    y = V.pooled_features(w, None)(gn.tensor(x))
    assert tuple(y.shape) == (4, 8, 31, 31) and float(y.min()) >= 0
    assert tuple(V.pooled_features(w, 2)(gn.tensor(x)).shape) == (4, 8, 15, 15)
    assert tuple(V.pooled_features(w, "global")(gn.tensor(x)).shape) == (4, 8)
    f = V.pooled_features(w, None)
    assert V.unchanged_fraction(f, x, (0, 0)) == 1.0
    assert 0 <= V.unchanged_fraction(f, x, (0, 1)) < 0.5


@pytest.mark.parametrize("k", V.BLUR_SIZES)
def test_small_cnn_with_each_downsampling(k):
    gn.manual_seed(0)
    trunk, net = V.small_cnn(V.blur_pool(k), (2, 2, 4))
    assert isinstance(trunk[3], nn.MaxPool2d if k == 1 else nn.MaxBlurPool2d)
    assert tuple(trunk(gn.zeros((2, 1, 28, 28))).shape) == (2, 4, 7, 7)
    assert tuple(net(gn.zeros((2, 1, 28, 28))).shape) == (2, 10)


def test_band_limited_warp_is_exact_where_it_can_be():
    x = blobs()
    n, _, h, w = x.shape
    np.testing.assert_allclose(V.spectral_resize(V.spectral_resize(x.astype(np.float64),
                                                                   (4 * h, 4 * w)), (h, w)),
                               x, atol=1e-12)
    zero = V.translation_field((n, h, w), np.zeros((n, 2)))
    np.testing.assert_allclose(V.warp(x, *zero), x, atol=1e-6)
    # a whole-pixel move: every fine sample lands on a fine pixel
    moved = V.warp(x, *V.translation_field((n, h, w), np.tile([1.0, -2.0], (n, 1))))
    np.testing.assert_allclose(moved, np.roll(x, (-1, 2), axis=(2, 3)), atol=2e-3)
    # half a pixel there and back: (almost) nothing lost, unlike bilinear resampling
    there = V.warp(x, *V.translation_field((n, h, w), np.full((n, 2), 0.5)))
    back = V.warp(there, *V.translation_field((n, h, w), np.full((n, 2), -0.5)))
    assert np.abs(back - x).max() < 1e-2 * np.abs(x).max()
    with pytest.raises(ValueError, match="spectral_resize"):
        V.spectral_resize(np.zeros((1, 1, 4, 4)), (8, 8))


def test_fixed_displacement_warps_move_exactly_dist():
    x = blobs()
    n, _, h, w = x.shape
    weights = x[:, 0].astype(np.float64)
    warps = V.fixed_displacement_warps(x, weights, 1.5, np.random.default_rng(0),
                                       centre_distances=(16, 0), sigmas=(4, 1))
    assert [f for f, *_ in warps] == ["translation", "translation", "rotation", "rotation",
                                      "elastic", "elastic"]
    for fam, label, dy, dx in warps:
        expected = 2.0 if label == "whole-pixel translation" else 1.5
        np.testing.assert_allclose(displacement_norm(dy, dx, weights, per_sample=True),
                                   expected, rtol=1e-6)
    bend = [displacement_gradient_norm(dy, dx, weights) for *_, dy, dx in warps]
    assert bend[0] == bend[1] == 0
    assert 0 < bend[2] < bend[3] and bend[4] < bend[5]  # nearer centre, rougher field: more
    # a rotation bends by 2 sqrt(2) sin(theta / 2) everywhere
    c = V.mass_centres(weights)
    ry, rx = V.rotation_field((n, h, w), c, np.full(n, 0.2))
    assert displacement_gradient_norm(ry, rx) == pytest.approx(2 * np.sqrt(2) * np.sin(0.1))
    fb = V.fixed_bending_warps(x, weights, 0.1, (0, 2), np.random.default_rng(0))
    assert [f[1] for f in fb] == [0, 2, 2]
    g = [displacement_gradient_norm(dy, dx, weights) for *_, dy, dx in fb]
    assert g[0] == pytest.approx(g[1]) and g[2] == 0


def test_relative_changes_zero_for_the_identity():
    x = blobs(2)
    gn.manual_seed(0)
    trunk, _ = V.small_cnn(V.blur_pool(1), (2, 2, 4))
    untrained, _ = V.small_cnn(V.blur_pool(1), (2, 2, 4))
    reps = V.representations(trunk, untrained)
    n, _, h, w = x.shape
    warps = [("translation", 0, *V.translation_field((n, h, w), np.zeros((n, 2)))),
             ("translation", 1, *V.translation_field((n, h, w), np.ones((n, 2))))]
    ch = V.relative_changes(reps, x, warps)
    assert set(ch) == set(reps)
    assert all(v[0] < 1e-5 for v in ch.values())
    assert ch["pixels"][1] > 0.1
