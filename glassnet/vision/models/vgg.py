"""``torchvision.models.vgg``: ``VGG``, ``make_layers``, ``cfgs``, the eight factories and their
weights enums (glassnet's zoo, ``glassnet.models.imagenet_vgg`` and ``imagenet_weights``)."""

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
from glassnet.models.imagenet_weights import (
    VGG11_BN_Weights,
    VGG11_Weights,
    VGG13_BN_Weights,
    VGG13_Weights,
    VGG16_BN_Weights,
    VGG16_Weights,
    VGG19_BN_Weights,
    VGG19_Weights,
)

__all__ = ["VGG", "VGG11_BN_Weights", "VGG11_Weights", "VGG13_BN_Weights", "VGG13_Weights",
           "VGG16_BN_Weights", "VGG16_Weights", "VGG19_BN_Weights", "VGG19_Weights", "cfgs",
           "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn"]
