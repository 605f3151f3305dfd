"""``torchvision.models``: the ImageNet-style ResNets, under torchvision's names and paths.

``resnet18(weights=None, num_classes=1000)`` ... ``resnet152`` build ``ResNet`` (glassnet's
``glassnet.models.ImageNetResNet``); no pretrained weights ship with glassnet, so ``weights``
must be None: load a saved state_dict instead.
"""

from glassnet.vision.models import resnet
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

__all__ = ["BasicBlock", "Bottleneck", "ResNet", "resnet", "resnet18", "resnet34", "resnet50",
           "resnet101", "resnet152"]
