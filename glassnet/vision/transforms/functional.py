"""``torchvision.transforms.functional``: the stateless image operations, same names and rules.

Each takes a PIL image, a Tensor or a NumPy array ``(..., C, H, W)`` (the conversions: what
torchvision's take) and gives back the same kind. They are ``glassnet.data``'s functions:
conversions from ``convert``, geometry from ``geometry``, colour and filters from ``color``,
``normalize`` from ``transforms``.
"""

from glassnet.data.color import (
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_saturation,
    gaussian_blur,
    invert,
    posterize,
    rgb_to_grayscale,
    solarize,
    to_grayscale,
)
from glassnet.data.convert import convert_image_dtype, pil_to_tensor, to_pil_image, to_tensor
from glassnet.data.geometry import (
    InterpolationMode,
    center_crop,
    crop,
    five_crop,
    hflip,
    pad,
    resize,
    resized_crop,
    rotate,
    ten_crop,
    vflip,
)
from glassnet.data.kinds import get_dimensions, get_image_num_channels, get_image_size
from glassnet.data.transforms import normalize

__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_saturation", "center_crop", "convert_image_dtype", "crop", "five_crop",
           "gaussian_blur", "get_dimensions", "get_image_num_channels", "get_image_size", "hflip",
           "invert", "normalize", "pad", "pil_to_tensor", "posterize", "resize", "resized_crop",
           "rgb_to_grayscale", "rotate", "solarize", "ten_crop", "to_grayscale", "to_pil_image",
           "to_tensor", "vflip"]
