"""HarmonicNet: the MNIST-rot network of Harmonic Networks (Worrall et al., CVPR 2017).

Course material 000/003, "Rotation invariant CNNs". Three blocks of two harmonic convolutions
(5x5 filters on 4 rings, rotation orders 0 and 1 throughout), a magnitude ReLU after the first
and magnitude batch norm + ReLU after the second convolution of each block, 2x2 complex average
pooling between blocks, and a last harmonic convolution to ``num_classes`` channels whose
magnitudes (summed over the orders) are averaged over the image: the reference implementation's
``deep_mnist`` (github.com/danielewworrall/harmonicConvolutions, MNIST-rot/mnist_model.py), with
8, 16 and 32 channels per block. Every feature before the readout turns with the input only by
a phase, so the logits do not change when the image rotates by any angle, up to the sampling of
the filters and the pooling on the pixel grid. Published: 1.69 % test error on MNIST-rot (12k
training images, 200 epochs).
"""

from __future__ import annotations

from glassnet import nn

from ..functions import zeros
from ..nn.parameter import Parameter
from .registry import register

__all__ = ["HarmonicNet"]


class HarmonicNet(nn.Module):
    """``[hconv-hReLU-hconv-hBN] x 3`` (``n_filters``, x ``filter_gain``, x ``filter_gain^2``
    channels, 2x2 complex average pooling between the blocks) ``-> hconv(num_classes) -> sum_m
    |z| -> global mean + bias``.

    Args:
        num_classes, in_channels: as for every classifier of the zoo.
        n_filters, filter_gain: channels of the first block and the growth per block (8, 2).
        kernel_size, n_rings, max_order: filter size (5), radial samples (4) and the rotation
            orders kept, 0..max_order (1), as the reference MNIST-rot settings.

    Parameters: 34,026 for 10 classes: 4 radial values per weight order (-1, 0, 1; only 0
    and 1 in the first layer) and one phase per weight order and channel pair (no phase in the
    last layer), a magnitude bias and a batch-norm scale and shift per channel and order, and
    the class biases. The reference implementation creates 34,066 variables for the same
    network (40 of them unused weights of order -1 in its first layer).

    Shape:
        - Input: ``(N, in_channels, H, W)`` real images, H, W >= 4 (square, even H for exact
          quarter-turn symmetry)
        - Output: ``(N, num_classes)``
    """

    def __init__(self, num_classes=10, in_channels=1, n_filters=8, filter_gain=2, kernel_size=5,
                 n_rings=4, max_order=1):
        super().__init__()
        orders = tuple(range(int(max_order) + 1))
        m = len(orders)
        widths = [int(n_filters * filter_gain ** b) for b in range(3)]
        layers, c_in, first = [], in_channels, True
        for b, c in enumerate(widths):
            if b:
                layers.append(nn.HarmonicAvgPool2d(2))
            layers += [
                nn.HarmonicConv2d(c_in, c, kernel_size, (0,) if first else orders, orders,
                                  padding="same", n_rings=n_rings),
                nn.HarmonicReLU(c, m),
                nn.HarmonicConv2d(c, c, kernel_size, orders, orders, padding="same",
                                  n_rings=n_rings),
                nn.HarmonicBatchNorm(c, m),
            ]
            c_in, first = c, False
        self.features = nn.Sequential(*layers)
        self.readout = nn.HarmonicConv2d(c_in, num_classes, kernel_size, orders, orders,
                                         padding="same", n_rings=n_rings, phase=False)
        self.magnitude = nn.HarmonicMagnitude(sum_orders=True)
        self.bias = Parameter(zeros(num_classes) + 0.01)  # the reference's 1e-2

    def forward(self, x):
        z = self.magnitude(self.readout(self.features(x)))   # (N, classes, H', W')
        return z.mean(dim=(2, 3)) + self.bias


@register("harmonic-net", "Harmonic Network (Worrall 2017): logits invariant to any rotation",
          sizes=(4, 512))
def harmonic_net(num_classes=10, in_channels=1, n_filters=8, filter_gain=2, kernel_size=5,
                 n_rings=4, max_order=1):
    return HarmonicNet(num_classes, in_channels, n_filters, filter_gain, kernel_size, n_rings,
                       max_order)
