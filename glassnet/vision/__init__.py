"""torchvision's shape over glassnet: ``import glassnet.vision as torchvision``.

================  ===========================================================================
``datasets``      ``MNIST``, ``FashionMNIST``, ``KMNIST``, ``CIFAR10``, ``CIFAR100`` read from
                  the standard files under ``root``, ``ImageFolder``, ``DatasetFolder``,
                  ``FakeData``: torchvision's signatures, attributes and PIL samples
``transforms``    ``Compose``, ``ToTensor``, ``Normalize``, ``Resize``, ``RandomResizedCrop``,
                  ``GaussianBlur``... on PIL images and Tensors (those of
                  ``glassnet.data.transforms``), with ``functional`` and ``v2``
``models``        ``resnet18`` ... ``resnet152``, ``vgg11`` ... ``vgg19_bn``, ``alexnet``,
                  ``mobilenet_v2``, ``squeezenet1_0`` / ``1_1``, with torchvision's module names;
                  their weights enums (``ResNet50_Weights``...), ``get_model``, ``list_models``
``ops``           ``nms``, ``batched_nms``, ``box_iou``, ``generalized_box_iou``, ``box_convert``,
                  ``box_area``, ``clip_boxes_to_image``, ``remove_small_boxes``...
``utils``         ``make_grid`` and ``save_image``
================  ===========================================================================

The objects are glassnet's own; this package gives them torchvision's paths and defaults. The
differences that a torchvision program can meet are listed in ``docs/vision.md``.
"""

from glassnet.vision import datasets, models, ops, transforms, utils

__all__ = ["datasets", "models", "ops", "transforms", "utils"]
