"""``torchvision.models.alexnet``: ``AlexNet``, ``alexnet`` and ``AlexNet_Weights`` (glassnet's
zoo, ``glassnet.models.imagenet_alexnet`` and ``imagenet_weights``)."""

from glassnet.models.imagenet_alexnet import ImageNetAlexNet as AlexNet
from glassnet.models.imagenet_alexnet import alexnet
from glassnet.models.imagenet_weights import AlexNet_Weights

__all__ = ["AlexNet", "AlexNet_Weights", "alexnet"]
