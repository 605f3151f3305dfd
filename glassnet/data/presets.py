"""The evaluation preprocessing that comes with pretrained classifier weights: torchvision's
``ImageClassification`` preset, what ``ResNet50_Weights.IMAGENET1K_V2.transforms()`` gives.

A network trained on ImageNet saw its images prepared one way, and gives its published accuracy
only on images prepared the same way: the shorter side resized to ``resize_size`` (bilinear,
antialiased), the central ``crop_size x crop_size`` window cut out, the pixels scaled to
[0, 1] and standardised with the training set's channel means and standard deviations. The
steps are the functions of ``glassnet.vision.transforms.functional`` (``resize``,
``center_crop``, ``pil_to_tensor``, ``convert_image_dtype``, ``normalize``), in torchvision's
order: resizing and cropping happen on the image's own dtype (a uint8 image is rounded back to
uint8 after the resize, as torchvision does), the scaling after.
"""

from __future__ import annotations

import numpy as np

from glassnet.data.augment import Transform
from glassnet.data.convert import convert_image_dtype, pil_to_tensor
from glassnet.data.dataset import _is_tensor
from glassnet.data.geometry import InterpolationMode, center_crop, resize
from glassnet.data.kinds import as_tensor
from glassnet.data.transforms import normalize

__all__ = ["ImageClassification"]

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class ImageClassification(Transform):
    """``normalize(convert_image_dtype(center_crop(resize(img, resize_size), crop_size)))``:
    torchvision's ``ImageClassification(*, crop_size, resize_size=256, mean, std,
    interpolation=BILINEAR, antialias=True)``.

    Takes a PIL image, a Tensor or a NumPy array, one image ``(C, H, W)`` or a batch
    ``(N, C, H, W)``, and always gives a float32 Tensor. ``crop_size``, ``resize_size``,
    ``mean`` and ``std`` are kept as lists, as torchvision keeps them.

    Shape:
        - Input: ``(C, H, W)`` or ``(N, C, H, W)`` (a PIL image: ``H x W``)
        - Output: ``(C, crop_size, crop_size)`` or ``(N, C, crop_size, crop_size)``
    """

    def __init__(self, *, crop_size, resize_size=256, mean=IMAGENET_MEAN, std=IMAGENET_STD,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.crop_size = [crop_size]
        self.resize_size = [resize_size]
        self.mean = list(mean)
        self.std = list(std)
        self.interpolation = interpolation
        self.antialias = antialias

    def __call__(self, img):
        img = resize(img, self.resize_size, interpolation=self.interpolation,
                     antialias=self.antialias)
        img = center_crop(img, self.crop_size)
        if isinstance(img, np.ndarray):
            img = as_tensor(img)
        elif not _is_tensor(img):
            img = pil_to_tensor(img)
        img = convert_image_dtype(img, np.float32)
        return normalize(img, mean=self.mean, std=self.std)

    def __repr__(self):
        return (f"{type(self).__name__}(\n    crop_size={self.crop_size}\n    resize_size="
                f"{self.resize_size}\n    mean={self.mean}\n    std={self.std}\n    "
                f"interpolation={self.interpolation}\n)")

