"""``torchvision.transforms.v2.functional``: v1's functions, v2's names for the flips, and
``to_image`` / ``to_dtype``."""

from glassnet.data.convert import to_dtype, to_image
from glassnet.vision.transforms.functional import (
    InterpolationMode,
    adjust_brightness,
    adjust_contrast,
    adjust_gamma,
    adjust_saturation,
    center_crop,
    convert_image_dtype,
    crop,
    five_crop,
    gaussian_blur,
    get_dimensions,
    get_image_num_channels,
    get_image_size,
    hflip,
    invert,
    normalize,
    pad,
    pil_to_tensor,
    posterize,
    resize,
    resized_crop,
    rgb_to_grayscale,
    rotate,
    solarize,
    ten_crop,
    to_grayscale,
    to_pil_image,
    to_tensor,
    vflip,
)

horizontal_flip, vertical_flip = hflip, vflip

__all__ = ["InterpolationMode", "adjust_brightness", "adjust_contrast", "adjust_gamma",
           "adjust_saturation", "center_crop", "convert_image_dtype", "crop", "five_crop",
           "gaussian_blur", "get_dimensions", "get_image_num_channels", "get_image_size", "hflip",
           "horizontal_flip", "invert", "normalize", "pad", "pil_to_tensor", "posterize",
           "resize", "resized_crop", "rgb_to_grayscale", "rotate", "solarize", "ten_crop",
           "to_dtype", "to_grayscale", "to_image", "to_pil_image", "to_tensor", "vertical_flip",
           "vflip"]
