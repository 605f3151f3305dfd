"""VGG-style networks (Simonyan and Zisserman, 2015) for 28-32 pixel images.

VGG's idea: only 3x3 convolutions (two stacked 3x3 layers see a 5x5 window with fewer weights and
one more non-linearity), channels doubling after every 2x2 max pool. The ImageNet nets pool five
times; a 28 px image survives four, so these small variants pool four times, end with a global
average pool and one linear classifier, use half the original widths (32-256 instead of 64-512)
and batch normalisation after every convolution (``batch_norm=False`` for the 2015 form).
Course material: 002 "making it work: depth", 000 "factorized convolution".
"""

from __future__ import annotations

from glassnet import nn

from .registry import register

__all__ = ["CONFIGS", "VGG", "vgg11_small", "vgg13_small", "vgg16_small"]

# numbers are 3x3 conv widths, "M" a 2x2 max pool (the configurations A, B, D of the paper, halved)
CONFIGS = {
    "vgg11": [32, "M", 64, "M", 128, 128, "M", 256, 256, "M", 256, 256],
    "vgg13": [32, 32, "M", 64, 64, "M", 128, 128, "M", 256, 256, "M", 256, 256],
    "vgg16": [32, 32, "M", 64, 64, "M", 128, 128, 128, "M", 256, 256, 256, "M", 256, 256, 256],
}


class VGG(nn.Module):
    """A VGG stack from a configuration list: ``VGG(CONFIGS['vgg11'], num_classes=10)``.

    Parameters: ``vgg11_small`` 2,309,610 (1 input channel, 10 classes, batch norm), 2,308,234
    without batch norm; ``vgg13_small`` 2,355,882; ``vgg16_small`` 3,684,266.

    Shape:
        - Input: ``(N, in_channels, H, W)`` with ``H, W >= 16`` (four 2x2 pools)
        - Output: ``(N, num_classes)``
    """

    def __init__(self, config, num_classes=10, in_channels=1, batch_norm=True, dropout=0.0):
        super().__init__()
        layers, c = [], in_channels
        for v in config:
            if v == "M":
                layers.append(nn.MaxPool2d(2))
                continue
            layers.append(nn.Conv2d(c, v, 3, padding=1, bias=not batch_norm))
            if batch_norm:
                layers.append(nn.BatchNorm2d(v))
            layers.append(nn.ReLU())
            c = v
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        head = [nn.Flatten()] + ([nn.Dropout(dropout)] if dropout else [])
        self.classifier = nn.Sequential(*head, nn.Linear(c, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)

    def forward(self, x):
        return self.classifier(self.pool(self.features(x)))


def _make(name, doc):
    def factory(num_classes=10, in_channels=1, batch_norm=True, dropout=0.0):
        return VGG(CONFIGS[name], num_classes, in_channels, batch_norm, dropout)

    factory.__name__ = factory.__qualname__ = f"{name}_small"
    factory.__doc__ = doc
    return factory


vgg11_small = register("vgg11", "VGG-11 style (Simonyan 2015), half width, BN, 28-32 px",
                       sizes=(16, 256))(_make("vgg11", "VGG-11 (configuration A), half width."))
vgg13_small = register("vgg13", "VGG-13 style (Simonyan 2015), half width, BN, 28-32 px",
                       sizes=(16, 256))(_make("vgg13", "VGG-13 (configuration B), half width."))
vgg16_small = register("vgg16", "VGG-16 style (Simonyan 2015), half width, BN, 28-32 px",
                       sizes=(16, 256))(_make("vgg16", "VGG-16 (configuration D), half width."))
