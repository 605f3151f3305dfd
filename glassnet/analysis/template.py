"""Template matching: find an object by sliding a fixed picture of it over an image.

Course material 000/003, "translation invariance and locality - sliding window": to find George
in a crowd, slide his picture (the template, or kernel, K) over the image I and compute the
correlation with every window, ``C[i, j] = sum_{x, y} I[i + x, j + y] K[x, y]``. Raw correlation
favours bright windows, so a matcher normalises it: the zero-mean **normalised
cross-correlation** of the window W at (i, j) with the template,

    NCC[i, j] = sum (W - mean W)(K - mean K) / (||W - mean W|| ||K - mean K||)   in [-1, 1],

is 1 exactly where the window is ``a K + b`` for some a > 0: it ignores shifts (the sliding
finds the object anywhere) and changes of brightness (b) and contrast (a). It does not ignore
rotation, scaling or deformation, which change the picture itself; that is why a fixed template
is not enough and why the lectures turn to learned, deformation-stable features.

The numerator is the lecture's correlation C of the image with the zero-mean template (the
numbers ``glassnet.nn.functional.conv2d`` computes), evaluated by the correlation theorem as a
product of Fourier transforms: O(HW log HW) instead of O(HW hw) for an h x w template. The
window sums of the denominator come from integral images.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Tensor

__all__ = ["match_template", "normalized_cross_correlation"]


def _box_sums(a, h, w):
    """Sums of every ``h x w`` window of ``a`` (N, H, W) by an integral image, in float64."""
    s = np.zeros((a.shape[0], a.shape[1] + 1, a.shape[2] + 1))
    s[:, 1:, 1:] = a.cumsum(1).cumsum(2)
    return s[:, h:, w:] - s[:, :-h, w:] - s[:, h:, :-w] + s[:, :-h, :-w]


def _numpy64(x):
    return np.asarray(backend.to_numpy(x._data) if isinstance(x, Tensor) else x, dtype=np.float64)


def normalized_cross_correlation(images, template, eps=1e-8):
    """The zero-mean normalised cross-correlation of ``template`` with every window of each
    image (the windows lie fully inside the image: 'valid' positions).

    ``template`` is one ``(h, w)`` template for every image, or ``(N, h, w)``: one per image.
    A window with no contrast (``||W - mean W|| <= eps``) scores 0. Computed in float64.

    Shape:
        - images: ``(N, H, W)`` or ``(H, W)``; template: ``(h, w)`` or ``(N, h, w)``, h <= H,
          w <= W
        - output: ``(N, H - h + 1, W - w + 1)`` (or without N), values in [-1, 1]; entry
          (i, j) scores the window whose top-left pixel is (i, j)
    """
    x, k = _numpy64(images), _numpy64(template)
    single = x.ndim == 2
    if single:
        x = x[None]
    if x.ndim != 3 or k.ndim not in (2, 3) or (k.ndim == 3 and len(k) != len(x)):
        raise ValueError(f"normalized_cross_correlation: expected images (N, H, W) or (H, W) and "
                         f"a template (h, w) or (N, h, w), got shapes {x.shape} and {k.shape}")
    h, w = k.shape[-2:]
    if h > x.shape[1] or w > x.shape[2] or h == 0 or w == 0:
        raise ValueError(f"normalized_cross_correlation: template {k.shape} does not fit in "
                         f"images of size {x.shape[1:]}")
    kc = k - k.mean(axis=(-2, -1), keepdims=True)
    k_norm = np.sqrt((kc * kc).sum(axis=(-2, -1)))
    # sum_{u,v} W[u, v] (K - mean K)[u, v] = sum (W - mean W)(K - mean K) for every window W:
    # correlation with K is convolution with K flipped, a product of spectra; a circular
    # transform of the image's size is exact at the valid positions (no wrapped-around term)
    size = x.shape[1:]
    spectrum = np.fft.rfft2(x, s=size) * np.fft.rfft2(kc[..., ::-1, ::-1], s=size)
    num = np.fft.irfft2(spectrum, s=size)[:, h - 1:, w - 1:]
    if k.ndim == 3:
        k_norm = k_norm[:, None, None]
    n = h * w
    s1, s2 = _box_sums(x, h, w), _box_sums(x * x, h, w)
    w_norm = np.sqrt(np.maximum(s2 - s1 * s1 / n, 0.0))
    den = w_norm * k_norm
    out = np.where(den > eps, num / np.maximum(den, eps), 0.0)
    out = np.clip(out, -1.0, 1.0)
    return out[0] if single else out


def match_template(images, template):
    """Where the template matches best in each image: ``(rows, cols, scores)``, the top-left
    corner of the window with the highest normalised cross-correlation and that score.

    Shape: images ``(N, H, W)``; template ``(h, w)`` or ``(N, h, w)``; each output ``(N,)``.
    """
    ncc = normalized_cross_correlation(images, template)
    if ncc.ndim == 2:
        ncc = ncc[None]
    flat = ncc.reshape(ncc.shape[0], -1).argmax(1)
    rows, cols = np.unravel_index(flat, ncc.shape[1:])
    return rows, cols, ncc[np.arange(len(flat)), rows, cols]
