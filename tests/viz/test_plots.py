"""Plots across glassnet/viz: each writes a readable PNG, and their errors name the
problem."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.viz as viz

PNG = b"\x89PNG\r\n\x1a\n"
needs_mpl = pytest.mark.skipif(not viz.matplotlib_available(), reason="matplotlib not installed")


def _is_png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG


@needs_mpl
def test_all_plots_write_pngs(tmp_path):
    rng = np.random.default_rng(0)
    hist = {"loss": [1.0, 0.6, 0.4], "val_loss": [1.1, 0.7, None], "accuracy": [0.5, 0.7, 0.8],
            "val_accuracy": [0.4, 0.6, 0.7], "lr": [0.1, 0.1, 0.01]}
    paths = [
        viz.plot_curves(hist, tmp_path / "curves.png"),
        viz.plot_confusion_matrix(gn.metrics.confusion_matrix(rng.integers(0, 4, 50),
                                                             rng.integers(0, 4, 50)),
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
