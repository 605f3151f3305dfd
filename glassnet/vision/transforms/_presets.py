"""``torchvision.transforms._presets``: ``ImageClassification``, the preprocessing that
``weights.transforms()`` builds (``glassnet.data.presets``)."""

from glassnet.data.presets import ImageClassification

__all__ = ["ImageClassification"]
