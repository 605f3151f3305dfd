"""Image grids: learned filters, misclassified examples, feature maps.

What a CNN learns, made visible (the lectures' "what CNNs learn"): the first convolution
layer of a trained network ends up holding oriented edge and colour-blob detectors, much like
Gabor filters, and its feature maps show where in the image each detector fires.
"""

from __future__ import annotations

import numpy as np

from glassnet.autograd import no_grad
from glassnet.viz._mpl import as_numpy, grid_shape, new_figure, save_figure, to_displayable

__all__ = ["plot_filters", "plot_misclassified", "plot_feature_maps", "plot_images",
           "capture_feature_maps"]


def _draw_panel(ax, sample, image_shape=None, cmap="gray", flat_as_image=True, signal=False):
    kind, a = ("signal", np.asarray(sample, dtype=np.float64)) if signal else \
        to_displayable(sample, image_shape, flat_as_image)
    if kind == "image":
        ax.imshow(a, cmap=cmap if a.ndim == 2 else None, vmin=0, vmax=1, interpolation="nearest")
        ax.set_xticks([])
        ax.set_yticks([])
    else:
        for ch in np.atleast_2d(a):
            ax.plot(ch, linewidth=1)
        ax.set_xticks([])
        ax.tick_params(labelsize=6)


def _mosaic(tiles, cols, title_band):
    """Tiles (all HxW, or HxWx3) on one canvas with gaps: (canvas, [(x_center, y_top)])."""
    h, w = tiles[0].shape[:2]
    rgb = any(t.ndim == 3 for t in tiles)
    if rgb:
        tiles = [t if t.ndim == 3 else np.repeat(t[..., None], 3, axis=2) for t in tiles]
    pad = max(1, round(0.12 * min(h, w)))
    band = round(title_band * h)
    rows = -(-len(tiles) // cols)
    shape = (rows * (h + pad + band) + pad, cols * (w + pad) + pad) + ((3,) if rgb else ())
    canvas = np.full(shape, 1.0 if rgb else np.nan)
    anchors = []
    for i, t in enumerate(tiles):
        r, c = divmod(i, cols)
        y0, x0 = pad + band + r * (h + pad + band), pad + c * (w + pad)
        canvas[y0:y0 + h, x0:x0 + w] = t
        anchors.append((x0 + (w - 1) / 2, y0 - 0.5))
    return canvas, anchors


def plot_images(images, path, titles=None, ncols=None, title=None, image_shape=None,
                panel_size=1.4, what="image grid", signals=False, cmap="gray"):
    """A grid of samples (images or 1-D signals) with optional per-panel titles.

    Images of one shape are tiled into a single picture (fast even for hundreds of panels);
    1-D signals (or ``signals=True``) get one small line plot each.
    """
    images = as_numpy(images)
    n = len(images)
    rows, cols = grid_shape(max(n, 1), ncols)
    shown = [] if signals else [to_displayable(im, image_shape) for im in images]
    tiled = n > 0 and not signals and all(k == "image" for k, _ in shown) \
        and len({a.shape[:2] for _, a in shown}) == 1
    # room above each tile for its title: about 0.3 inch for two lines of 7-point text
    band = 0.0 if titles is None else \
        (0.32 if any("\n" in str(t) for t in titles) else 0.18) / panel_size
    top = 0.45 if title else 0.05
    if tiled:
        canvas, anchors = _mosaic([a for _, a in shown], cols, band)
        h, w = shown[0][1].shape[:2]
        width = panel_size * cols * min(max(w / h, 0.5), 3.0)
        height = width * canvas.shape[0] / canvas.shape[1]
        size = (width, height + top)
    else:
        size = (panel_size * cols + 0.4, panel_size * rows + (0.6 if title else 0.2))
    fig = new_figure(size, what)
    if fig is None:
        return None
    if n == 0:
        ax = fig.add_subplot(1, 1, 1)
        ax.axis("off")
        ax.text(0.5, 0.5, "nothing to show", ha="center", va="center")
    elif tiled:
        import matplotlib

        ax = fig.add_axes((0.0, 0.0, 1.0, 1.0 - top / size[1]))
        cm = matplotlib.colormaps[cmap].with_extremes(bad="white")
        ax.imshow(canvas, cmap=None if canvas.ndim == 3 else cm, vmin=0, vmax=1,
                  interpolation="nearest", aspect="equal")
        ax.axis("off")
        for i, (x, y) in enumerate(anchors if titles is not None else ()):
            ax.text(x, y, titles[i], ha="center", va="bottom", fontsize=7)
    else:
        for i in range(n):
            ax = fig.add_subplot(rows, cols, i + 1)
            _draw_panel(ax, images[i], image_shape, signal=signals)
            if titles is not None:
                ax.set_title(titles[i], fontsize=7)
        fig.tight_layout()
    if title:
        if tiled:
            fig.suptitle(title, y=1.0 - 0.08 / size[1], va="top")
        else:
            fig.suptitle(title)
    return save_figure(fig, path)


def plot_filters(weight, path, max_filters: int = 64, channel: int | None = None,
                 image_shape=None, title: str | None = None):
    """Draw a layer's filters as a grid of small images.

    Args:
        weight: a conv weight ``(out_channels, in_channels, kH, kW)`` (one panel per output
            channel: RGB when in_channels == 3, grey when 1, else input channel ``channel``,
            default 0); a conv1d weight ``(out, in, k)`` (one line per input channel); or a
            Linear weight ``(out_features, in_features)`` whose rows are drawn as images when
            ``in_features`` is a square >= 64 (an MLP's templates on MNIST) or ``image_shape``.
        max_filters: draw at most this many (the first ones).
    Each filter is min-max scaled on its own: grey is zero only relative to that filter.
    Returns ``path``, or None without matplotlib.
    """
    w = as_numpy(weight).astype(np.float64)
    if w.ndim not in (2, 3, 4):
        raise ValueError(f"plot_filters: expected a weight of 2, 3 or 4 dims (Linear, Conv1d, Conv2d), "
                         f"got shape {w.shape}")
    w = w[:max_filters]
    if w.ndim == 4:
        if w.shape[1] == 3 and channel is None:
            panels = w  # (N, 3, kH, kW): drawn in colour
        else:
            c = 0 if channel is None else int(channel)
            if not 0 <= c < w.shape[1]:
                raise ValueError(f"plot_filters: channel {c} out of range for {w.shape[1]} "
                                 "input channels")
            panels = w[:, c]
    else:
        panels = w
    shape = "x".join(map(str, as_numpy(weight).shape))
    return plot_images(panels, path, image_shape=image_shape, panel_size=1.0, what="filters",
                       signals=w.ndim == 3,
                       title=title or f"Filters ({shape})")


def plot_misclassified(images, y_true, y_pred, classes=None, path=None, max_images: int = 25,
                       image_shape=None, title: str | None = "Misclassified examples"):
    """A grid of the samples the model got wrong, each titled "true: A / pred: B".

    ``images``, ``y_true`` and ``y_pred`` cover the same samples (all of them, or only the
    wrong ones); samples whose prediction is right are skipped. Writes a figure saying so
    when there is nothing wrong. Returns ``path``, or None without matplotlib.
    """
    if path is None:
        raise TypeError("plot_misclassified: path is required")
    images = as_numpy(images)
    t = as_numpy(y_true).reshape(-1)
    p = as_numpy(y_pred).reshape(-1)
    if not (len(images) == len(t) == len(p)):
        raise ValueError(f"plot_misclassified: {len(images)} images, {len(t)} true labels and "
                         f"{len(p)} predictions; expected the same number")
    wrong = np.flatnonzero(t != p)[:max_images]

    def name(c):
        return str(classes[int(c)]) if classes is not None else str(int(c))

    titles = [f"true: {name(t[i])}\npred: {name(p[i])}" for i in wrong]
    return plot_images(images[wrong], path, titles=titles, image_shape=image_shape, panel_size=1.5,
                       what="misclassified examples",
                       title=f"{title} ({int(np.sum(t != p))} of {len(t)})" if title else None)


def plot_feature_maps(maps, path, sample: int = 0, max_maps: int = 32, title: str | None = None):
    """Draw activations: one panel per channel of one sample.

    ``maps`` is (N, C, H, W) / (N, C, L) (batch: ``sample`` is drawn), (C, H, W), or a dict
    ``{layer name: maps}`` (from ``capture_feature_maps``), drawn one layer per row.
    Returns ``path``, or None without matplotlib.
    """
    layers = maps if isinstance(maps, dict) else {"": maps}
    rows = []
    for name, m in layers.items():
        m = as_numpy(m)
        if m.ndim == 4 or (isinstance(maps, dict) and m.ndim == 3):
            if not 0 <= sample < m.shape[0]:
                raise IndexError(f"plot_feature_maps: sample {sample} out of range for a batch of "
                                 f"{m.shape[0]} ({name or 'maps'})")
            m = m[sample]
        if m.ndim not in (2, 3):
            raise ValueError(f"plot_feature_maps: expected (N, C, H, W), (N, C, L) or (C, H, W) maps, "
                             f"got shape {m.shape} ({name or 'maps'})")
        rows.append((name, m[:max_maps]))
    if len(rows) == 1 and rows[0][1].ndim == 3:  # one layer of 2-D maps: one tiled picture
        name, m = rows[0]
        return plot_images(m, path, titles=[f"ch {c}" for c in range(len(m))], panel_size=1.2,
                           what="feature maps", cmap="viridis",
                           title=title or (f"Feature maps: {name}" if name else "Feature maps"))
    cols = max(len(m) for _, m in rows)
    fig = new_figure((1.2 * cols + 0.6, 1.3 * len(rows) + 0.6), "feature maps")
    if fig is None:
        return None
    for r, (name, m) in enumerate(rows):
        for c in range(len(m)):
            ax = fig.add_subplot(len(rows), cols, r * cols + c + 1)
            _draw_panel(ax, m[c], cmap="viridis", flat_as_image=False)
            if r == 0 or len(rows) == 1:
                ax.set_title(f"ch {c}", fontsize=6)
            if c == 0 and name:
                ax.set_ylabel(name, fontsize=7)
    fig.suptitle(title or ("Feature maps" if len(rows) > 1 or not rows[0][0]
                           else f"Feature maps: {rows[0][0]}"))
    fig.tight_layout()
    return save_figure(fig, path)


def capture_feature_maps(model, x, layers=None) -> dict:
    """Run ``model(x)`` once (eval mode, no gradients) and return ``{layer name: output}``.

    ``layers``: names from ``model.named_modules()``; default every leaf module whose output
    keeps spatial structure (3 or more dims), i.e. convolutions, activations and pooling.
    Uses forward hooks, removed afterwards; the model's train/eval mode is restored.
    """
    modules = dict(model.named_modules())
    if layers is None:
        names = [n for n, m in modules.items() if n and not any(True for _ in m.children())]
    else:
        names = list(layers)
        for n in names:
            if n not in modules:
                raise KeyError(f"capture_feature_maps: the model has no layer {n!r}; layers: "
                               f"{[k for k in modules if k]}")
    out, handles = {}, []
    for n in names:
        def hook(mod, inp, output, _n=n):
            out[_n] = as_numpy(output[0] if isinstance(output, (tuple, list)) else output)
        handles.append(modules[n].register_forward_hook(hook))
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
        model.train(was_training)
    if layers is None:
        out = {k: v for k, v in out.items() if v.ndim >= 3}
    return {n: out[n] for n in names if n in out}
