"""``torchvision.models.alexnet``: ``AlexNet`` and ``alexnet`` (glassnet's zoo,
``glassnet.models.imagenet_alexnet``)."""

from glassnet.models.imagenet_alexnet import ImageNetAlexNet as AlexNet
from glassnet.models.imagenet_alexnet import alexnet

__all__ = ["AlexNet", "alexnet"]
