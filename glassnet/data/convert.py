"""Conversions between image kinds and dtypes: ``ToTensor``, ``PILToTensor``, ``ToPILImage``,
``ConvertImageDtype`` and v2's ``ToImage``, ``ToDtype``, ``ToPureTensor``.

They follow torchvision's rules exactly:

* ``to_tensor`` (``ToTensor``): a PIL image or an ``(H, W)`` / ``(H, W, C)`` array becomes a
  ``(C, H, W)`` Tensor; uint8 values are divided by 255 into the default float dtype (float32),
  other dtypes are kept unscaled (a float array is only transposed). A Tensor, which is already
  ``(C, H, W)``, is passed through, uint8 scaled to [0, 1] (torchvision refuses Tensors; this is
  what lets a pipeline run on the uint8 Tensors glassnet's datasets give without Pillow).
* ``pil_to_tensor`` (``PILToTensor``): a PIL image becomes a ``(C, H, W)`` Tensor of its own
  dtype, unscaled.
* ``to_pil_image`` (``ToPILImage``): a Tensor ``(C, H, W)`` or an array ``(H, W, C)`` (or
  ``(H, W)``) becomes a PIL image; float values are multiplied by 255 and cast to uint8; the mode
  is inferred from the channels (L, LA, RGB, RGBA) and dtype (I;16, I, F) unless given.
* ``convert_image_dtype`` (``ConvertImageDtype``) and ``to_dtype(..., scale=True)``
  (v2's ``ToDtype``) change the dtype and rescale the values to the new range: integers to
  floats divide by the integer maximum (``convert_image_dtype``) or multiply by its reciprocal
  (``to_dtype``: the two differ in the last bit, as in torchvision); floats to integers multiply
  by ``max + 1 - 0.001`` and truncate; integers to integers shift by the difference in bits.

Every conversion treats one image and a batch alike (the Tensor paths work on any leading axes).
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.data.augment import Transform
from glassnet.data.dataset import _is_tensor, _raw
from glassnet.data.kinds import (
    as_tensor,
    is_pil_image,
    max_value,
    pil_image_module,
    pil_to_array,
    unwrap,
)

__all__ = [
    "ConvertImageDtype",
    "PILToTensor",
    "ToDtype",
    "ToImage",
    "ToPILImage",
    "ToPureTensor",
    "ToTensor",
    "convert_image_dtype",
    "hwc_batch_to_tensor",
    "pil_to_tensor",
    "to_dtype",
    "to_image",
    "to_pil_image",
    "to_tensor",
]


# ----------------------------------------------------------------------------- to_tensor
def _scaled(a):
    """uint8 -> the default float dtype divided by 255 (torchvision's ``.div(255)``)."""
    if a.dtype != np.uint8:
        return a
    dt = backend.get_default_dtype()
    return a.astype(dt) / dt.type(255)


def to_tensor(pic):
    """A PIL image or an ``(H, W)`` / ``(H, W, C)`` array -> a ``(C, H, W)`` Tensor; uint8 values
    scaled to [0, 1] (see the module docstring)."""
    if _is_tensor(pic):
        return pic if pic.dtype != np.uint8 else as_tensor(_scaled(_raw(pic)), pic)
    if is_pil_image(pic):
        a = pil_to_array(pic)
        if pic.mode == "1":
            a = a.astype(np.uint8) * np.uint8(255)
        return as_tensor(np.ascontiguousarray(_scaled(a)))
    if not isinstance(pic, np.ndarray):
        raise TypeError(f"to_tensor: pic should be PIL Image or ndarray, got {type(pic).__name__}")
    if pic.ndim not in (2, 3):
        raise ValueError(
            f"to_tensor: pic should be 2/3 dimensional ((H, W) or (H, W, C)), got shape "
            f"{pic.shape}"
        )
    a = pic[:, :, None] if pic.ndim == 2 else pic
    return as_tensor(np.ascontiguousarray(_scaled(a.transpose(2, 0, 1))))


def hwc_batch_to_tensor(batch):
    """``(N, H, W, C)`` -> ``(N, C, H, W)`` Tensor, each image exactly as ``to_tensor`` converts
    it: the batched form the datasets use when a pipeline begins with ``ToTensor``."""
    return as_tensor(np.ascontiguousarray(_scaled(np.asarray(batch).transpose(0, 3, 1, 2))))


def pil_to_tensor(pic):
    """A PIL image -> ``(C, H, W)`` Tensor of its own dtype (uint8 for 8-bit modes), unscaled.
    A Tensor is passed through."""
    if _is_tensor(pic):
        return pic
    if not is_pil_image(pic):
        raise TypeError(f"pil_to_tensor: pic should be PIL Image, got {type(pic).__name__}")
    return as_tensor(np.ascontiguousarray(pil_to_array(pic)))


def to_image(inpt):
    """v2's ``to_image``: a PIL image or an ``(H, W, C)`` / ``(H, W)`` array -> a ``(C, H, W)``
    Tensor, unscaled; a Tensor is passed through."""
    if _is_tensor(inpt):
        return inpt
    if isinstance(inpt, np.ndarray):
        a = inpt[:, :, None] if inpt.ndim == 2 else inpt
        if a.ndim < 3:
            raise ValueError(f"to_image: expected an array (H, W) or (..., H, W, C), got shape "
                             f"{inpt.shape}")
        return as_tensor(np.ascontiguousarray(np.moveaxis(a, -1, -3)))
    return pil_to_tensor(inpt)


_PIL_MODES = {  # (channels, dtype) -> the mode torchvision infers
    (1, np.dtype(np.uint8)): "L",
    (1, np.dtype(np.int16)): "I;16",
    (1, np.dtype(np.int32)): "I",
    (1, np.dtype(np.float32)): "F",
    (2, np.dtype(np.uint8)): "LA",
    (3, np.dtype(np.uint8)): "RGB",
    (4, np.dtype(np.uint8)): "RGBA",
}
_ALLOWED_MODES = {2: ("LA",), 3: ("RGB", "YCbCr", "HSV"), 4: ("RGBA", "CMYK", "RGBX")}


def to_pil_image(pic, mode=None):
    """A Tensor ``(C, H, W)`` or an array ``(H, W, C)`` / ``(H, W)`` -> a PIL image (see the
    module docstring)."""
    image = pil_image_module("to_pil_image")
    if _is_tensor(pic):
        a = backend.to_numpy(pic._data)
        if a.ndim == 3:
            a = a.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        a = pic
    else:
        raise TypeError(f"to_pil_image: pic should be Tensor or ndarray, got {type(pic).__name__}")
    if a.ndim == 2:
        a = a[:, :, None]
    if a.ndim != 3:
        raise ValueError(f"to_pil_image: pic should be 2/3 dimensional, got shape {a.shape}")
    c = a.shape[-1]
    if c > 4:
        raise ValueError(f"to_pil_image: pic should not have > 4 channels, got {c} channels")
    if a.dtype.kind == "f" and mode != "F":
        a = (a * 255).astype(np.uint8)
    inferred = _PIL_MODES.get((c, a.dtype))
    if c == 1:
        if mode is not None and mode != inferred:
            raise ValueError(f"to_pil_image: incorrect mode ({mode}) supplied for input type "
                             f"{a.dtype}; should be {inferred}")
    elif mode is not None and mode not in _ALLOWED_MODES[c]:
        raise ValueError(f"to_pil_image: only modes {list(_ALLOWED_MODES[c])} are supported for "
                         f"{c}-channel inputs, got {mode!r}")
    mode = mode or inferred
    if mode is None:
        raise TypeError(f"to_pil_image: input type {a.dtype} with {c} channels is not supported")
    a = np.ascontiguousarray(a[:, :, 0] if c == 1 else a)
    if mode in ("L", "LA", "RGB", "RGBA", "I", "F") or mode.startswith("I;16"):
        return image.fromarray(a, mode) if c == 1 else image.fromarray(a)
    return image.frombytes(mode, (a.shape[1], a.shape[0]), a.tobytes())


def _bits(dtype):
    """Value bits of an integer dtype (uint8: 8, int16: 15...), as torchvision counts them."""
    info = np.iinfo(dtype)
    return info.bits - (1 if info.min < 0 else 0)


def _convert(a, dtype, scale, divide):
    """The rescaling of ``convert_image_dtype`` (``divide=True``) and ``to_dtype``."""
    if a.dtype == dtype:
        return a
    if not scale:
        return a.astype(dtype)
    if a.dtype.kind == "f":
        if dtype.kind == "f":
            return a.astype(dtype)
        if (a.dtype == np.float32 and dtype in (np.int32, np.int64)) or (
                a.dtype == np.float64 and dtype == np.int64):
            raise RuntimeError(f"The cast from {a.dtype} to {dtype} cannot be performed safely.")
        return (a * a.dtype.type(max_value(dtype) + 1.0 - 1e-3)).astype(dtype)
    if dtype.kind == "f":
        if divide:
            return a.astype(dtype) / dtype.type(max_value(a.dtype))
        return a.astype(dtype) * dtype.type(1.0 / max_value(a.dtype))
    if a.dtype.kind == "b" or dtype.kind == "b":
        return a.astype(dtype)
    shift = abs(_bits(a.dtype) - _bits(dtype))
    if _bits(a.dtype) > _bits(dtype):
        return (a >> shift).astype(dtype)
    return a.astype(dtype) << shift


def convert_image_dtype(image, dtype=np.float32):
    """Convert a Tensor image (or array) to ``dtype``, rescaling values to its range."""
    a, wrap = unwrap(image, "convert_image_dtype")
    if is_pil_image(image):
        raise TypeError("convert_image_dtype: expected a Tensor, got a PIL image")
    return wrap(_convert(a, backend.to_dtype(dtype), True, True))


def to_dtype(inpt, dtype=np.float32, scale=False):
    """v2's ``to_dtype``: cast, and rescale values to the new range when ``scale``."""
    a, wrap = unwrap(inpt, "to_dtype")
    if is_pil_image(inpt):
        raise TypeError("to_dtype: expected a Tensor, got a PIL image (use ToImage() first)")
    return wrap(_convert(a, backend.to_dtype(dtype), scale, False))


# ----------------------------------------------------------------------------- the classes
class _Conversion(Transform):
    """A conversion: the same on one image and on a batch, for any kind it accepts."""

    fn = None

    def __call__(self, pic):
        return type(self).fn(pic)

    def __repr__(self):
        return f"{type(self).__name__}()"


class ToTensor(_Conversion):
    """PIL image or ``(H, W[, C])`` array -> float ``(C, H, W)`` Tensor in [0, 1] (``to_tensor``)."""

    fn = staticmethod(to_tensor)
    from_hwc_batch = staticmethod(hwc_batch_to_tensor)  # what datasets use for a whole batch


class PILToTensor(_Conversion):
    """PIL image -> ``(C, H, W)`` Tensor of the image's dtype, unscaled (``pil_to_tensor``)."""

    fn = staticmethod(pil_to_tensor)


class ToImage(_Conversion):
    """v2: PIL image or ``(H, W, C)`` array -> ``(C, H, W)`` Tensor, unscaled (``to_image``)."""

    fn = staticmethod(to_image)
    from_hwc_batch = staticmethod(to_image)  # (N, H, W, C) -> (N, C, H, W), as for one image


class ToPureTensor(_Conversion):
    """v2: the plain Tensor behind an image; glassnet's image Tensors are plain already."""

    fn = staticmethod(lambda x: x)


class ToPILImage(Transform):
    """Tensor ``(C, H, W)`` or array ``(H, W, C)`` -> PIL image (``to_pil_image``)."""

    supports_batch = False

    def __init__(self, mode=None):
        self.mode = mode

    def __call__(self, pic):
        return to_pil_image(pic, self.mode)


class ConvertImageDtype(Transform):
    """Convert a Tensor image to ``dtype`` and rescale its values (``convert_image_dtype``)."""

    def __init__(self, dtype):
        self.dtype = backend.to_dtype(dtype)

    def __call__(self, image):
        return convert_image_dtype(image, self.dtype)


class ToDtype(Transform):
    """v2: cast to ``dtype``; with ``scale=True`` rescale the values to its range (``to_dtype``)."""

    def __init__(self, dtype, scale=False):
        if isinstance(dtype, dict):
            raise NotImplementedError("ToDtype: a dict of dtypes per input type is not supported; "
                                      "pass one dtype")
        self.dtype, self.scale = backend.to_dtype(dtype), bool(scale)

    def __call__(self, inpt):
        return to_dtype(inpt, self.dtype, self.scale)
