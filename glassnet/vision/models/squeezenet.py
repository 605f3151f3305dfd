"""``torchvision.models.squeezenet``: ``SqueezeNet``, ``Fire``, ``squeezenet1_0`` and
``squeezenet1_1``, with ``SqueezeNet1_0_Weights`` and ``SqueezeNet1_1_Weights`` (glassnet's zoo,
``glassnet.models.squeezenet`` and ``imagenet_weights``)."""

from glassnet.models.imagenet_weights import SqueezeNet1_0_Weights, SqueezeNet1_1_Weights
from glassnet.models.squeezenet import Fire, SqueezeNet, squeezenet1_0, squeezenet1_1

__all__ = ["Fire", "SqueezeNet", "SqueezeNet1_0_Weights", "SqueezeNet1_1_Weights", "squeezenet1_0",
           "squeezenet1_1"]
