"""``torchvision.ops.misc``: ``Conv2dNormActivation`` (glassnet's zoo,
``glassnet.models.mobilenet``, where MobileNetV2 is built from it)."""

from glassnet.models.mobilenet import Conv2dNormActivation

__all__ = ["Conv2dNormActivation"]
