"""``torchvision.models.resnet``: ``ResNet``, its blocks and its factories (glassnet's zoo)."""

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

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "conv1x1", "conv3x3", "resnet18", "resnet34",
           "resnet50", "resnet101", "resnet152"]
