"""Plots: each writes a readable PNG; without matplotlib each returns None with a note."""

from __future__ import annotations

import logging
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.viz as viz
from glassnet.viz import _mpl

PNG = b"\x89PNG\r\n\x1a\n"
needs_mpl = pytest.mark.skipif(not viz.matplotlib_available(), reason="matplotlib not installed")


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG


def test_confusion_matrix_counts():
    t = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 0, 2])
    cm = viz.confusion_matrix(t, p)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert viz.confusion_matrix(t, p, num_classes=5).shape == (5, 5)
    with pytest.raises(ValueError, match="6 labels but y_pred has 2"):
        viz.confusion_matrix(t, p[:2])


@needs_mpl
def test_all_plots_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    hist = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, None], "accuracy": [0.5, 0.7, 0.8],
            "val_accuracy": [0.4, 0.6, 0.7], "lr": [0.1, 0.1, 0.01]}
    paths = [
        viz.plot_curves(hist, tmp_path / "curves.png"),
        viz.plot_confusion_matrix(viz.confusion_matrix(rng.integers(0, 4, 50), rng.integers(0, 4, 50)),
                                  ["a", "b", "c", "d"], tmp_path / "cm.png"),
        viz.plot_filters(rng.normal(size=(6, 1, 5, 5)), tmp_path / "f_gray.png"),
        viz.plot_filters(gn.randn(8, 3, 3, 3), tmp_path / "f_rgb.png"),  # a Tensor works too
        viz.plot_filters(rng.normal(size=(4, 8, 3, 3)), tmp_path / "f_deep.png", channel=2),
        viz.plot_filters(rng.normal(size=(5, 2, 7)), tmp_path / "f_1d.png"),
        viz.plot_filters(rng.normal(size=(10, 784)), tmp_path / "f_lin.png"),
        viz.plot_misclassified(rng.random((12, 1, 8, 8)), np.arange(12) % 3, np.zeros(12, int),
                               ["zero", "one", "two"], tmp_path / "mis.png"),
        viz.plot_misclassified(rng.random((5, 40)), np.zeros(5, int), np.zeros(5, int), None,
                               tmp_path / "none_wrong.png"),
        viz.plot_feature_maps(rng.random((2, 6, 10, 10)), tmp_path / "fm.png"),
        viz.plot_feature_maps({"conv": rng.random((1, 3, 6, 6)), "conv1d": rng.random((1, 2, 20))},
                              tmp_path / "fm2.png"),
    ]
    for p in paths:
        assert p is not None and _is_png(p), p


def test_capture_feature_maps_uses_hooks():
    import glassnet.nn as nn
    import glassnet.nn.functional as F

    class Scale(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.weight = nn.Parameter(gn.ones(1, c, 1, 1) * 2)

        def forward(self, x):
            return x * self.weight

    class Act(nn.Module):
        def forward(self, x):
            return F.relu(x)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(gn.randn(2, 3 * 4 * 4))

        def forward(self, x):
            return F.linear(x.reshape(x.shape[0], -1), self.w)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale, self.act, self.head = Scale(3), Act(), Head()

        def forward(self, x):
            return self.head(self.act(self.scale(x)))

    net = Net()
    x = gn.randn(2, 3, 4, 4)
    maps = viz.capture_feature_maps(net, x)
    assert list(maps) == ["scale", "act"]  # the (N, 2) head output is not a feature map
    np.testing.assert_allclose(maps["act"], np.maximum(2 * x.numpy(), 0))
    assert net.training  # mode restored
    assert all(not m._forward_hooks for m in net.modules())  # hooks removed
    assert viz.capture_feature_maps(net, x, layers=["head"])["head"].shape == (2, 2)
    with pytest.raises(KeyError, match="no layer 'nope'"):
        viz.capture_feature_maps(net, x, layers=["nope"])


@needs_mpl
def test_plot_errors_name_the_problem(tmp_path):
    with pytest.raises(ValueError, match="square"):
        viz.plot_confusion_matrix(np.zeros((2, 3)), None, tmp_path / "x.png")
    with pytest.raises(ValueError, match="2, 3 or 4 dims"):
        viz.plot_filters(np.zeros(5), tmp_path / "x.png")
    with pytest.raises(ValueError, match="no numeric series"):
        viz.plot_curves({"epoch": [1, 2]}, tmp_path / "x.png")
    with pytest.raises(ValueError, match="3 images, 2 true labels"):
        viz.plot_misclassified(np.zeros((3, 4, 4)), [0, 1], [0, 1, 1], None, tmp_path / "x.png")


def test_without_matplotlib_plots_are_skipped(tmp_path, monkeypatch, caplog):
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    monkeypatch.setattr(_mpl, "_warned", False)
    assert not viz.matplotlib_available()
    with caplog.at_level(logging.WARNING, logger="glassnet.viz"):
        assert viz.plot_curves({"loss": [1.0, 0.5]}, tmp_path / "c.png") is None
        assert viz.plot_filters(np.zeros((2, 1, 3, 3)), tmp_path / "f.png") is None
    assert "matplotlib is not installed" in caplog.text
    assert not list(tmp_path.iterdir())
