"""A small GoogLeNet (Szegedy et al., 2015): Inception blocks for 28-32 pixel images.

An Inception block looks at its input at several scales at once: four parallel branches,
1x1 conv | 1x1 reduce -> 3x3 conv | 1x1 reduce -> 5x5 conv | 3x3 max pool -> 1x1 projection,
whose outputs are concatenated along the channel axis. The 1x1 "reductions" shrink the channels
before the expensive 3x3 and 5x5 convolutions, which is what makes the block cheap (a 1x1
convolution is a per-pixel linear map across channels). Course material: 000 "1x1 convolution",
002 "making it work: depth".
"""

from __future__ import annotations

import glassnet as gn
from glassnet import nn

from .registry import register

__all__ = ["GoogLeNet", "Inception"]


def _conv(c_in, c_out, k, batch_norm):
    layers = [nn.Conv2d(c_in, c_out, k, padding=k // 2, bias=not batch_norm)]
    if batch_norm:
        layers.append(nn.BatchNorm2d(c_out))
    return layers + [nn.ReLU()]


class Inception(nn.Module):
    """One Inception block: ``cat([1x1, 1x1->3x3, 1x1->5x5, pool->1x1], dim=1)``.

    ``Inception(in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj)`` gives
    ``c1 + c3 + c5 + pool_proj`` output channels at the input's spatial size.

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, c1 + c3 + c5 + pool_proj, H, W)``
    """

    def __init__(self, in_channels, c1, c3_reduce, c3, c5_reduce, c5, pool_proj, batch_norm=True):
        super().__init__()
        self.branch1 = nn.Sequential(*_conv(in_channels, c1, 1, batch_norm))
        self.branch3 = nn.Sequential(*_conv(in_channels, c3_reduce, 1, batch_norm),
                                     *_conv(c3_reduce, c3, 3, batch_norm))
        self.branch5 = nn.Sequential(*_conv(in_channels, c5_reduce, 1, batch_norm),
                                     *_conv(c5_reduce, c5, 5, batch_norm))
        self.branch_pool = nn.Sequential(nn.MaxPool2d(3, stride=1, padding=1),
                                         *_conv(in_channels, pool_proj, 1, batch_norm))
        self.out_channels = c1 + c3 + c5 + pool_proj

    def forward(self, x):
        return gn.cat([self.branch1(x), self.branch3(x), self.branch5(x), self.branch_pool(x)],
                      dim=1)


class GoogLeNet(nn.Module):
    """Small GoogLeNet: a 3x3 stem, Inception blocks 3a, 3b, pool, 4a, 4b, pool, 5a, global pool.

    The block widths are those of the paper's 3a-4b divided by four (3a: 16, 24->32, 4->8, 8),
    which keeps the network small enough for a CPU. Batch normalisation after each convolution
    follows Inception-v2 (Ioffe and Szegedy, 2015); ``batch_norm=False`` gives the 2015 form.

    Parameters: 143,870 for one input channel and 10 classes.

    Shape:
        - Input: ``(N, in_channels, H, W)``, ``H, W >= 4``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, num_classes=10, in_channels=1, batch_norm=True, dropout=0.2):
        super().__init__()
        self.stem = nn.Sequential(*_conv(in_channels, 48, 3, batch_norm))
        self.inception3a = Inception(48, 16, 24, 32, 4, 8, 8, batch_norm)        # -> 64
        self.inception3b = Inception(64, 32, 32, 48, 8, 24, 16, batch_norm)      # -> 120
        self.pool3 = nn.MaxPool2d(3, stride=2, padding=1)
        self.inception4a = Inception(120, 48, 24, 52, 4, 12, 16, batch_norm)     # -> 128
        self.inception4b = Inception(128, 40, 28, 56, 6, 16, 16, batch_norm)     # -> 128
        self.pool4 = nn.MaxPool2d(3, stride=2, padding=1)
        self.inception5a = Inception(128, 64, 40, 80, 8, 32, 32, batch_norm)     # -> 208
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Sequential(nn.Flatten(), nn.Dropout(dropout),
                                        nn.Linear(self.inception5a.out_channels, num_classes))

    def forward(self, x):
        x = self.inception3b(self.inception3a(self.stem(x)))
        x = self.inception4b(self.inception4a(self.pool3(x)))
        x = self.inception5a(self.pool4(x))
        return self.classifier(self.avgpool(x))


@register("googlenet", "small GoogLeNet (Szegedy 2015): Inception blocks with 1x1 reductions",
          sizes=(4, 256))
def googlenet(num_classes=10, in_channels=1, batch_norm=True, dropout=0.2):
    return GoogLeNet(num_classes, in_channels, batch_norm, dropout)
