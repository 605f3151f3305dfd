"""``torchvision.transforms.v2``: the same transforms, plus v2's ``ToImage``, ``ToDtype`` and
``ToPureTensor``.

The usual v2 pipeline, ``Compose([ToImage(), ToDtype(float32, scale=True), Normalize(...)])``,
gives what ``Compose([ToTensor(), Normalize(...)])`` gives (``ToDtype`` multiplies by 1/255
where ``ToTensor`` divides by 255, as in torchvision, so the two can differ in the last bit).
A transform is called on one input (an image or a batch); v2's calls with several inputs
(``transform(image, boxes, label)``) and its bounding-box and mask types are not supported.
"""

from glassnet.data.transforms import (
    CenterCrop,
    ColorJitter,
    Compose,
    ConvertImageDtype,
    FiveCrop,
    GaussianBlur,
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
    ToDtype,
    ToImage,
    ToPILImage,
    ToPureTensor,
    ToTensor,
    Transform,
)
from glassnet.vision.transforms.v2 import functional

__all__ = ["CenterCrop", "ColorJitter", "Compose", "ConvertImageDtype", "FiveCrop",
           "GaussianBlur", "Grayscale", "InterpolationMode", "Lambda", "Normalize", "PILToTensor",
           "Pad", "RandomAffine", "RandomApply", "RandomChoice", "RandomCrop", "RandomErasing",
           "RandomGrayscale", "RandomHorizontalFlip", "RandomInvert", "RandomOrder",
           "RandomPosterize", "RandomResizedCrop", "RandomRotation", "RandomSolarize",
           "RandomVerticalFlip", "Resize", "TenCrop", "ToDtype", "ToImage", "ToPILImage",
           "ToPureTensor", "ToTensor", "Transform", "functional"]
