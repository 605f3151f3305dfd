"""Colour and filter operations with torchvision's names: grayscale, brightness, contrast,
saturation, gamma, Gaussian blur, invert, posterize, solarize.

Every function takes a PIL image, a Tensor or an array ``(..., C, H, W)`` and gives back the same
kind. PIL images go through Pillow as torchvision sends them (``convert('L')``,
``ImageEnhance``, ``ImageOps``); Tensors and arrays follow torchvision's tensor formulas:

* grayscale ``L = 0.2989 R + 0.587 G + 0.114 B``, cast back to the image dtype (uint8 truncates);
* ``adjust_*`` blend the image with a second one, ``ratio * img + (1 - ratio) * other``, clamped
  to the value range (1 for floats, 255 for uint8) and cast back: brightness with black, contrast
  with the mean gray level, saturation with the grayscale image;
* ``gaussian_blur``: the kernel ``exp(-x^2 / 2 sigma^2)`` on ``kernel_size`` points, normalised,
  applied along each axis with 'reflect' borders (mirror without the edge pixel). This is
  torchvision's filter; ``glassnet.data.warp.gaussian_blur`` is scipy.ndimage's (kernel cut at
  4 sigma, edge pixel repeated), which the elastic deformation uses;
* ``invert`` is ``max - img``; ``posterize`` keeps the top ``bits`` bits of uint8 values;
  ``solarize`` inverts the values at or above ``threshold``.
"""

from __future__ import annotations

import numbers

import numpy as np

from glassnet.data.augment import Transform
from glassnet.data.kinds import (
    get_dimensions,
    is_pil_image,
    max_value,
    pil_image_module,
    unwrap,
)

__all__ = [
    "GaussianBlur",
    "Grayscale",
    "RandomGrayscale",
    "RandomInvert",
    "RandomPosterize",
    "RandomSolarize",
    "adjust_brightness",
    "adjust_contrast",
    "adjust_gamma",
    "adjust_saturation",
    "gaussian_blur",
    "invert",
    "posterize",
    "rgb_to_grayscale",
    "solarize",
    "to_grayscale",
]


def _work_dtype(a):
    return a.dtype if a.dtype.kind == "f" else np.dtype(np.float32)


def _gray(a):
    """``(..., 1, H, W)`` luma of ``(..., 3, H, W)`` in the working float dtype (not cast back)."""
    f = _work_dtype(a).type
    r, g, b = (a[..., i:i + 1, :, :] for i in range(3))
    return f(0.2989) * r.astype(f) + f(0.587) * g.astype(f) + f(0.114) * b.astype(f)


def _blend(a, other, ratio):
    """torchvision's ``_blend``: ``ratio * a + (1 - ratio) * other``, clamped and cast back."""
    f = _work_dtype(a).type
    out = f(ratio) * a.astype(f) + f(1.0 - ratio) * np.asarray(other).astype(f)
    return np.clip(out, 0, max_value(a.dtype)).astype(a.dtype)


def _check_factor(what, name, v):
    if v < 0:
        raise ValueError(f"{what}: {name} ({v}) is not non-negative.")


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma of an RGB image (``num_output_channels`` 1 or 3); a 1-channel image is kept."""
    if num_output_channels not in (1, 3):
        raise ValueError(f"rgb_to_grayscale: num_output_channels should be either 1 or 3, got "
                         f"{num_output_channels}")
    if is_pil_image(img):
        gray = img.convert("L")
        if num_output_channels == 3:
            image = pil_image_module("rgb_to_grayscale")
            return image.merge("RGB", [gray, gray, gray])
        return gray
    a, wrap = unwrap(img, "rgb_to_grayscale")
    if a.ndim < 3:
        raise TypeError(f"rgb_to_grayscale: expected an image (..., C, H, W), got shape {a.shape}")
    gray = _gray(a).astype(a.dtype) if a.shape[-3] == 3 else a.copy()
    if num_output_channels == 3:
        gray = np.broadcast_to(gray, gray.shape[:-3] + (3,) + gray.shape[-2:]).copy()
    return wrap(gray)


to_grayscale = rgb_to_grayscale


def adjust_brightness(img, brightness_factor):
    """Scale the brightness: 0 gives black, 1 the image, 2 twice as bright (clamped)."""
    _check_factor("adjust_brightness", "brightness_factor", brightness_factor)
    if is_pil_image(img):
        from PIL import ImageEnhance

        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    a, wrap = unwrap(img, "adjust_brightness")
    return wrap(_blend(a, np.zeros((), a.dtype), brightness_factor))


def adjust_contrast(img, contrast_factor):
    """Scale the contrast about the mean gray level: 0 gives a uniform gray image."""
    _check_factor("adjust_contrast", "contrast_factor", contrast_factor)
    if is_pil_image(img):
        from PIL import ImageEnhance

        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    a, wrap = unwrap(img, "adjust_contrast")
    f = _work_dtype(a)
    g = _gray(a).astype(a.dtype).astype(f) if a.shape[-3] == 3 else a.astype(f)
    return wrap(_blend(a, g.mean(axis=(-3, -2, -1), keepdims=True, dtype=f), contrast_factor))


def adjust_saturation(img, saturation_factor):
    """Scale the saturation: 0 gives the grayscale image, 1 the image (1-channel: unchanged)."""
    _check_factor("adjust_saturation", "saturation_factor", saturation_factor)
    if is_pil_image(img):
        from PIL import ImageEnhance

        return ImageEnhance.Color(img).enhance(saturation_factor)
    a, wrap = unwrap(img, "adjust_saturation")
    if a.shape[-3] == 1:
        return img
    return wrap(_blend(a, _gray(a).astype(a.dtype), saturation_factor))


def adjust_gamma(img, gamma, gain=1.0):
    """``gain * img ** gamma`` on values in [0, 1] (integer images are converted and back)."""
    if gamma < 0:
        raise ValueError(f"adjust_gamma: gamma should be a non-negative real number, got {gamma}")
    if is_pil_image(img):
        table = [int((255 + 1 - 1e-3) * gain * pow(v / 255.0, gamma)) for v in range(256)]
        return img.point(table * len(img.getbands()))
    a, wrap = unwrap(img, "adjust_gamma")
    if a.dtype.kind == "f":
        return wrap(np.clip(gain * a ** a.dtype.type(gamma), 0, 1).astype(a.dtype))
    top = max_value(a.dtype)
    x = a.astype(np.float32) / np.float32(top)
    y = np.clip(np.float32(gain) * x ** np.float32(gamma), 0, 1)
    return wrap((y * np.float32(top + 1.0 - 1e-3)).astype(a.dtype))


def _kernel(size, sigma, dtype):
    half = (size - 1) * 0.5
    x = np.linspace(-half, half, size).astype(dtype)
    pdf = np.exp(dtype.type(-0.5) * (x / dtype.type(sigma)) ** 2)
    return pdf / pdf.sum()


def gaussian_blur(img, kernel_size, sigma=None):
    """Blur with a Gaussian of ``kernel_size`` (odd; ``[kx, ky]``) and ``sigma`` (``[sx, sy]``;
    None: ``0.15 * k + 0.35``), 'reflect' borders. Integer images are blurred in float32 and
    rounded back."""
    ks = [kernel_size] * 2 if isinstance(kernel_size, numbers.Number) else list(kernel_size)
    if len(ks) != 2 or any(int(k) != k or k <= 0 or k % 2 == 0 for k in ks):
        raise ValueError(f"gaussian_blur: kernel_size should have odd and positive integers, "
                         f"got {kernel_size!r}")
    if sigma is None:
        sigma = [k * 0.15 + 0.35 for k in ks]
    sg = [float(sigma)] * 2 if isinstance(sigma, numbers.Number) else list(sigma)
    if len(sg) == 1:
        sg = sg * 2
    if len(sg) != 2 or min(sg) <= 0:
        raise ValueError(f"gaussian_blur: sigma should have positive values, got {sigma!r}")
    a, wrap = unwrap(img, "gaussian_blur")
    f = _work_dtype(a)
    x = a.astype(f)
    for axis, k, s in ((-1, int(ks[0]), sg[0]), (-2, int(ks[1]), sg[1])):
        r = k // 2
        if r >= x.shape[axis]:
            raise ValueError(f"gaussian_blur: kernel size {k} needs an image side above {r}, "
                             f"got shape {a.shape}")
        widths = [(0, 0)] * x.ndim
        widths[axis] = (r, r)
        p = np.pad(x, widths, mode="reflect")
        w = _kernel(k, s, f)
        n = x.shape[axis]
        out = np.zeros_like(x)
        for i in range(k):
            out += w[i] * np.take(p, np.arange(i, i + n), axis=axis)
        x = out
    if a.dtype.kind in "iu":
        info = np.iinfo(a.dtype)
        x = np.clip(np.round(x), info.min, info.max)
    return wrap(x.astype(a.dtype))


def invert(img):
    """``max - img`` (255 - x for uint8, 1 - x for floats)."""
    if is_pil_image(img):
        from PIL import ImageOps

        return ImageOps.invert(img)
    a, wrap = unwrap(img, "invert")
    if a.dtype.kind == "b":
        return wrap(~a)
    return wrap((a.dtype.type(max_value(a.dtype)) - a).astype(a.dtype))


def posterize(img, bits):
    """Keep the top ``bits`` bits of each uint8 value (0..8)."""
    if not 0 <= int(bits) <= 8:
        raise ValueError(f"posterize: bits should be in [0, 8], got {bits}")
    if is_pil_image(img):
        from PIL import ImageOps

        return ImageOps.posterize(img, int(bits))
    a, wrap = unwrap(img, "posterize")
    if a.dtype != np.uint8:
        raise TypeError(f"posterize: only uint8 images are supported, got {a.dtype}")
    return wrap(a & np.uint8((0xFF << (8 - int(bits))) & 0xFF))


def solarize(img, threshold):
    """Invert the values at or above ``threshold``."""
    if is_pil_image(img):
        from PIL import ImageOps

        return ImageOps.solarize(img, threshold)
    a, wrap = unwrap(img, "solarize")
    if threshold > max_value(a.dtype):
        raise TypeError(f"solarize: threshold {threshold} should be at most the largest value "
                        f"of {a.dtype} ({max_value(a.dtype)})")
    return wrap(np.where(a >= threshold, a.dtype.type(max_value(a.dtype)) - a, a))


# ----------------------------------------------------------------------------- the transforms
def _per_image(self, img, p, fn):
    """Apply ``fn`` with probability ``p``: one draw for an image, one per image of a batch."""
    rng = self._rng()
    if not is_pil_image(img) and len(img.shape) == 4:
        a, wrap = unwrap(img, type(self).__name__)
        pick = rng.random(a.shape[0]) < p
        out = a.copy()
        if pick.any():
            out[pick] = fn(a[pick])
        return wrap(out)
    return fn(img) if rng.random() < p else img


class Grayscale(Transform):
    """Convert to grayscale with ``num_output_channels`` 1 or 3 (``rgb_to_grayscale``)."""

    def __init__(self, num_output_channels=1):
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        return rgb_to_grayscale(img, self.num_output_channels)


class RandomGrayscale(Transform):
    """Grayscale with probability ``p``, keeping the number of channels."""

    def __init__(self, p=0.1, generator=None):
        self.p, self.generator = float(p), generator

    def __call__(self, img):
        c = get_dimensions(img)[0]
        return _per_image(self, img, self.p, lambda x: rgb_to_grayscale(x, c))


class RandomInvert(Transform):
    """``invert`` with probability ``p``."""

    def __init__(self, p=0.5, generator=None):
        self.p, self.generator = float(p), generator

    def __call__(self, img):
        return _per_image(self, img, self.p, invert)


class RandomPosterize(Transform):
    """``posterize(img, bits)`` with probability ``p`` (uint8 images)."""

    def __init__(self, bits, p=0.5, generator=None):
        self.bits, self.p, self.generator = int(bits), float(p), generator

    def __call__(self, img):
        return _per_image(self, img, self.p, lambda x: posterize(x, self.bits))


class RandomSolarize(Transform):
    """``solarize(img, threshold)`` with probability ``p``."""

    def __init__(self, threshold, p=0.5, generator=None):
        self.threshold, self.p, self.generator = threshold, float(p), generator

    def __call__(self, img):
        return _per_image(self, img, self.p, lambda x: solarize(x, self.threshold))


class GaussianBlur(Transform):
    """Gaussian blur with ``kernel_size`` and a sigma drawn uniformly from ``sigma`` (min, max)
    for each image (``gaussian_blur``)."""

    def __init__(self, kernel_size, sigma=(0.1, 2.0), generator=None):
        ks = (kernel_size,) * 2 if isinstance(kernel_size, numbers.Number) else tuple(kernel_size)
        if len(ks) == 1:
            ks = ks * 2
        if len(ks) != 2 or any(k <= 0 or k % 2 == 0 for k in ks):
            raise ValueError("GaussianBlur: kernel size value should be an odd and positive "
                             f"number, got {kernel_size!r}")
        if isinstance(sigma, numbers.Number):
            if sigma <= 0:
                raise ValueError(f"GaussianBlur: sigma must be positive, got {sigma}")
            sigma = (float(sigma), float(sigma))
        elif len(sigma) != 2 or not 0.0 < sigma[0] <= sigma[1]:
            raise ValueError(f"GaussianBlur: sigma values should be positive and of the form "
                             f"(min, max), got {sigma!r}")
        self.kernel_size, self.sigma, self.generator = ks, tuple(sigma), generator

    def __call__(self, img):
        rng = self._rng()
        if not is_pil_image(img) and len(img.shape) == 4:
            a, wrap = unwrap(img, "GaussianBlur")
            s = rng.uniform(self.sigma[0], self.sigma[1], size=a.shape[0])
            return wrap(np.stack([gaussian_blur(x, self.kernel_size, [v, v])
                                  for x, v in zip(a, s)]))
        s = float(rng.uniform(self.sigma[0], self.sigma[1]))
        return gaussian_blur(img, self.kernel_size, [s, s])
