"""SqueezeNet (Iandola, Han, Moskewicz, Ashraf, Dally and Keutzer, 2016), as torchvision builds
it, module name for module name.

AlexNet's accuracy with 50 times fewer parameters, from the Fire module: a 1x1 "squeeze"
convolution to a few channels, then 1x1 and 3x3 "expand" convolutions side by side whose
outputs are concatenated. Most filters are 1x1 (9 times cheaper than 3x3), the 3x3 ones read
only the squeezed channels, and pooling comes late so that the maps stay large. There is no
fully connected layer: a 1x1 convolution to the classes, ReLU and a global average pool give
the scores. Version 1.1 (from the authors' repository) starts with a 3x3 convolution and pools
earlier: 2.4 times less computation for the same accuracy. Course material: 000 "1x1
convolution".

The module names are torchvision's (``features.3.squeeze``, ``features.3.expand1x1``,
``classifier.1``...), so a state_dict saved from ``torchvision.models.squeezenet1_0`` loads with
``load_state_dict(strict=True)``. Parameters with 1000 classes (torchvision's counts):
squeezenet1_0 1,248,424; squeezenet1_1 1,235,496.
"""

from __future__ import annotations

import glassnet as gn
from glassnet import nn

from . import imagenet_weights
from .pretrained import torchvision_factory
from .registry import register

__all__ = ["Fire", "SqueezeNet", "squeezenet1_0", "squeezenet1_1"]


class Fire(nn.Module):
    """``cat([relu(expand1x1(s)), relu(expand3x3(s))], dim=1)`` with ``s = relu(squeeze(x))``.

    Shape:
        - Input: ``(N, inplanes, H, W)``
        - Output: ``(N, expand1x1_planes + expand3x3_planes, H, W)``
    """

    def __init__(self, inplanes, squeeze_planes, expand1x1_planes, expand3x3_planes):
        super().__init__()
        self.inplanes = inplanes
        self.squeeze = nn.Conv2d(inplanes, squeeze_planes, kernel_size=1)
        self.squeeze_activation = nn.ReLU(inplace=True)
        self.expand1x1 = nn.Conv2d(squeeze_planes, expand1x1_planes, kernel_size=1)
        self.expand1x1_activation = nn.ReLU(inplace=True)
        self.expand3x3 = nn.Conv2d(squeeze_planes, expand3x3_planes, kernel_size=3, padding=1)
        self.expand3x3_activation = nn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return gn.cat([self.expand1x1_activation(self.expand1x1(x)),
                       self.expand3x3_activation(self.expand3x3(x))], 1)


def _pool():
    return nn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class SqueezeNet(nn.Module):
    """torchvision's ``SqueezeNet(version="1_0", num_classes=1000, dropout=0.5)``;
    ``in_channels`` is extra.

    Version ``"1_0"``: 7x7 stride-2 convolution (96 channels), then eight Fire modules with
    three 3x3 stride-2 max pools (rounding up); ``"1_1"``: 3x3 stride-2 convolution (64), the
    pools after the stem and the 2nd and 4th Fire modules. ``classifier``: ``Dropout,
    Conv2d(512, num_classes, 1), ReLU, AdaptiveAvgPool2d(1)``. The final convolution starts from
    N(0, 0.01^2), the others from ``kaiming_uniform_`` (a = 0), biases 0, as torchvision. The
    smallest image is 21x21 pixels (1_0) or 17x17 (1_1).

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, version="1_0", num_classes=1000, dropout=0.5, in_channels=3):
        super().__init__()
        self.num_classes = num_classes
        if version == "1_0":
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 96, kernel_size=7, stride=2), nn.ReLU(inplace=True),
                _pool(), Fire(96, 16, 64, 64), Fire(128, 16, 64, 64), Fire(128, 32, 128, 128),
                _pool(), Fire(256, 32, 128, 128), Fire(256, 48, 192, 192),
                Fire(384, 48, 192, 192), Fire(384, 64, 256, 256),
                _pool(), Fire(512, 64, 256, 256),
            )
        elif version == "1_1":
            self.features = nn.Sequential(
                nn.Conv2d(in_channels, 64, kernel_size=3, stride=2), nn.ReLU(inplace=True),
                _pool(), Fire(64, 16, 64, 64), Fire(128, 16, 64, 64),
                _pool(), Fire(128, 32, 128, 128), Fire(256, 32, 128, 128),
                _pool(), Fire(256, 48, 192, 192), Fire(384, 48, 192, 192),
                Fire(384, 64, 256, 256), Fire(512, 64, 256, 256),
            )
        else:
            raise ValueError(f"SqueezeNet: unsupported version {version!r}: '1_0' or '1_1' "
                             "expected")
        final_conv = nn.Conv2d(512, num_classes, kernel_size=1)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout), final_conv, nn.ReLU(inplace=True),
                                        nn.AdaptiveAvgPool2d((1, 1)))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                if m is final_conv:
                    nn.init.normal_(m.weight, mean=0.0, std=0.01)
                else:
                    nn.init.kaiming_uniform_(m.weight)
                if m.bias is not None:
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        return self.classifier(self.features(x)).flatten(1)


def _factory(version, smallest):
    name = f"squeezenet{version}"

    def build(**kwargs):
        return SqueezeNet(version, **kwargs)

    doc = (f"SqueezeNet {version.replace('_', '.')}, as torchvision's ``{name}(weights=None, "
           f"num_classes=1000, dropout=0.5)``; ``in_channels`` (default 3) is glassnet's "
           f"addition. ``weights``: a member or name of ``SqueezeNet{version}_Weights``, read "
           f"from the hub folder (``glassnet.models.pretrained``).")
    what = (f"SqueezeNet {version.replace('_', '.')} (Iandola 2016): Fire modules, no FC layer; "
            f"torchvision's names")
    return register(name.replace("_", "-"), what, sizes=(smallest, 4096))(
        torchvision_factory(name, build, doc,
                            getattr(imagenet_weights, f"SqueezeNet{version}_Weights")))


squeezenet1_0 = _factory("1_0", 21)
squeezenet1_1 = _factory("1_1", 17)
