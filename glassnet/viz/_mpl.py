"""matplotlib, loaded only when a plot is drawn, rendering off-screen with Agg.

Plots are drawn on a bare ``matplotlib.figure.Figure`` (no ``pyplot``): it renders with the
Agg backend whatever backend the user's session has selected, opens no window, and keeps no
global figure registry to leak memory in long runs. Without matplotlib every plot function
logs a note once and returns None.
"""

from __future__ import annotations

import logging
import os

import numpy as np

from glassnet.io.state import _is_array, to_numpy

log = logging.getLogger("glassnet.viz")
_warned = False


def matplotlib_available() -> bool:
    """True when matplotlib can be imported (``pip install glassnet[plots]``)."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def new_figure(figsize=(6.4, 4.8), what="plot"):
    """A fresh Agg-rendered Figure, or None (with a logged note) when matplotlib is missing."""
    global _warned
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError:
        if not _warned:
            log.warning("glassnet.viz: matplotlib is not installed; skipping %s (and later plots). "
                        "pip install matplotlib (or glassnet[plots]) to draw them.", what)
            _warned = True
        return None
    fig = Figure(figsize=figsize, dpi=100)
    FigureCanvasAgg(fig)
    return fig


def save_figure(fig, path) -> str:
    """Write ``fig`` to ``path`` (PNG unless the extension says otherwise); returns the path."""
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    os.makedirs(directory, exist_ok=True)
    fig.savefig(path, bbox_inches="tight")
    return path


def as_numpy(x) -> np.ndarray:
    """A NumPy array from an array, a glassnet/PyTorch Tensor or a list."""
    return to_numpy(x) if _is_array(x) else np.asarray(x)


def grid_shape(n: int, ncols: int | None = None) -> tuple[int, int]:
    """(rows, cols) of a near-square grid holding ``n`` panels."""
    if n <= 0:
        return 0, 0
    cols = ncols or int(np.ceil(np.sqrt(n)))
    cols = max(1, min(cols, n))
    return int(np.ceil(n / cols)), cols


def to_displayable(img: np.ndarray, image_shape=None, flat_as_image: bool = True):
    """One sample as something to draw: ('image', HxW or HxWx3 in [0, 1]) or ('signal', 1-D/2-D).

    Accepted: (H, W); (C, H, W) with C = 1 or 3 (channels first, as glassnet stores images)
    or other C (first channel shown); (H, W, 3); (L,) or (C, L) signals, drawn as lines;
    a flat (D,) vector with D a perfect square >= 64 (or ``image_shape`` given) as an image.
    Each image is min-max scaled on its own, so contrast shows whatever the values' range.
    """
    a = np.asarray(img, dtype=np.float64)
    if image_shape is not None:
        a = a.reshape(image_shape)
    if a.ndim == 1:
        side = int(round(np.sqrt(a.size)))
        if flat_as_image and side * side == a.size and a.size >= 64:
            a = a.reshape(side, side)
        else:
            return "signal", a
    if a.ndim == 2 and a.shape[0] <= 4 and a.shape[1] > 4 * a.shape[0] and image_shape is None:
        return "signal", a  # (C, L): a few channels of a 1-D signal
    if a.ndim == 3:
        if a.shape[0] == 3:
            a = a.transpose(1, 2, 0)
        elif a.shape[-1] == 3 and a.shape[0] != 1:
            pass
        else:
            a = a[0]
    if a.ndim != 2 and not (a.ndim == 3 and a.shape[-1] == 3):
        raise ValueError(f"glassnet.viz: cannot draw an array of shape {np.shape(img)} as an image "
                         "or a signal; expected (H, W), (C, H, W), (H, W, 3), (L,) or (C, L)")
    lo, hi = np.nanmin(a), np.nanmax(a)
    a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a) + 0.5
    return "image", a
