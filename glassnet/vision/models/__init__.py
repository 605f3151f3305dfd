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
safetensors loads with ``load_state_dict(strict=True)``. ``weights`` takes torchvision's enums
(``ResNet18_Weights.DEFAULT``, ``VGG16_Weights.IMAGENET1K_V1``...), with their ``url``,
``transforms()`` and ``meta``; glassnet downloads nothing and reads the weights from the hub
folder as safetensors (``glassnet.hub``: the error for a missing file names the path and how
to make it). ``get_model``, ``get_model_builder``, ``get_model_weights``, ``get_weight`` and
``list_models`` are torchvision's registry functions.
"""

from glassnet.vision.models import mobilenetv2, resnet, squeezenet, vgg
from glassnet.vision.models._api import (
    Weights,
    WeightsEnum,
    get_model,
    get_model_builder,
    get_model_weights,
    get_weight,
    list_models,
)
from glassnet.vision.models.alexnet import AlexNet, AlexNet_Weights, alexnet
from glassnet.vision.models.mobilenetv2 import (
    InvertedResidual,
    MobileNet_V2_Weights,
    MobileNetV2,
    mobilenet_v2,
)
from glassnet.vision.models.resnet import (
    BasicBlock,
    Bottleneck,
    ResNet,
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from glassnet.vision.models.squeezenet import (
    Fire,
    SqueezeNet,
    SqueezeNet1_0_Weights,
    SqueezeNet1_1_Weights,
    squeezenet1_0,
    squeezenet1_1,
)
from glassnet.vision.models.vgg import (
    VGG,
    VGG11_BN_Weights,
    VGG11_Weights,
    VGG13_BN_Weights,
    VGG13_Weights,
    VGG16_BN_Weights,
    VGG16_Weights,
    VGG19_BN_Weights,
    VGG19_Weights,
    vgg11,
    vgg11_bn,
    vgg13,
    vgg13_bn,
    vgg16,
    vgg16_bn,
    vgg19,
    vgg19_bn,
)

__all__ = ["VGG", "AlexNet", "AlexNet_Weights", "BasicBlock", "Bottleneck", "Fire",
           "InvertedResidual", "MobileNetV2", "MobileNet_V2_Weights", "ResNet",
           "ResNet18_Weights", "ResNet34_Weights", "ResNet50_Weights", "ResNet101_Weights",
           "ResNet152_Weights", "SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights",
           "VGG11_BN_Weights", "VGG11_Weights", "VGG13_BN_Weights", "VGG13_Weights",
           "VGG16_BN_Weights", "VGG16_Weights", "VGG19_BN_Weights", "VGG19_Weights", "Weights",
           "WeightsEnum", "alexnet", "get_model", "get_model_builder", "get_model_weights",
           "get_weight", "list_models", "mobilenet_v2", "mobilenetv2", "resnet", "resnet18",
           "resnet34", "resnet50", "resnet101", "resnet152", "squeezenet", "squeezenet1_0",
           "squeezenet1_1", "vgg", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn",
           "vgg19", "vgg19_bn"]
