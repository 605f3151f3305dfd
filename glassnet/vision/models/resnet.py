"""``torchvision.models.resnet``: ``ResNet``, its blocks, its factories and their weights enums
(glassnet's zoo)."""

from glassnet.models.imagenet_resnet import (
    BasicBlock,
    Bottleneck,
    conv1x1,
    conv3x3,
    resnet18,
    resnet34,
    resnet50,
    resnet101,
    resnet152,
)
from glassnet.models.imagenet_resnet import ImageNetResNet as ResNet
from glassnet.models.imagenet_weights import (
    ResNet18_Weights,
    ResNet34_Weights,
    ResNet50_Weights,
    ResNet101_Weights,
    ResNet152_Weights,
)

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights", "conv1x1", "conv3x3",
           "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]
