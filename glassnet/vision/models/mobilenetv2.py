"""``torchvision.models.mobilenetv2``: ``MobileNetV2``, ``InvertedResidual`` and
``mobilenet_v2`` (glassnet's zoo, ``glassnet.models.mobilenet``)."""

from glassnet.models.mobilenet import InvertedResidual, MobileNetV2, mobilenet_v2

__all__ = ["InvertedResidual", "MobileNetV2", "mobilenet_v2"]
