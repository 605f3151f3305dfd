"""Images in three kinds - PIL images, NumPy arrays, glassnet Tensors - and how transforms see them.

torchvision's transforms take a PIL image or a Tensor and give back the same kind; glassnet's
take those two and NumPy arrays too. Inside, every transform works on an array whose last three
axes are ``(C, H, W)``: a Tensor's array as it is, an array as it is, a PIL image read into a
``(C, H, W)`` array (uint8 for the 8-bit modes). ``unwrap(img)`` gives that array and a function
that turns a result of the same layout back into the kind that came in (a PIL image in the
original mode, a Tensor on the original device, an array). A batch ``(N, C, H, W)`` is an array
or a Tensor with a leading axis.

Pillow is optional (``pip install 'glassnet[images]'``); nothing here imports it until a PIL
image is made, and then a missing Pillow is a ModuleNotFoundError that says how to install it.
"""

from __future__ import annotations

import sys

import numpy as np

from glassnet.data.dataset import _is_tensor, _raw
from glassnet.tensor import Tensor

__all__ = ["array_to_pil", "as_tensor", "get_dimensions", "get_image_num_channels",
           "get_image_size", "is_pil_image", "max_value", "pil_available", "pil_image_module",
           "pil_to_array", "unwrap"]


def pil_available() -> bool:
    """Whether Pillow can be imported."""
    try:
        import PIL.Image  # noqa: F401
    except ImportError:
        return False
    return True


def pil_image_module(what):
    """``PIL.Image``, or a ModuleNotFoundError saying that ``what`` needs Pillow."""
    try:
        from PIL import Image
    except ImportError:
        raise ModuleNotFoundError(
            f"{what} needs Pillow, which is not installed: pip install 'glassnet[images]' "
            "(or pip install pillow)"
        ) from None
    return Image


def is_pil_image(x) -> bool:
    """Whether ``x`` is a PIL image (without importing Pillow when nothing has yet)."""
    mod = sys.modules.get("PIL.Image")
    return mod is not None and isinstance(x, mod.Image)


def as_tensor(array, like=None):
    """A glassnet Tensor holding ``array`` (no copy), on ``like``'s device when it is a Tensor."""
    t = Tensor._make(array, False)
    if like is not None and _is_tensor(like) and not isinstance(like._data, np.ndarray):
        t = t.to(like.device)
    return t


_PIL_DTYPES = {"I": np.int32, "I;16": np.int16, "I;16B": np.int16, "F": np.float32}


def pil_to_array(img) -> np.ndarray:
    """A PIL image's pixels as a ``(C, H, W)`` array (uint8 for the 8-bit modes)."""
    a = np.array(img, dtype=_PIL_DTYPES.get(img.mode, np.uint8 if img.mode != "1" else bool))
    if a.ndim == 2:
        a = a[:, :, None]
    return a.transpose(2, 0, 1)


def array_to_pil(chw, mode=None):
    """A ``(C, H, W)`` array as a PIL image, in ``mode`` when it fits the channels and dtype."""
    image = pil_image_module("a PIL image")
    hwc = np.ascontiguousarray(np.asarray(chw).transpose(1, 2, 0))
    if hwc.dtype == np.uint8 and mode is not None and mode not in ("L", "LA", "RGB", "RGBA") \
            and len(mode) == hwc.shape[2] and hwc.shape[2] > 1:  # YCbCr, CMYK, HSV...
        return image.frombytes(mode, (hwc.shape[1], hwc.shape[0]), hwc.tobytes())
    if hwc.shape[2] == 1:
        hwc = hwc[:, :, 0]
        if hwc.dtype == bool and mode == "1":
            return image.fromarray(hwc)
    if hwc.dtype == bool:
        hwc = hwc.astype(np.uint8) * 255
    return image.fromarray(hwc)


def unwrap(img, what):
    """``(array, wrap)``: the pixels of ``img`` as an array ``(..., C, H, W)``, and a function
    that gives an array of the same layout back as ``img``'s kind (PIL image, Tensor, array).

    Raises TypeError naming ``what`` for anything that is not an image."""
    if isinstance(img, np.ndarray):
        return img, _same
    if _is_tensor(img):
        return _raw(img), lambda out: as_tensor(out, img)
    if is_pil_image(img):
        mode = img.mode
        return pil_to_array(img), lambda out: array_to_pil(out, mode)
    raise TypeError(
        f"{what}: expected a PIL image, a Tensor or a NumPy array, got {type(img).__name__}"
    )


def _same(out):
    return out


def get_dimensions(img):
    """``[channels, height, width]`` of a PIL image, or of a Tensor/array ``(..., C, H, W)``."""
    if is_pil_image(img):
        return [len(img.getbands()), img.height, img.width]
    shape = tuple(img.shape)
    if len(shape) < 2:
        raise TypeError(f"get_dimensions: expected an image (..., C, H, W), got shape {shape}")
    return [1 if len(shape) == 2 else int(shape[-3]), int(shape[-2]), int(shape[-1])]


def get_image_size(img):
    """``[width, height]`` (torchvision's order)."""
    _, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img) -> int:
    return get_dimensions(img)[0]


def max_value(dtype) -> float:
    """The largest value of an image of ``dtype``: 1 for floats, the integer maximum else."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return 1
    return int(np.iinfo(dtype).max) if dtype.kind in "iu" else 1
