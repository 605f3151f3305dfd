"""The neocognitron (glassnet/models/neocognitron.py): S-cells as thresholded cosine matches,
C-cells as blurred subsampling, templates learned by competition, a nearest-class read-out."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import models
from glassnet.models import Neocognitron
from glassnet.models.neocognitron import competitive_learning


def test_competitive_learning_finds_the_clusters():
    rng = np.random.default_rng(0)
    centres = np.eye(4, 8)
    p = np.repeat(centres, 50, 0) + 0.05 * rng.standard_normal((200, 8))
    w = competitive_learning(p, 4, iters=10, generator=rng)
    assert w.shape == (4, 8) and w.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(w, axis=1), 1, rtol=1e-5)
    assert (w @ centres.T).max(0).min() > 0.99  # every cluster has its template
    with pytest.raises(ValueError, match="at least n_templates"):
        competitive_learning(p[:3], 4)


def test_s_cells_fire_on_their_template_whatever_its_contrast():
    m = Neocognitron(channels=(2,), kernel_sizes=(3,), thresholds=(0.5,))
    t = np.zeros((2, 1, 3, 3), np.float32)
    t[0, 0, :, 1] = 1 / np.sqrt(3)  # vertical bar
    t[1, 0, 1, :] = 1 / np.sqrt(3)  # horizontal bar
    m.templates0._data[...] = t
    img = np.zeros((1, 1, 7, 7), np.float32)
    img[0, 0, 2:5, 3] = 5.0
    with gn.no_grad():
        s = m.s_layer(0, gn.tensor(img)).numpy()
        s_dim = m.s_layer(0, gn.tensor(img * 0.1)).numpy()
    np.testing.assert_allclose(s[0, 0, 3, 3], 1.0, atol=1e-5)  # cos = 1: full response
    assert s[0, 1, 3, 3] < 0.05  # the other template: cos = 1/3 < threshold
    np.testing.assert_allclose(s, s_dim, atol=1e-4)  # divisive normalisation
    c = m.c_layer(gn.tensor(s))
    assert c.shape == (1, 2, 4, 4)


def test_fit_and_classify_tiny_digits():
    rng = np.random.default_rng(1)
    x = np.zeros((40, 1, 12, 12), np.float32)
    y = np.repeat([0, 1], 20)
    for i in range(40):  # class 0: vertical bars, class 1: horizontal, at random places
        a, b = rng.integers(2, 10, 2)
        if y[i] == 0:
            x[i, 0, 2:10, a] = 1
        else:
            x[i, 0, b, 2:10] = 1
    m = models.get("neocognitron", channels=(4, 4), kernel_sizes=(3, 3), thresholds=(0.5, 0.3),
                   pool_size=3, num_classes=2)
    with pytest.raises(RuntimeError, match="call fit"):
        m(gn.tensor(x))
    m.fit(x, y, patches_per_layer=400, iters=5, generator=0)
    out = m(gn.tensor(x))
    assert out.shape == (40, 2) and not out.requires_grad
    assert (out.numpy().argmax(1) == y).mean() > 0.9
    assert m.features(x).shape == (40, 4 * 3 * 3)
    assert sum(p.numel() for p in m.parameters()) == 0


def test_constructor_checks():
    with pytest.raises(ValueError, match="one entry per layer"):
        Neocognitron(channels=(4, 4), kernel_sizes=(3,), thresholds=(0.5,))
    with pytest.raises(ValueError, match="thresholds"):
        Neocognitron(channels=(4,), kernel_sizes=(3,), thresholds=(1.0,))
    with pytest.raises(ValueError, match="odd"):
        Neocognitron(channels=(4,), kernel_sizes=(4,), thresholds=(0.5,))
    with pytest.raises(ValueError, match="pool_size"):
        Neocognitron(pool_size=4)
    with pytest.raises(ValueError, match=r"expected images \(N, 1, H, W\)"):
        Neocognitron().fit(np.zeros((3, 28, 28), np.float32))
