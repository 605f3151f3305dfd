"""``torchvision.models``: ImageNet-style classifiers under torchvision's names and paths.

================================  ===========================================================
``resnet18`` ... ``resnet152``    ``ResNet`` (``glassnet.models.ImageNetResNet``)
``vgg11`` ... ``vgg19_bn``        ``VGG`` (``glassnet.models.ImageNetVGG``), with ``_bn``
``alexnet``                       ``AlexNet`` (``glassnet.models.ImageNetAlexNet``)
``mobilenet_v2``                  ``MobileNetV2`` (``glassnet.models.MobileNetV2``)
``squeezenet1_0``, ``1_1``        ``SqueezeNet`` (``glassnet.models.SqueezeNet``)
================================  ===========================================================

Each factory takes torchvision's arguments (``num_classes``, ``dropout``, ``width_mult``...)
and builds the same modules under the same names, so a torchvision state_dict saved as
safetensors loads with ``load_state_dict(strict=True)``. No pretrained weights ship with
glassnet and nothing is downloaded: ``weights`` must be None (``pretrained=False``); load
trained weights with ``model.load_state_dict(glassnet.io.load("vgg16.safetensors"))``.
"""

from glassnet.vision.models import mobilenetv2, resnet, squeezenet, vgg
from glassnet.vision.models.alexnet import AlexNet, alexnet
from glassnet.vision.models.mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from glassnet.vision.models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from glassnet.vision.models.squeezenet import Fire, SqueezeNet, squeezenet1_0, squeezenet1_1
from glassnet.vision.models.vgg import (
    VGG,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

__all__ = ["VGG", "AlexNet", "BasicBlock", "Bottleneck", "Fire", "InvertedResidual",
           "MobileNetV2", "ResNet", "SqueezeNet", "alexnet", "mobilenet_v2", "mobilenetv2",
           "resnet", "resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "squeezenet",
           "squeezenet1_0", "squeezenet1_1", "vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]
