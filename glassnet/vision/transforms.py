"""``torchvision.transforms``: the transforms of ``glassnet.data.transforms`` under this path.

They work on NumPy arrays and glassnet Tensors, one image ``(C, H, W)`` or a batch
``(N, C, H, W)``; ``ToTensor`` also reads an ``(H, W)`` / ``(H, W, C)`` uint8 array or PIL image.
"""

from glassnet.data.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    ElasticDeformation,
    GaussianNoise,
    Lambda,
    Normalize,
    RandomAffine,
    RandomCrop,
    RandomErasing,
    RandomHorizontalFlip,
    RandomRotation,
    RandomVerticalFlip,
    ToTensor,
    Transform,
)

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ElasticDeformation", "GaussianNoise",
           "Lambda", "Normalize", "RandomAffine", "RandomCrop", "RandomErasing",
           "RandomHorizontalFlip", "RandomRotation", "RandomVerticalFlip", "ToTensor",
           "Transform"]
