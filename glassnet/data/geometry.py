"""Geometric image operations with torchvision's names: resize, crop, pad, flip, rotate.

Every function takes a PIL image, a Tensor or an array ``(..., C, H, W)`` and gives back the same
kind (``glassnet.data.kinds``). The rules are torchvision's:

* ``resize(img, size)``: ``size`` an int (or ``[int]``) sets the *smaller* edge, the other keeps
  the aspect ratio (``int(size * long / short)``, capped by ``max_size``); ``(h, w)`` sets both.
  PIL images are resized by Pillow (always antialiased for bilinear and bicubic); Tensors and
  arrays by ``glassnet.nn.functional.interpolate`` (antialiased when ``antialias=True``, the
  default), integer images in float32 and rounded back.
* ``crop(img, top, left, height, width)`` reads zeros outside the image; ``center_crop`` pads
  with zeros first when the crop is larger than the image, and starts the window at
  ``round((H - h) / 2)``.
* ``pad(img, padding)``: ``padding`` an int, ``(left/right, top/bottom)`` or
  ``(left, top, right, bottom)``; modes 'constant' (``fill``, a number or one per channel),
  'edge', 'reflect' (mirror without the edge pixel) and 'symmetric' (with it).
* ``rotate(img, angle)``: counter-clockwise in degrees about the centre, nearest by default;
  outside pixels read ``fill`` (0).
"""

from __future__ import annotations

import enum
import math
import numbers

import numpy as np

from glassnet.data import warp
from glassnet.data.augment import Transform, _pair
from glassnet.data.kinds import as_tensor, get_dimensions, is_pil_image, unwrap
from glassnet.nn.functional.sampling import interpolate

__all__ = [
    "CenterCrop",
    "FiveCrop",
    "InterpolationMode",
    "Pad",
    "RandomResizedCrop",
    "Resize",
    "TenCrop",
    "center_crop",
    "crop",
    "five_crop",
    "hflip",
    "pad",
    "resize",
    "resized_crop",
    "rotate",
    "ten_crop",
    "vflip",
]


class InterpolationMode(enum.Enum):
    """How ``resize`` and ``rotate`` fill in pixels (torchvision's enum and values)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


_FROM_PIL_INT = {0: "NEAREST", 2: "BILINEAR", 3: "BICUBIC", 4: "BOX", 5: "HAMMING", 1: "LANCZOS"}
_TO_PIL_INT = {"nearest": 0, "nearest-exact": 0, "bilinear": 2, "bicubic": 3, "box": 4,
               "hamming": 5, "lanczos": 1}


def _mode(what, interpolation):
    """An ``InterpolationMode`` from the enum, its value, or Pillow's integer constant."""
    if isinstance(interpolation, InterpolationMode):
        return interpolation
    if isinstance(interpolation, int) and interpolation in _FROM_PIL_INT:
        return InterpolationMode[_FROM_PIL_INT[interpolation]]
    try:
        return InterpolationMode(interpolation)
    except ValueError:
        raise TypeError(f"{what}: interpolation should be an InterpolationMode or a Pillow "
                        f"integer constant, got {interpolation!r}") from None


def _out_dtype(result, like):
    """Round and clip a float result back into an integer input's dtype (torchvision's cast)."""
    if like.dtype.kind in "iu" and result.dtype.kind == "f":
        info = np.iinfo(like.dtype)
        return np.clip(np.round(result), info.min, info.max).astype(like.dtype)
    return result


# ----------------------------------------------------------------------------- resize
def resized_size(height, width, size, max_size=None):
    """The ``[h, w]`` that ``resize`` gives an image of ``height x width`` (torchvision's rule)."""
    if isinstance(size, numbers.Number) or len(size) == 1:
        want = int(size if isinstance(size, numbers.Number) else size[0])
        short, long = (width, height) if width <= height else (height, width)
        new_short, new_long = want, int(want * long / short)
        if max_size is not None:
            if max_size <= want:
                raise ValueError(f"resize: max_size = {max_size} must be strictly greater than "
                                 f"the requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        new_w, new_h = (new_short, new_long) if width <= height else (new_long, new_short)
        return [new_h, new_w]
    if len(size) != 2:
        raise ValueError(f"resize: size must be an int or a 1 or 2 element tuple/list, got {size!r}")
    if max_size is not None:
        raise ValueError("resize: max_size should only be passed if size specifies the length "
                         "of the smaller edge (an int or a sequence of length 1)")
    return [int(size[0]), int(size[1])]


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None, antialias=True):
    """Resize to ``size`` (see the module docstring).

    Shape: ``(..., C, H, W)`` -> ``(..., C, h, w)``."""
    mode = _mode("resize", interpolation)
    _, h, w = get_dimensions(img)
    out_h, out_w = resized_size(h, w, size, max_size)
    if (out_h, out_w) == (h, w):
        return img
    if is_pil_image(img):
        return img.resize((out_w, out_h), _TO_PIL_INT[mode.value])
    if mode.value not in ("nearest", "nearest-exact", "bilinear", "bicubic"):
        raise ValueError(f"resize: interpolation {mode} is only available for PIL images; "
                         "Tensors support NEAREST, NEAREST_EXACT, BILINEAR and BICUBIC")
    a, wrap = unwrap(img, "resize")
    lead = a.shape[:-3]
    x = a.reshape((1, -1) + a.shape[-2:])
    if x.dtype not in (np.float32, np.float64):
        x = x.astype(np.float32)
    linear = mode.value in ("bilinear", "bicubic")
    y = interpolate(as_tensor(np.ascontiguousarray(x)), size=(out_h, out_w), mode=mode.value,
                    align_corners=False if linear else None,
                    antialias=bool(antialias) and linear).numpy()
    if mode.value == "bicubic" and a.dtype == np.uint8:
        y = np.clip(y, 0, 255)
    y = _out_dtype(y, a) if a.dtype.kind in "iu" else y.astype(a.dtype, copy=False)
    return wrap(y.reshape(lead + a.shape[-3:-2] + (out_h, out_w)))


# ----------------------------------------------------------------------------- crops
def crop(img, top, left, height, width):
    """The ``height x width`` window whose top-left pixel is ``(top, left)``; zeros outside."""
    top, left, height, width = int(top), int(left), int(height), int(width)
    if is_pil_image(img):
        return img.crop((left, top, left + width, top + height))
    a, wrap = unwrap(img, "crop")
    h, w = a.shape[-2:]
    if top >= 0 and left >= 0 and top + height <= h and left + width <= w:
        return wrap(a[..., top:top + height, left:left + width].copy())
    out = np.zeros(a.shape[:-2] + (height, width), a.dtype)
    y0, y1 = max(top, 0), min(top + height, h)
    x0, x1 = max(left, 0), min(left + width, w)
    if y1 > y0 and x1 > x0:
        out[..., y0 - top:y1 - top, x0 - left:x1 - left] = a[..., y0:y1, x0:x1]
    return wrap(out)


def center_crop(img, output_size):
    """The central ``output_size`` window (an int for a square); padded with zeros first when it
    is larger than the image."""
    th, tw = _pair("center_crop", output_size[0] if not isinstance(output_size, numbers.Number)
                   and len(output_size) == 1 else output_size, "output_size")
    _, h, w = get_dimensions(img)
    if th > h or tw > w:
        img = pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                        (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0])
        _, h, w = get_dimensions(img)
        if (h, w) == (th, tw):
            return img
    return crop(img, round((h - th) / 2.0), round((w - tw) / 2.0), th, tw)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize`` to ``size``."""
    return resize(crop(img, top, left, height, width), size, interpolation, antialias=antialias)


def five_crop(img, size):
    """The four corner crops and the central crop of ``size``: ``(tl, tr, bl, br, center)``."""
    ch, cw = _pair("five_crop", size[0] if not isinstance(size, numbers.Number)
                   and len(size) == 1 else size, "size")
    _, h, w = get_dimensions(img)
    if ch > h or cw > w:
        raise ValueError(f"five_crop: requested crop size {(ch, cw)} is bigger than the input "
                         f"size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, (ch, cw)))


def ten_crop(img, size, vertical_flip=False):
    """``five_crop`` of the image and of its mirror (left-right, or top-bottom)."""
    flipped = vflip(img) if vertical_flip else hflip(img)
    return five_crop(img, size) + five_crop(flipped, size)


# ----------------------------------------------------------------------------- pad, flip
def _padding(padding):
    """``(left, top, right, bottom)`` from an int or a sequence of 1, 2 or 4 ints."""
    if isinstance(padding, numbers.Number):
        return (int(padding),) * 4
    p = [int(v) for v in padding]
    if len(p) == 1:
        return (p[0],) * 4
    if len(p) == 2:
        return (p[0], p[1], p[0], p[1])
    if len(p) == 4:
        return tuple(p)
    raise ValueError(f"pad: padding must be an int or a 1, 2, or 4 element sequence, got {padding!r}")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders (see the module docstring). Negative padding crops."""
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError(f"pad: padding_mode should be constant, edge, reflect or symmetric, "
                         f"got {padding_mode!r}")
    left, top, right, bottom = _padding(padding)
    a, wrap = unwrap(img, "pad")
    if min(left, top, right, bottom) < 0:  # crop the negative sides first
        h, w = a.shape[-2:]
        a = a[..., max(-top, 0):h - max(-bottom, 0), max(-left, 0):w - max(-right, 0)]
        left, top, right, bottom = (max(v, 0) for v in (left, top, right, bottom))
    if padding_mode != "constant":
        widths = [(0, 0)] * (a.ndim - 2) + [(top, bottom), (left, right)]
        return wrap(np.pad(a, widths, mode=padding_mode))
    h, w = a.shape[-2:]
    fill = 0 if fill is None else fill
    value = np.asarray(fill, dtype=np.float64)
    if value.ndim == 1 and value.size > 1:
        if value.size != a.shape[-3]:
            raise ValueError(f"pad: fill has {value.size} values but the image has "
                             f"{a.shape[-3]} channels")
        value = value.reshape(-1, 1, 1)
    out = np.empty(a.shape[:-2] + (h + top + bottom, w + left + right), a.dtype)
    out[...] = value.astype(a.dtype) if value.ndim else value.reshape(()).astype(a.dtype)
    out[..., top:top + h, left:left + w] = a
    return wrap(out)


def hflip(img):
    """Mirror left-right."""
    a, wrap = unwrap(img, "hflip")
    return wrap(a[..., ::-1].copy())


def vflip(img):
    """Mirror top-bottom."""
    a, wrap = unwrap(img, "vflip")
    return wrap(a[..., ::-1, :].copy())


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate ``angle`` degrees counter-clockwise about the centre; outside pixels read ``fill``.

    PIL images use Pillow's rotate (``expand`` and ``center`` supported); Tensors and arrays the
    warp of ``glassnet.data.warp`` (NEAREST or BILINEAR, about the centre, without ``expand``).
    """
    mode = _mode("rotate", interpolation)
    if is_pil_image(img):
        fillcolor = tuple(fill) if isinstance(fill, (list, tuple)) else fill
        return img.rotate(angle, _TO_PIL_INT[mode.value], expand, center, fillcolor=fillcolor)
    if expand or center is not None:
        raise NotImplementedError("rotate: expand=True and center are supported for PIL images "
                                  "only; Tensors rotate about the centre in their own frame")
    if mode.value not in ("nearest", "bilinear"):
        raise ValueError(f"rotate: Tensors support NEAREST and BILINEAR, got {mode}")
    a, wrap = unwrap(img, "rotate")
    lead = a.shape[:-3]
    x = a.reshape((-1,) + a.shape[-3:])
    y = warp.rotate(x, float(angle), mode=mode.value)
    if fill:
        inside = warp.rotate(np.ones((1, 1) + x.shape[-2:], np.float32), float(angle),
                             mode=mode.value)
        y = y + (1 - inside) * np.asarray(fill, y.dtype).reshape(-1, 1, 1)
    y = _out_dtype(y, a) if a.dtype.kind in "iu" else y.astype(a.dtype, copy=False)
    return wrap(y.reshape(lead + y.shape[1:]))


# ----------------------------------------------------------------------------- the transforms
def _size2(what, size):
    """torchvision's ``_setup_size``: an int or a 1-sequence is a square."""
    if not isinstance(size, numbers.Number) and len(size) == 1:
        size = size[0]
    return _pair(what, size, "size")


class Resize(Transform):
    """Resize to ``size`` (an int sets the smaller edge); see ``resize``."""

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        if not isinstance(size, (numbers.Number, list, tuple)) or (
                not isinstance(size, numbers.Number) and len(size) not in (1, 2)):
            raise TypeError(f"Resize: size should be an int or a sequence of 1 or 2 ints, "
                            f"got {size!r}")
        self.size, self.max_size, self.antialias = size, max_size, antialias
        self.interpolation = _mode("Resize", interpolation)

    def __call__(self, img):
        return resize(img, self.size, self.interpolation, self.max_size, self.antialias)


class CenterCrop(Transform):
    """Cut the central ``size`` window (padding with zeros when it is larger); see
    ``center_crop``."""

    def __init__(self, size):
        self.size = _size2("CenterCrop", size)

    def __call__(self, img):
        return center_crop(img, self.size)


class Pad(Transform):
    """Pad the borders by ``padding`` with ``fill`` or by ``padding_mode``; see ``pad``."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        _padding(padding)
        if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
            raise ValueError(f"Pad: padding_mode should be constant, edge, reflect or "
                             f"symmetric, got {padding_mode!r}")
        self.padding, self.fill, self.padding_mode = padding, fill, padding_mode

    def __call__(self, img):
        return pad(img, self.padding, self.fill, self.padding_mode)


class RandomResizedCrop(Transform):
    """Crop a random window - area ``scale`` of the image, aspect ratio ``ratio`` (log-uniform) -
    and resize it to ``size`` (the Inception-style crop, torchvision's parameters and fallback).

    On a batch ``(N, C, H, W)`` each image gets its own window."""

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True, generator=None):
        self.size = _size2("RandomResizedCrop", size)
        if scale[0] > scale[1] or ratio[0] > ratio[1]:
            raise ValueError(f"RandomResizedCrop: scale and ratio should be (min, max), got "
                             f"{scale} and {ratio}")
        self.scale, self.ratio, self.antialias = tuple(scale), tuple(ratio), antialias
        self.interpolation = _mode("RandomResizedCrop", interpolation)
        self.generator = generator

    @staticmethod
    def get_params(img, scale, ratio, rng=None):
        """``(top, left, height, width)`` of a random window (10 tries, then a central crop)."""
        rng = rng if rng is not None else np.random.default_rng()
        _, height, width = get_dimensions(img)
        area = height * width
        log_ratio = (math.log(ratio[0]), math.log(ratio[1]))
        for _ in range(10):
            target_area = area * rng.uniform(scale[0], scale[1])
            aspect = math.exp(rng.uniform(*log_ratio))
            w = round(math.sqrt(target_area * aspect))
            h = round(math.sqrt(target_area / aspect))
            if 0 < w <= width and 0 < h <= height:
                return (int(rng.integers(0, height - h + 1)), int(rng.integers(0, width - w + 1)),
                        h, w)
        in_ratio = width / height
        if in_ratio < min(ratio):
            w, h = width, round(width / min(ratio))
        elif in_ratio > max(ratio):
            h, w = height, round(height * max(ratio))
        else:
            w, h = width, height
        return (height - h) // 2, (width - w) // 2, h, w

    def _one(self, img, rng):
        i, j, h, w = self.get_params(img, self.scale, self.ratio, rng)
        return resized_crop(img, i, j, h, w, self.size, self.interpolation, self.antialias)

    def __call__(self, img):
        rng = self._rng()
        if not is_pil_image(img) and len(img.shape) == 4:
            a, wrap = unwrap(img, "RandomResizedCrop")
            return wrap(np.stack([self._one(x, rng) for x in a]))
        return self._one(img, rng)


class FiveCrop(Transform):
    """The four corners and the centre, a tuple of five images; see ``five_crop``."""

    supports_batch = False

    def __init__(self, size):
        self.size = _size2("FiveCrop", size)

    def __call__(self, img):
        return five_crop(img, self.size)


class TenCrop(Transform):
    """``FiveCrop`` of the image and of its mirror, a tuple of ten images; see ``ten_crop``."""

    supports_batch = False

    def __init__(self, size, vertical_flip=False):
        self.size, self.vertical_flip = _size2("TenCrop", size), vertical_flip

    def __call__(self, img):
        return ten_crop(img, self.size, self.vertical_flip)
