"""``torchvision.models.vgg``: ``VGG``, ``make_layers``, ``cfgs`` and the eight factories
(glassnet's zoo, ``glassnet.models.imagenet_vgg``)."""

from glassnet.models.imagenet_vgg import ImageNetVGG as VGG
from glassnet.models.imagenet_vgg import (
    cfgs,
    make_layers,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

__all__ = ["VGG", "cfgs", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16",
           "vgg16_bn", "vgg19", "vgg19_bn"]
