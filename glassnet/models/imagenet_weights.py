"""The ImageNet weights torchvision publishes for the zoo's torchvision-shaped nets, one
``WeightsEnum`` per factory under torchvision's names: ``ResNet18_Weights`` ...
``ResNet152_Weights``, ``VGG11_Weights`` ... ``VGG19_BN_Weights``, ``AlexNet_Weights``,
``MobileNet_V2_Weights``, ``SqueezeNet1_0_Weights`` and ``SqueezeNet1_1_Weights``.

Members: ``IMAGENET1K_V1`` (the weights of the original papers' recipes), ``IMAGENET1K_V2``
where torchvision retrained the net with its newer recipe (ResNet-50, -101, -152, MobileNetV2),
``IMAGENET1K_FEATURES`` for VGG-16 (a feature extractor whose classifier is not trained), and
``DEFAULT``, an alias of the best. Each records torchvision's facts: the file's ``url``; the
preprocessing (``transforms()``: ``ImageClassification`` with a 224-pixel crop of the image
resized to 256, or 232 for the V2 weights); and ``meta``: ``categories`` (the 1000 ImageNet
class names, ``glassnet.models.imagenet_categories``), ``num_params``, ``min_size`` (the
smallest ``(H, W)`` the net reads), ``recipe`` (where the training recipe is described),
``_metrics`` (top-1 and top-5 accuracy on ImageNet-1K's validation set, in %), ``_ops`` (GFLOPS
per 224-pixel image) and ``_file_size`` (MB of the ``.pth`` file).

No file ships with glassnet; ``glassnet.models.pretrained`` says where each is read from.
"""

from __future__ import annotations

from functools import partial

from glassnet.data.presets import ImageClassification

from .imagenet_categories import IMAGENET_CATEGORIES
from .pretrained import Weights, WeightsEnum

__all__ = ["AlexNet_Weights", "MobileNet_V2_Weights", "ResNet18_Weights", "ResNet34_Weights",
           "ResNet50_Weights", "ResNet101_Weights", "ResNet152_Weights", "SqueezeNet1_0_Weights",
           "SqueezeNet1_1_Weights", "VGG11_BN_Weights", "VGG11_Weights", "VGG13_BN_Weights",
           "VGG13_Weights", "VGG16_BN_Weights", "VGG16_Weights", "VGG19_BN_Weights",
           "VGG19_Weights"]

_URL = "https://download.pytorch.org/models/{}.pth"
_RECIPES = "https://github.com/pytorch/vision/tree/main/references/classification"
_NEW_RECIPE = "https://github.com/pytorch/vision/issues/3995"


def _imagenet(file, num_params, min_size, recipe, acc, ops, file_size, resize_size=None,
              categories=IMAGENET_CATEGORIES, **preset):
    """The ``Weights`` of torchvision's ``<file>.pth``: ``acc`` = (top-1, top-5) in %, ``ops``
    in GFLOPS, ``file_size`` in MB; ``resize_size`` and ``preset`` (mean, std) override the
    ImageClassification defaults, as torchvision's weights do."""
    if resize_size is not None:
        preset["resize_size"] = resize_size
    return Weights(
        url=_URL.format(file),
        transforms=partial(ImageClassification, crop_size=224, **preset),
        meta={"categories": categories, "num_params": num_params, "min_size": min_size,
              "recipe": recipe, "_metrics": {"ImageNet-1K": {"acc@1": acc[0], "acc@5": acc[1]}},
              "_ops": ops, "_file_size": file_size},
    )


# ----------------------------------------------------------------------------- ResNet
_RESNET = f"{_RECIPES}#resnet"


class ResNet18_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("resnet18-f37072fd", 11689512, (1, 1), _RESNET, (69.758, 89.078),
                              1.814, 44.661)
    DEFAULT = IMAGENET1K_V1


class ResNet34_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("resnet34-b627a593", 21797672, (1, 1), _RESNET, (73.314, 91.420),
                              3.664, 83.275)
    DEFAULT = IMAGENET1K_V1


class ResNet50_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("resnet50-0676ba61", 25557032, (1, 1), _RESNET, (76.130, 92.862),
                              4.089, 97.781)
    IMAGENET1K_V2 = _imagenet("resnet50-11ad3fa6", 25557032, (1, 1),
                              f"{_NEW_RECIPE}#issuecomment-1013906621", (80.858, 95.434),
                              4.089, 97.79, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet101_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("resnet101-63fe2227", 44549160, (1, 1), _RESNET, (77.374, 93.546),
                              7.801, 170.511)
    IMAGENET1K_V2 = _imagenet("resnet101-cd907fc2", 44549160, (1, 1), f"{_NEW_RECIPE}#new-recipe",
                              (81.886, 95.780), 7.801, 170.53, resize_size=232)
    DEFAULT = IMAGENET1K_V2


class ResNet152_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("resnet152-394f9c45", 60192808, (1, 1), _RESNET, (78.312, 94.046),
                              11.514, 230.434)
    IMAGENET1K_V2 = _imagenet("resnet152-f82ba261", 60192808, (1, 1), f"{_NEW_RECIPE}#new-recipe",
                              (82.284, 96.002), 11.514, 230.474, resize_size=232)
    DEFAULT = IMAGENET1K_V2


# ----------------------------------------------------------------------------- VGG
_VGG = f"{_RECIPES}#alexnet-and-vgg"


class VGG11_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg11-8a719046", 132863336, (32, 32), _VGG, (69.020, 88.628),
                              7.609, 506.84)
    DEFAULT = IMAGENET1K_V1


class VGG11_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg11_bn-6002323d", 132868840, (32, 32), _VGG, (70.370, 89.810),
                              7.609, 506.881)
    DEFAULT = IMAGENET1K_V1


class VGG13_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg13-19584684", 133047848, (32, 32), _VGG, (69.928, 89.246),
                              11.308, 507.545)
    DEFAULT = IMAGENET1K_V1


class VGG13_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg13_bn-abd245e5", 133053736, (32, 32), _VGG, (71.586, 90.374),
                              11.308, 507.59)
    DEFAULT = IMAGENET1K_V1


class VGG16_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg16-397923af", 138357544, (32, 32), _VGG, (71.592, 90.382),
                              15.47, 527.796)
    # The convolutional part only (ported from the SSD detector's backbone): the classifier's
    # values are missing, so there are no categories and no accuracy; inputs keep the 0-255
    # range of the original Caffe VGG (std 1/255), minus per-channel means.
    IMAGENET1K_FEATURES = _imagenet(
        "vgg16_features-amdegroot-88682ab5", 138357544, (32, 32),
        "https://github.com/amdegroot/ssd.pytorch#training-ssd", (float("nan"), float("nan")),
        15.47, 527.802, categories=None, mean=(0.48235, 0.45882, 0.40784),
        std=(1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0))
    DEFAULT = IMAGENET1K_V1


class VGG16_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg16_bn-6c64b313", 138365992, (32, 32), _VGG, (73.360, 91.516),
                              15.47, 527.866)
    DEFAULT = IMAGENET1K_V1


class VGG19_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg19-dcbb9e9d", 143667240, (32, 32), _VGG, (72.376, 90.876),
                              19.632, 548.051)
    DEFAULT = IMAGENET1K_V1


class VGG19_BN_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("vgg19_bn-c79401a0", 143678248, (32, 32), _VGG, (74.218, 91.842),
                              19.632, 548.143)
    DEFAULT = IMAGENET1K_V1


# ----------------------------------------------------------------------------- the small ones
class AlexNet_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("alexnet-owt-7be5be79", 61100840, (63, 63), _VGG, (56.522, 79.066),
                              0.714, 233.087)
    DEFAULT = IMAGENET1K_V1


class MobileNet_V2_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("mobilenet_v2-b0353104", 3504872, (1, 1), f"{_RECIPES}#mobilenetv2",
                              (71.878, 90.286), 0.301, 13.555)
    IMAGENET1K_V2 = _imagenet("mobilenet_v2-7ebf99e0", 3504872, (1, 1),
                              f"{_NEW_RECIPE}#new-recipe-with-reg-tuning", (72.154, 90.822),
                              0.301, 13.598, resize_size=232)
    DEFAULT = IMAGENET1K_V2


_SQUEEZENET = "https://github.com/pytorch/vision/pull/49#issuecomment-277560717"


class SqueezeNet1_0_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("squeezenet1_0-b66bff10", 1248424, (21, 21), _SQUEEZENET,
                              (58.092, 80.420), 0.819, 4.778)
    DEFAULT = IMAGENET1K_V1


class SqueezeNet1_1_Weights(WeightsEnum):
    IMAGENET1K_V1 = _imagenet("squeezenet1_1-b8a52dc0", 1235496, (17, 17), _SQUEEZENET,
                              (58.178, 80.624), 0.349, 4.729)
    DEFAULT = IMAGENET1K_V1
