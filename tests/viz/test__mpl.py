"""matplotlib loaded only when a plot is drawn (glassnet/viz/_mpl.py): without it every
plot returns None with one note."""

from __future__ import annotations

import logging
import sys

import numpy as np

import glassnet.viz as viz
from glassnet.viz import _mpl


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
