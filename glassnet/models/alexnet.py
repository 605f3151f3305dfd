"""AlexNet (Krizhevsky, Sutskever and Hinton, 2012) scaled down for 28-32 pixel images.

The network that won ImageNet 2012 has five convolutional layers and three fully connected ones,
ReLU everywhere (training several times faster than tanh), max pooling over overlapping 3x3
windows with stride 2, and dropout 0.5 in the first two fully connected layers. This variant keeps
that pattern and the relative widths (96-256-384-384-256 halved) and shrinks the first layer
(5x5 stride 1 instead of 11x11 stride 4, which suits 227 px photographs, not 32 px ones).
Course material: 002 "AlexNet", "ImageNet"; 004 "2012 ImageNet".
"""

from __future__ import annotations

from glassnet import nn

from .registry import register

__all__ = ["AlexNet"]


def _pooled(size):
    return (size - 3) // 2 + 1  # 3x3 max pool, stride 2


class AlexNet(nn.Module):
    """Small-input AlexNet: 5 conv + 3 FC layers, ReLU, overlapping max pooling, dropout.

    ``conv 48@5x5 -> pool -> conv 128@5x5 -> pool -> conv 192@3x3 -> conv 192@3x3 -> conv
    128@3x3 -> pool -> FC 512 -> FC 512 -> FC num_classes``, every pool 3x3 with stride 2
    (overlapping, as in the paper). The spatial size after the three pools is 3x3 for 32 px
    inputs and 2x2 for 28 px ones. ``width`` scales every layer's channel count.

    Parameters: 1,790,154 for 3x32x32 inputs and 10 classes; 1,460,074 for 1x28x28.

    Shape:
        - Input: ``(N, in_channels, input_size, input_size)``, ``input_size >= 23``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, num_classes=10, in_channels=1, input_size=28, width=1.0, dropout=0.5):
        super().__init__()
        c1, c2, c3, c4, c5 = (max(1, round(c * width)) for c in (48, 128, 192, 192, 128))
        fc = max(1, round(512 * width))
        side = _pooled(_pooled(_pooled(input_size)))
        if side < 1:
            raise ValueError(f"AlexNet: input_size must be at least 23, got {input_size}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, c1, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(c1, c2, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
            nn.Conv2d(c2, c3, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c3, c4, 3, padding=1), nn.ReLU(),
            nn.Conv2d(c4, c5, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout), nn.Linear(c5 * side * side, fc), nn.ReLU(),
            nn.Dropout(dropout), nn.Linear(fc, fc), nn.ReLU(),
            nn.Linear(fc, num_classes),
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@register("alexnet", "AlexNet (Krizhevsky 2012) for 28-32 px: 5 conv + 3 FC, ReLU, dropout",
          sizes=(23, 64), takes_size=True)
def alexnet(num_classes=10, in_channels=1, input_size=28, width=1.0, dropout=0.5):
    return AlexNet(num_classes, in_channels, input_size, width, dropout)
