"""``torchvision.utils``: ``make_grid`` tiles a batch of images into one, ``save_image`` writes it.

The values are torchvision's: the same grid shape, padding, ``pad_value``, ``normalize`` (clamp
to ``value_range`` or to the min and max, then shift and scale to [0, 1], over the whole batch or
per image with ``scale_each``) and, in ``save_image``, the same rounding to 8 bits.
"""

from __future__ import annotations

import math

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor
from glassnet.tensor import tensor as _tensor

__all__ = ["make_grid", "save_image"]


def _as_array(x, what="make_grid"):
    if isinstance(x, Tensor):
        return backend.to_numpy(x.detach()._data)
    if isinstance(x, np.ndarray):
        return x
    raise TypeError(f"{what}: tensor or list of tensors expected, got {type(x).__name__}")


def _grid_array(images, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
                pad_value=0.0):
    """``make_grid`` on NumPy: the ``(C, H', W')`` grid array (or the single image)."""
    if isinstance(images, (list, tuple)):
        if not images:
            raise ValueError("make_grid: got an empty list of images")
        a = np.stack([_as_array(t) for t in images])
    else:
        a = _as_array(images)
    if a.ndim == 2:  # one image (H, W)
        a = a[None]
    if a.ndim == 3:  # one image (C, H, W); a single channel becomes three
        a = (np.concatenate([a] * 3, 0) if a.shape[0] == 1 else a)[None]
    if a.ndim != 4:
        raise ValueError(f"make_grid: expected images (B, C, H, W), (C, H, W) or (H, W), got "
                         f"shape {a.shape}")
    if a.shape[1] == 1:
        a = np.concatenate([a] * 3, 1)
    if normalize:
        if value_range is not None and not isinstance(value_range, tuple):
            raise TypeError("make_grid: value_range has to be a tuple (min, max) if specified, "
                            f"got {type(value_range).__name__}")
        a = a.copy()

        def norm(t):
            lo, hi = (float(t.min()), float(t.max())) if value_range is None else value_range
            np.clip(t, lo, hi, out=t)
            t -= t.dtype.type(lo)
            t /= t.dtype.type(max(hi - lo, 1e-5))

        for t in (a if scale_each else (a,)):
            norm(t)
    if a.shape[0] == 1:
        return a[0]
    n, c, h, w = a.shape
    xmaps = min(nrow, n)
    ymaps = math.ceil(n / xmaps)
    hp, wp = h + padding, w + padding
    grid = np.full((c, hp * ymaps + padding, wp * xmaps + padding), pad_value, dtype=a.dtype)
    for k in range(n):
        y, x = divmod(k, xmaps)
        grid[:, y * hp + padding:(y + 1) * hp, x * wp + padding:(x + 1) * wp] = a[k]
    return grid


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Tile a batch of images into one image, ``nrow`` per row, as ``torchvision.utils.make_grid``.

    Args:
        tensor: a batch ``(B, C, H, W)``, one image ``(C, H, W)`` or ``(H, W)``, or a list of
            images of one shape (glassnet Tensors or NumPy arrays). One-channel images are
            repeated to three channels.
        nrow: images per row; the grid has ``ceil(B / nrow)`` rows.
        padding: pixels between the images and around the grid.
        normalize: shift and scale to [0, 1] using ``value_range = (min, max)`` (values
            outside are clamped), or the batch's own min and max.
        scale_each: with ``normalize``, each image by its own min and max.
        pad_value: the value of the padding pixels.

    Returns a Tensor ``(C, rows (H + padding) + padding, cols (W + padding) + padding)`` (the
    image itself for a batch of one), outside the autograd graph, in the input's dtype.
    """
    grid = _grid_array(tensor, nrow, padding, normalize, value_range, scale_each, pad_value)
    return _tensor(np.ascontiguousarray(grid))


def save_image(tensor, fp, format=None, **kwargs):
    """Save an image, or a batch tiled by ``make_grid(**kwargs)``, to ``fp`` (a path or a binary
    file) with Pillow; the format comes from the file name unless ``format`` is given.

    Values in [0, 1] become 8-bit pixels as torchvision rounds them: ``clamp(255 x + 0.5)``.
    """
    try:
        from PIL import Image
    except ImportError as exc:
        raise ImportError("save_image: writing image files needs Pillow, which is not "
                          "installed; pip install 'glassnet[images]' (or pip install pillow)"
                          ) from exc
    grid = _grid_array(tensor, **kwargs)
    if grid.dtype.kind != "f":
        grid = grid.astype(np.float32)
    pixels = np.clip(grid * grid.dtype.type(255) + grid.dtype.type(0.5), 0, 255).astype(np.uint8)
    Image.fromarray(np.ascontiguousarray(pixels.transpose(1, 2, 0))).save(fp, format=format)
