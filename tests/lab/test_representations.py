"""The representation experiments (glassnet/lab/experiments/representations.py): registered with
a claim and a reference; one run end to end at a tiny size; the measurements on small inputs."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import lab
from glassnet.lab import runner
from glassnet.lab.experiments import representations as R
from glassnet.models import Autoencoder

NAMES = ("gabor-filters", "fixed-gabor-first-layer", "neocognitron", "autoencoder-vs-pca",
         "layerwise-pretraining")


def test_experiments_are_registered_with_lecture_claim_and_full_run():
    reg = runner.registry()
    for name in NAMES:
        e = reg[name]
        assert e.lecture and e.claim and e.full
        assert e.fn.__module__ == R.__name__


def test_gabor_filters_end_to_end_at_a_tiny_size(tmp_path, monkeypatch):
    # every size the experiment picks shrinks to 200 images and 1 epoch
    monkeypatch.setattr(runner.Lab, "pick", lambda self, quick, full: (200, 1))
    r = lab.run("gabor-filters", out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) == 2
    for c in r["claims"]:
        assert "Krizhevsky" in c["reference"] and "criterion" in c["claim"]
        assert isinstance(c["holds"], bool)
    assert (tmp_path / "gabor-filters" / "report.md").exists()
    pytest.importorskip("matplotlib")
    assert r["figures"] == ["filters.png", "r2-histograms.png"]


def test_gabor_r2_separates_gabors_from_noise():
    rng = np.random.default_rng(0)
    bank = R.gabor_bank()[:, 0]
    r2, rows = R.gabor_r2_table({"bank": bank, "noise": rng.standard_normal((20, 7, 7))})
    assert r2["bank"].min() > 0.99 and r2["noise"].mean() < 0.45
    assert rows[0][:2] == ["bank", 24] and rows[0][4] == 1.0


def test_gabor_bank_is_zero_mean_unit_norm_and_oriented():
    bank = R.gabor_bank(size=7, orientations=4, wavelengths=(4.0,), phases=(0.0,))
    assert bank.shape == (4, 1, 7, 7) and bank.dtype == np.float32
    np.testing.assert_allclose(bank.sum((1, 2, 3)), 0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(bank.reshape(4, -1), axis=1), 1, rtol=1e-5)
    np.testing.assert_allclose(bank[2, 0], bank[0, 0].T, atol=1e-6)  # 90 degrees apart


def test_shift_randomly_moves_every_image_by_s_pixels():
    rng = np.random.default_rng(1)
    x = np.zeros((16, 1, 9, 9), np.float32)
    x[:, 0, 4, 4] = 1.0
    out = R.shift_randomly(x, 2, rng)
    for img in out[:, 0]:
        (i,), (j,) = np.nonzero(img)
        assert max(abs(i - 4), abs(j - 4)) == 2 and img.sum() == 1
    np.testing.assert_array_equal(R.shift_randomly(x, 0, rng), x)


def test_pca_reconstruction_and_squared_error():
    rng = np.random.default_rng(2)
    x = rng.standard_normal((50, 6)) @ rng.standard_normal((6, 6))
    np.testing.assert_allclose(R.pca_reconstruct(x, x, 6), x, atol=1e-10)  # full rank: exact
    low = rng.standard_normal((50, 2)) @ rng.standard_normal((2, 6)) + 3.0
    np.testing.assert_allclose(R.pca_reconstruct(low, low, 2), low, atol=1e-10)
    assert R.squared_error(np.zeros((2, 3)), np.ones((2, 3))) == 3.0


def test_train_autoencoder_lowers_the_test_error():
    rng = np.random.default_rng(3)
    x = rng.random((64, 16)).astype(np.float32) * (rng.random(16) < 0.5)
    gn.manual_seed(0)
    ae = Autoencoder((16, 8, 4))
    before = R.squared_error(R.reconstruct(ae, x), x)
    curve = R.train_autoencoder(ae, x, 20, rng, lr=1e-2, batch_size=16, x_test=x)
    assert len(curve) == 20 and curve[-1] < 0.5 * before


def test_small_cnn_shapes():
    with gn.no_grad():
        assert R.small_cnn()(gn.randn(2, 1, 28, 28)).shape == (2, 10)
