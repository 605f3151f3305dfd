"""Shift invariance and shift equivariance, measured (and how striding breaks them).

Course material 000/003, "Invariance and equivariance", "Not the full story...". With the shift
operator S_v (move the image by the vector v):

* a "cat segmentor" f should be **shift-equivariant**, f(S_v x) = S_v f(x): a convolution is,
  exactly, when the shift wraps around (circular padding: the image is a torus);
* a "cat detector" should be **shift-invariant**, f(S_v x) = f(x): global average pooling over
  an equivariant feature map is, exactly.

Downsampling by a stride s keeps equivariance only for shifts that are multiples of s
(S_v becomes S_{v/s} on the output). For other shifts, max pooling and strided convolutions
ignore the Nyquist sampling theorem and alias: a one-pixel shift can change the output a lot.
Blurring before subsampling (``nn.BlurPool2d``, ``nn.MaxBlurPool2d``; Zhang, "Making
Convolutional Networks Shift-Invariant Again", ICML 2019) removes the frequencies that alias and
makes the network far less sensitive to such shifts.

Two measurements:

* ``shift_deviation``: the normalised L2 difference ``||f(S_v x) - f(x)|| / ||f(x)||``
  (invariance) or ``||f(S_v x) - S_{v/s} f(x)|| / ||S_{v/s} f(x)||`` (equivariance), per shift;
* ``shift_consistency``: Zhang's classification consistency, the fraction of images whose
  predicted class is the same under two random shifts.
"""

from __future__ import annotations

import numpy as np

from ..nn import functional as F
from ._util import as_numpy, as_tensor, evaluate, np_rng, relative_error

__all__ = ["shift", "shift_batch", "shift_consistency", "shift_deviation"]


def _shift_tuple(fn, v, nd):
    if isinstance(v, (int, np.integer)):
        return (int(v),) * nd
    v = tuple(int(s) for s in v)
    if len(v) != nd:
        raise ValueError(f"{fn}: a shift must be an int or a tuple of {nd} ints (one per "
                         f"spatial dimension), got {v}")
    return v


def shift(x, shifts, circular=True, spatial_dims=None):
    """``S_v x``: move ``x`` by ``shifts`` pixels along its spatial dimensions (the last
    ``spatial_dims``, default every dimension after (N, C)); positive shifts move content
    towards higher indices.

    ``shifts``: an int (the same shift along every spatial dimension, a diagonal move) or a
    tuple, one per spatial dimension. ``circular=True`` wraps around (``roll``: exact
    equivariance of circular convolutions); ``circular=False`` fills the uncovered border with
    zeros and drops what leaves the image.

    Shape: x (N, C, *S) Tensor (or array); output the same shape and type.
    """
    t = as_tensor(x)
    nd = t.ndim - 2 if spatial_dims is None else int(spatial_dims)
    v = _shift_tuple("shift", shifts, nd)
    dims = tuple(range(t.ndim - nd, t.ndim))
    if circular:
        out = t.roll(v, dims) if any(v) else t
    else:
        pads = []
        for s in reversed(v):  # F.pad takes (left, right) pairs, last dimension first
            pads += [s, -s]  # pad s in front and crop s at the end (negative pads crop)
        out = F.pad(t, pads) if any(v) else t
    return out if t is x else as_numpy(out)


def shift_batch(images, shifts, circular=True):
    """Shift every image (N, C, H, W) of a NumPy batch by its own ``shifts[n] = (dy, dx)``.

    One gather for the whole batch: ``out[n, c, i, j] = x[n, c, i - dy_n, j - dx_n]``, wrapped
    around (``circular``) or zero outside the image.
    """
    x = np.asarray(images)
    if x.ndim != 4:
        raise ValueError(f"shift_batch: expected images (N, C, H, W), got shape {x.shape}")
    n, _, h, w = x.shape
    v = np.asarray(shifts, dtype=np.int64).reshape(n, 2)
    rows = np.arange(h)[None, :] - v[:, :1]  # (N, H): source row of each output row
    cols = np.arange(w)[None, :] - v[:, 1:]
    out = x[np.arange(n)[:, None, None, None], np.arange(x.shape[1])[None, :, None, None],
            (rows % h)[:, None, :, None], (cols % w)[:, None, None, :]]
    if not circular:
        valid = ((rows >= 0) & (rows < h))[:, None, :, None] & \
                ((cols >= 0) & (cols < w))[:, None, None, :]
        out = np.where(valid, out, np.zeros((), dtype=out.dtype))
    return out


def shift_deviation(fn, x, shifts, mode="equivariance", circular=True, stride=1, margin=0):
    """The relative change of ``fn``'s output under each shift in ``shifts``.

    * ``mode='invariance'``: ``||f(S_v x) - f(x)|| / ||f(x)||``, for any output shape;
    * ``mode='equivariance'``: ``||f(S_v x) - S_{v/s} f(x)|| / ||S_{v/s} f(x)||`` for feature
      maps, with ``stride`` s the output's total downsampling factor (an int or one per
      spatial dimension). Each shift must be a multiple of the stride, so that the shifted
      output exists on the output grid; equivariance then holds exactly for circular
      convolutions, pooling included, and the deviation measures only the border effects
      (``circular=False``; ``margin`` output pixels at each border can be left out).

    ``shifts``: ints (diagonal shifts) or tuples, one per spatial dimension. Errors are
    per-sample relative L2 norms averaged over the batch. Returns a NumPy array, one per shift.
    """
    if mode not in ("invariance", "equivariance"):
        raise ValueError(f"shift_deviation: mode must be 'invariance' or 'equivariance', got "
                         f"{mode!r}")
    x = as_tensor(x)
    nd = x.ndim - 2
    strides = _shift_tuple("shift_deviation", stride, nd)
    y = evaluate(fn, x)
    out = []
    for v in shifts:
        v = _shift_tuple("shift_deviation", v, nd)
        y_s = evaluate(fn, shift(x, v, circular))
        if mode == "invariance":
            out.append(relative_error(y_s, y))
            continue
        if any(s % st for s, st in zip(v, strides)):
            raise ValueError(f"shift_deviation: equivariance needs shifts that are multiples of "
                             f"the stride {strides}, got {v}; use mode='invariance' for others")
        ref = shift(y, tuple(s // st for s, st in zip(v, strides)), circular,
                    spatial_dims=nd)
        a, b = as_numpy(y_s), as_numpy(ref)
        if margin:
            crop = (Ellipsis,) + tuple(slice(margin, -margin) for _ in range(nd))
            a, b = a[crop], b[crop]
        out.append(relative_error(a, b))
    return np.array(out)


def shift_consistency(model, images, max_shift, circular=True, pairs=1, generator=None,
                      batch_size=256):
    """Classification consistency under random shifts (Zhang 2019):

        consistency = P( argmax f(S_u x) == argmax f(S_v x) ),  u, v ~ U{-max_shift..max_shift}^2

    estimated over every image of ``images`` (N, C, H, W) and ``pairs`` random shift pairs per
    image. 1.0 for an exactly shift-invariant classifier; Zhang reports that anti-aliasing
    raises ImageNet consistency by a few points. ``model`` maps (B, C, H, W) to class scores
    (B, K); it runs in eval mode without gradients.

    Returns a float in [0, 1].
    """
    x = as_numpy(images)
    if x.ndim != 4:
        raise ValueError(f"shift_consistency: expected images (N, C, H, W), got {x.shape}")
    rng = np_rng(generator)
    agree = total = 0
    for _ in range(int(pairs)):
        u = rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
        v = rng.integers(-max_shift, max_shift + 1, size=(len(x), 2))
        for i in range(0, len(x), batch_size):
            sl = slice(i, i + batch_size)
            pu = as_numpy(evaluate(model, as_tensor(shift_batch(x[sl], u[sl], circular))))
            pv = as_numpy(evaluate(model, as_tensor(shift_batch(x[sl], v[sl], circular))))
            agree += int((pu.argmax(-1) == pv.argmax(-1)).sum())
            total += len(pu)
    return agree / max(total, 1)
