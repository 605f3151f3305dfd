"""glassnet.lab.experiments.symmetry: the rotation experiments end to end at tiny sizes, and
their measuring pieces on cases with a known answer."""

from __future__ import annotations

import json

import numpy as np
import pytest

import glassnet as gn
from glassnet import lab, nn
from glassnet.analysis import BlobScene, disk_mask, invariance_error, rot90, rotation_sensitivity
from glassnet.lab.experiments import symmetry

NAMES = ("rotation-equivariance", "harmonic-networks")


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_lecture_claim_and_full_run(name):
    exp = lab.get(name)
    assert exp.lecture and exp.claim and exp.full
    assert exp.fn.__module__ == "glassnet.lab.experiments.symmetry"


TINY = {
    "rotation-equivariance": ("ROTATION", {
        "step": (45, 45), "images": (4, 4), "train": (32, 32), "epochs": (1, 1),
        "cnn": ((2, 4, 8), (2, 4, 8)), "p4": (2, 2), "harmonic": (2, 2)}),
    "harmonic-networks": ("HARMONIC", {
        "scenes": (6, 6), "train": (32, 32), "test": (32, 32), "epochs": (1, 1),
        "harmonic": (2, 2)}),
}


@pytest.mark.parametrize("name", NAMES)
def test_end_to_end_at_a_tiny_size(name, tmp_path, monkeypatch):
    attr, cfg = TINY[name]
    monkeypatch.setattr(symmetry, attr, cfg)
    r = lab.run(name, out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) >= 2
    assert all(c["reference"] and ("20" in c["reference"] or "lecture" in c["reference"])
               for c in r["claims"])
    assert r["figures"] and all((tmp_path / name / f).read_bytes()[:4] == b"\x89PNG"
                                for f in r["figures"])
    saved = json.loads((tmp_path / name / "result.json").read_text())
    assert saved["claims"] == r["claims"]


def test_p4_net_is_exactly_invariant_to_quarter_turns_only():
    gn.manual_seed(0)
    net = symmetry.P4Net(width=2)
    scene = BlobScene.random(3, 16, n_blobs=3, sigma=(1.0, 1.5), generator=0)
    x = scene.render(0.0)
    for k in (1, 2, 3):
        assert invariance_error(net, x, lambda t, k=k: rot90(t, k)) < 1e-5
    s = rotation_sensitivity(net, scene, [0, 45, 90])
    assert s[0] == 0 and s[2] < 1e-3 and s[1] > 10 * s[2]


def test_matched_cnn_is_close_to_the_target_size():
    for target in (9578, 34026):
        got = symmetry.n_params(symmetry.matched_cnn(target))
        assert abs(got - target) / target < 0.1


def test_off_grid_and_image_change():
    np.testing.assert_array_equal(symmetry.off_grid([0, 45, 90, 135, 270, 360]),
                                  [False, True, False, True, False, False])
    x = np.random.default_rng(0).standard_normal((5, 1, 6, 6))
    assert symmetry.image_change(x, x) == 0.0
    # mean ||a - b|| over the mean distance between different images, scale free
    y = x + 0.1
    expected = np.linalg.norm((y - x).reshape(5, -1), axis=1).mean() / np.mean(
        [np.linalg.norm(x[i] - x[j]) for i in range(5) for j in range(5) if i != j])
    np.testing.assert_allclose(symmetry.image_change(y, x), expected, rtol=1e-12)
    np.testing.assert_allclose(symmetry.image_change(3 * y, 3 * x), expected, rtol=1e-12)


def test_interpolated_scene_is_exact_at_quarter_turns():
    x = np.random.default_rng(0).random((2, 1, 8, 8)).astype(np.float32)
    sc = symmetry.InterpolatedScene(x)
    assert len(sc) == 2
    np.testing.assert_array_equal(sc.render(90.0), np.rot90(x, 1, axes=(-2, -1)))
    np.testing.assert_array_equal(sc.render(0.0), x)


def test_rotated_digits_are_masked_and_labelled():
    x_tr, y_tr, x_te, y_te, upright = symmetry.rotated_digits(6, 4, np.random.default_rng(0))
    assert x_tr.shape == (6, 1, 28, 28) and x_te.shape == upright.shape == (4, 1, 28, 28)
    assert y_tr.shape == (6,) and y_te.shape == (4,)
    outside = ~disk_mask(28)
    assert np.abs(upright[..., outside]).max() == 0


class _Moments:
    """z_m = sum_p x(p) (u + i v)^m over the pixels (u right, v up from the centre): a response
    of rotation order m, exact under a quarter turn of the image."""

    out_orders = (0, 1, 2)

    def __call__(self, x):
        x = x.numpy()[:, 0].astype(np.float64)
        k = x.shape[-1]
        off = np.arange(k) - (k - 1) / 2
        w = off[None, :] + 1j * (-off[:, None])
        out = np.zeros((len(x), 1, 3, 2, k, k))
        for m in self.out_orders:
            z = (x * w ** m).sum((-2, -1))
            out[:, 0, m, 0, k // 2, k // 2] = z.real
            out[:, 0, m, 1, k // 2, k // 2] = z.imag
        return gn.tensor(out)


def test_order_response_bookkeeping_on_a_known_response():
    scene = symmetry.centred_blobs(4, 11, 2, (1.0, 3.0), (0.8, 1.2), np.random.default_rng(0))
    r = symmetry.harmonic_order_response(_Moments(), scene, [90.0, 180.0])
    np.testing.assert_allclose(np.exp(1j * np.radians(r["phase"][0])),
                               np.exp(1j * np.radians([0, 90, 180])), atol=1e-9)
    np.testing.assert_allclose(r["phase_error"], 0, atol=1e-9)
    np.testing.assert_allclose(r["magnitude"], 0, atol=1e-9)
    np.testing.assert_allclose(r["equivariance"], 0, atol=1e-9)
    # without the phase turn: |e^{i m theta} - 1|
    np.testing.assert_allclose(r["unturned"][0], [0, np.sqrt(2), 2], atol=1e-9)
    np.testing.assert_allclose(r["unturned"][1], [0, 2, 0], atol=1e-9)
    with pytest.raises(ValueError, match="odd size"):
        symmetry.harmonic_order_response(_Moments(), BlobScene(np.zeros((1, 1, 2)), 1, 1, 10),
                                         [30.0])


def test_harmonic_conv_order_response_off_the_grid():
    gn.manual_seed(0)
    conv = nn.HarmonicConv2d(1, 2, 7, in_orders=(0,), out_orders=(0, 1), padding="same",
                             n_rings=4)
    scene = symmetry.centred_blobs(6, 15, 3, (0.5, 3.0), (0.8, 1.5), np.random.default_rng(0))
    r = symmetry.harmonic_order_response(conv, scene, [30.0, 90.0])
    assert np.abs(r["phase_error"]).max() < 2.0 and r["magnitude"].max() < 0.02
    assert r["equivariance"][1].max() < 1e-5          # a quarter turn is exact
    assert r["unturned"][0, 1] > 0.3                   # the order-1 phase does turn
