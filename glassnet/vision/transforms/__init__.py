"""``torchvision.transforms``: glassnet's transforms under torchvision's path and names.

Every class is ``glassnet.data.transforms``' own. A transform takes a PIL image or a Tensor (and
NumPy arrays), one image ``(C, H, W)`` or a batch ``(N, C, H, W)``, and gives back the same kind;
``ToTensor`` and the other conversions follow torchvision's rules exactly. ``functional`` holds
the stateless operations and ``v2`` the second-generation API (``ToImage``, ``ToDtype``...).
Where glassnet differs from torchvision is listed in ``docs/vision.md``.
"""

from glassnet.data.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    ElasticDeformation,
    FiveCrop,
    GaussianBlur,
    GaussianNoise,
    Grayscale,
    InterpolationMode,
    Lambda,
    Normalize,
    Pad,
    PILToTensor,
    RandomAffine,
    RandomApply,
    RandomChoice,
    RandomCrop,
    RandomErasing,
    RandomGrayscale,
    RandomHorizontalFlip,
    RandomInvert,
    RandomOrder,
    RandomPosterize,
    RandomResizedCrop,
    RandomRotation,
    RandomSolarize,
    RandomVerticalFlip,
    Resize,
    TenCrop,
    ToPILImage,
    ToTensor,
    Transform,
)
from glassnet.vision.transforms import functional, v2

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "ElasticDeformation",
           "FiveCrop", "GaussianBlur", "GaussianNoise", "Grayscale", "InterpolationMode", "Lambda",
           "Normalize", "PILToTensor", "Pad", "RandomAffine", "RandomApply", "RandomChoice",
           "RandomCrop", "RandomErasing", "RandomGrayscale", "RandomHorizontalFlip",
           "RandomInvert", "RandomOrder", "RandomPosterize", "RandomResizedCrop",
           "RandomRotation", "RandomSolarize", "RandomVerticalFlip", "Resize", "TenCrop",
           "ToPILImage", "ToTensor", "Transform", "functional", "v2"]
