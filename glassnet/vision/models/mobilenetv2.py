"""``torchvision.models.mobilenetv2``: ``MobileNetV2``, ``InvertedResidual`` and
``mobilenet_v2``, ``MobileNet_V2_Weights`` (glassnet's zoo, ``glassnet.models.mobilenet`` and
``imagenet_weights``)."""

from glassnet.models.imagenet_weights import MobileNet_V2_Weights
from glassnet.models.mobilenet import InvertedResidual, MobileNetV2, mobilenet_v2

__all__ = ["InvertedResidual", "MobileNetV2", "MobileNet_V2_Weights", "mobilenet_v2"]
