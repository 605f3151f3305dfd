"""Training curves: loss and metrics per epoch, training next to validation.

The picture the lectures use to diagnose a run: training loss keeps falling while the
validation loss turns upward = overfitting (time for regularisation or early stopping); both
flat and high = underfitting (more capacity, a better learning rate).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.viz._mpl import new_figure, save_figure

__all__ = ["plot_curves"]

_SKIP = {"epoch", "step", "time", "epoch_time", "samples_per_s", "throughput"}


def _values(seq):
    out = []
    for v in seq:
        try:
            out.append(float(v) if v is not None else math.nan)
        except (TypeError, ValueError):
            out.append(math.nan)
    return np.asarray(out, dtype=np.float64)


def _panels(history):
    """Group history keys into panels: 'loss' with 'val_loss', 'accuracy' with 'val_accuracy'..."""
    panels = {}
    for key, seq in history.items():
        if key in _SKIP or not isinstance(seq, (list, tuple, np.ndarray)) or len(seq) == 0:
            continue
        base = key[4:] if key.startswith("val_") else key
        panels.setdefault(base, []).append(key)
    order = sorted(panels, key=lambda b: (b != "loss", b == "lr", b))
    return [(b, sorted(panels[b], key=lambda k: k.startswith("val_"))) for b in order]


def plot_curves(history, path, title: str | None = "Training curves"):
    """Plot every series of a history dict (``{"loss": [...], "val_loss": [...], ...}``).

    One panel per quantity (loss first, then metrics, learning rate last on a log scale),
    training and validation series together, epochs on the x-axis. Non-numeric or missing
    values (None) leave gaps. Returns ``path``, or None when matplotlib is not installed.
    """
    if hasattr(history, "history"):
        history = history.history
    panels = _panels(history)
    if not panels:
        raise ValueError(f"plot_curves: the history has no numeric series to plot "
                         f"(keys: {sorted(history)})")
    ncols = min(3, len(panels))
    nrows = -(-len(panels) // ncols)
    fig = new_figure((4.6 * ncols, 3.4 * nrows), "training curves")
    if fig is None:
        return None
    from matplotlib.ticker import MaxNLocator

    for i, (base, keys) in enumerate(panels):
        ax = fig.add_subplot(nrows, ncols, i + 1)
        for key in keys:
            y = _values(history[key])
            x = np.arange(1, len(y) + 1)
            label = "validation" if key.startswith("val_") else ("training" if base != "lr" else "lr")
            ax.plot(x, y, marker="o" if len(y) <= 30 else None, markersize=3, label=label)
        lr = _values(history[keys[0]]) if base == "lr" else None
        if lr is not None and np.all(lr[~np.isnan(lr)] > 0):
            ax.set_yscale("log")
        ax.set_title(base.replace("_", " "))
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylabel(base.replace("_", " "))
        ax.grid(True, alpha=0.3)
        if len(keys) > 1 or base != "lr":
            ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return save_figure(fig, path)
