"""AlexNet for ImageNet-sized images (Krizhevsky, Sutskever and Hinton, 2012), as torchvision
builds it, module name for module name.

Five convolutions (11x11 with stride 4, 5x5, then three 3x3) with ReLU, overlapping 3x3 max pools
of stride 2 after the first, second and fifth, an adaptive average pool to 6x6 and three fully
connected layers (4096, 4096, classes) with dropout before the first two. torchvision's version
is the "one weird trick" variant (Krizhevsky 2014): 64-192-384-256-256 channels on one device,
without the local response normalisation of the 2012 paper. Course material: 002 "AlexNet",
"ImageNet"; 004 "2012 ImageNet".

The module names are torchvision's (``features.0``, ``features.3``, ``features.6``,
``features.8``, ``features.10``; ``classifier.1``, ``classifier.4``, ``classifier.6``), so a
state_dict saved from ``torchvision.models.alexnet`` loads with ``load_state_dict(strict=True)``.
Parameters with 1000 classes: 61,100,840 (torchvision's count). The small AlexNet for 28-32 px
images is ``glassnet.models.AlexNet``.
"""

from __future__ import annotations

from glassnet import nn

from .imagenet_weights import AlexNet_Weights
from .pretrained import torchvision_factory
from .registry import register

__all__ = ["ImageNetAlexNet", "alexnet"]


class ImageNetAlexNet(nn.Module):
    """torchvision's ``AlexNet(num_classes=1000, dropout=0.5)``; ``in_channels`` is extra.

    The layers keep their default initialisation (PyTorch's ``kaiming_uniform_`` with
    a = sqrt(5)), as torchvision's do. The smallest image that survives the three pools is
    63x63 pixels.

    Shape:
        - Input: ``(N, in_channels, H, W)``, ``H, W >= 63``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, num_classes=1000, dropout=0.5, in_channels=3):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 64, kernel_size=11, stride=4, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(64, 192, kernel_size=5, padding=2), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
            nn.Conv2d(192, 384, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(384, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.Conv2d(256, 256, kernel_size=3, padding=1), nn.ReLU(inplace=True),
            nn.MaxPool2d(kernel_size=3, stride=2),
        )
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(p=dropout), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(inplace=True),
            nn.Dropout(p=dropout), nn.Linear(4096, 4096), nn.ReLU(inplace=True),
            nn.Linear(4096, num_classes),
        )

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


alexnet = register(
    "alexnet-imagenet",
    "AlexNet (Krizhevsky 2012), ImageNet style: 11x11/4 stem, 6x6 avgpool, 4096-4096; "
    "torchvision's names",
    sizes=(63, 4096),
)(torchvision_factory(
    "alexnet", ImageNetAlexNet,
    "AlexNet for ImageNet-sized images, as torchvision's ``alexnet(weights=None, "
    "num_classes=1000, dropout=0.5)``; ``in_channels`` (default 3) is glassnet's addition. "
    "``weights``: a member or name of ``AlexNet_Weights``, read from the hub folder "
    "(``glassnet.models.pretrained``).", AlexNet_Weights))
