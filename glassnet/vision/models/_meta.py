"""``torchvision.models._meta``: ``_IMAGENET_CATEGORIES``, the 1000 ImageNet class names
(``glassnet.models.imagenet_categories``)."""

from glassnet.models.imagenet_categories import IMAGENET_CATEGORIES as _IMAGENET_CATEGORIES

__all__ = ["_IMAGENET_CATEGORIES"]
