"""``torchvision.models.squeezenet``: ``SqueezeNet``, ``Fire``, ``squeezenet1_0`` and
``squeezenet1_1`` (glassnet's zoo, ``glassnet.models.squeezenet``)."""

from glassnet.models.squeezenet import Fire, SqueezeNet, squeezenet1_0, squeezenet1_1

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]
