"""HarmonicNet: the registry entry, the reference's size, exact quarter-turn invariance, and
invariance to off-grid rotations of exactly rotated images, against two ordinary CNNs."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import models, nn
from glassnet.analysis import BlobScene, rot90, rotation_sensitivity


def test_registry_and_size():
    assert "harmonic-net" in models.available()
    net = models.get("harmonic-net", num_classes=10)
    assert isinstance(net, models.HarmonicNet)
    # 3 weight orders (-1, 0, 1) x 4 rings per filter pair, one phase per filter pair (none in
    # the last layer), a magnitude bias and a batch-norm scale and shift per channel and order
    assert sum(p.numel() for p in net.parameters()) == 34026
    built = models.build_for("harmonic-net", (3, 32, 32), 7)
    assert tuple(built(gn.randn(2, 3, 32, 32)).shape) == (2, 7)


def test_quarter_turns_leave_the_logits_unchanged():
    gn.manual_seed(0)
    net = models.get("harmonic-net").eval()
    x = gn.tensor(np.random.default_rng(0).random((3, 1, 28, 28)).astype(np.float32))
    with gn.no_grad():
        y = net(x).numpy()
        for k in (1, 2, 3):
            np.testing.assert_allclose(net(rot90(x, k)).numpy(), y, rtol=1e-5,
                                       atol=1e-5 * np.abs(y).max())


def test_logits_are_nearly_invariant_to_any_rotation():
    """On images rotated exactly (Gaussian blobs drawn at rotated positions), a randomly
    initialised harmonic net's logits move by a few per cent of the distance between different
    images; a plain CNN's by most of it, a CNN with global average pooling's by a fifth."""
    scene = BlobScene.random(12, 28, n_blobs=4, sigma=(1.0, 2.0), generator=0)
    angles = [30, 45, 75, 200]
    gn.manual_seed(0)
    plain = nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(16 * 7 * 7, 10))
    gap = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(),
                        nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(),
                        nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))
    harmonic = models.get("harmonic-net")
    s_plain = rotation_sensitivity(plain, scene, angles)
    s_gap = rotation_sensitivity(gap, scene, angles)
    s_harm = rotation_sensitivity(harmonic, scene, angles)
    assert s_plain.mean() > 0.5, s_plain                # measured 0.71-0.94
    assert s_gap.mean() > 0.1, s_gap                    # measured 0.10-0.23
    assert s_harm.max() < 0.06, s_harm                  # measured 0.013-0.028
    assert s_gap.mean() > 4 * s_harm.mean() and s_plain.mean() > 20 * s_harm.mean()
    # the same rotation by a quarter turn is exact for blobs and for the network
    assert rotation_sensitivity(harmonic, scene, [90])[0] < 1e-4


def test_every_parameter_gets_a_gradient():
    gn.manual_seed(0)
    net = models.get("harmonic-net", n_filters=2)
    x = gn.tensor(np.random.default_rng(1).random((4, 1, 12, 12)).astype(np.float32))
    loss = nn.functional.cross_entropy(net(x), gn.tensor(np.array([0, 1, 2, 3])))
    loss.backward()
    for name, p in net.named_parameters():
        assert p.grad is not None and np.isfinite(p.grad.numpy()).all(), name
        assert np.abs(p.grad.numpy()).max() > 0, name
