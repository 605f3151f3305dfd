"""Confusion matrix plot: which classes the model mixes up.

Entry (i, j) counts samples of true class i predicted as class j; the diagonal holds the
correct predictions, and accuracy is trace / total. Cells are coloured by the row-normalised
rate (the per-class recall), so rare classes are as visible as common ones. The counts come
from ``glassnet.metrics.confusion_matrix``.
"""

from __future__ import annotations

import numpy as np

from glassnet.viz._mpl import as_numpy, new_figure, save_figure

__all__ = ["plot_confusion_matrix"]


def plot_confusion_matrix(cm, classes=None, path=None, normalize: bool = True,
                          title: str | None = "Confusion matrix"):
    """Draw a confusion matrix (rows: true class, columns: predicted class).

    Args:
        cm: (K, K) counts.
        classes: K class names (default 0..K-1).
        path: where to write the PNG.
        normalize: colour by row-normalised rate; each cell shows its count (and the rate
            when K <= 12).
    Returns ``path``, or None without matplotlib.
    """
    if path is None:
        raise TypeError("plot_confusion_matrix: path is required")
    cm = as_numpy(cm).astype(np.float64)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: cm must be a square (K, K) matrix, "
                         f"got shape {cm.shape}")
    k = cm.shape[0]
    classes = [str(c) for c in (classes if classes is not None else range(k))]
    if len(classes) != k:
        raise ValueError(f"plot_confusion_matrix: {len(classes)} class names for a {k}x{k} matrix")
    rows = cm.sum(axis=1, keepdims=True)
    rate = np.divide(cm, rows, out=np.zeros_like(cm), where=rows > 0)
    shown = rate if normalize else cm
    side = max(4.0, 0.45 * k + 2.0)
    fig = new_figure((side + 1.0, side), "confusion matrix")
    if fig is None:
        return None
    ax = fig.add_subplot(1, 1, 1)
    im = ax.imshow(shown, cmap="Blues", vmin=0, vmax=1 if normalize else None)
    fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04,
                 label="fraction of the true class" if normalize else "count")
    ax.set_xticks(range(k))
    ax.set_yticks(range(k))
    ax.set_xticklabels(classes, rotation=45 if max(map(len, classes)) > 2 else 0, ha="right"
                       if max(map(len, classes)) > 2 else "center", fontsize=8)
    ax.set_yticklabels(classes, fontsize=8)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("true class")
    if k <= 30:
        for i in range(k):
            for j in range(k):
                text = f"{int(cm[i, j])}" + (f"\n{rate[i, j]:.0%}" if normalize and k <= 12 else "")
                ax.text(j, i, text, ha="center", va="center", fontsize=7 if k > 12 else 8,
                        color="white" if shown[i, j] > 0.6 * (shown.max() or 1) else "black")
    if title:
        total = cm.sum()
        acc = np.trace(cm) / total if total else float("nan")
        ax.set_title(f"{title} (accuracy {acc:.2%}, n={int(total)})")
    fig.tight_layout()
    return save_figure(fig, path)
