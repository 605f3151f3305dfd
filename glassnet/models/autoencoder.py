"""Autoencoders: networks trained to reproduce their input through a narrow code.

An encoder maps ``x`` to a code ``z`` with fewer numbers than ``x``; a decoder maps ``z`` back;
training minimises the reconstruction error ``||x - decoder(encoder(x))||^2``, so ``z`` must keep
what matters about ``x`` (Hinton and Salakhutdinov, Science 2006, used deep ones to pre-train
networks). A *denoising* autoencoder (Vincent et al., ICML 2008) corrupts the input with noise in
training and still asks for the clean image back. The convolutional decoder upsamples with
transposed convolutions, the adjoint of strided convolution. Course material: 002
"autoencoders", 004 "2006 autoencoder pre-training", 001 "transposed convolution".
"""

from __future__ import annotations

import itertools
import math

import glassnet as gn
from glassnet import nn

from .mlp import activation_layer
from .registry import register

__all__ = ["Autoencoder", "ConvAutoencoder"]


class Autoencoder(nn.Module):
    """Fully connected autoencoder: ``Autoencoder(sizes=(784, 256, 32))``.

    The encoder is ``sizes[0] -> ... -> sizes[-1]`` (the code, linear), the decoder the mirror
    image, ending in a sigmoid so that outputs lie in [0, 1] like pixel intensities. The output
    has the input's shape.

    Parameters: 419,120 for ``sizes=(784, 256, 32)``.

    Shape:
        - Input: ``(N, *)`` with ``prod(*) == sizes[0]``
        - Output: same as input; ``encode`` gives ``(N, sizes[-1])``
    """

    def __init__(self, sizes=(784, 256, 32), activation="relu", out_activation="sigmoid"):
        super().__init__()
        sizes = [int(s) for s in sizes]
        if len(sizes) < 2:
            raise ValueError(f"Autoencoder: sizes needs an input and a code width, got {sizes}")
        enc, dec = [nn.Flatten()], []
        for i, (a, b) in enumerate(itertools.pairwise(sizes)):
            enc += [nn.Linear(a, b)] + ([activation_layer(activation)] if i < len(sizes) - 2
                                         else [])
        rev = sizes[::-1]
        for i, (a, b) in enumerate(itertools.pairwise(rev)):
            last = i == len(rev) - 2
            dec += [nn.Linear(a, b), activation_layer(out_activation if last else activation)]
        self.encoder, self.decoder = nn.Sequential(*enc), nn.Sequential(*dec)
        self.sizes = sizes

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        return self.decoder(self.encoder(x)).reshape(x.shape)


class ConvAutoencoder(nn.Module):
    """Convolutional autoencoder; ``denoising=True`` adds Gaussian noise to inputs in training.

    Encoder: ``conv 16@3x3 stride 2 -> ReLU -> conv 32@3x3 stride 2 -> ReLU`` (28x28 -> 7x7).
    Decoder: ``convT 16@3x3 stride 2 -> ReLU -> convT in_channels@3x3 stride 2 -> sigmoid``
    (7x7 -> 28x28; ``output_padding=1`` restores the even sizes that stride 2 rounded away).
    With ``denoising``, training-mode forward passes see ``x + noise_std * randn_like(x)`` and
    are still scored against ``x``; evaluation mode sees ``x`` unchanged.

    Parameters: 9,569 for one channel; 10,147 for three.

    Shape:
        - Input: ``(N, C, H, W)`` with ``H`` and ``W`` divisible by 4
        - Output: same as input; ``encode`` gives ``(N, 32, H / 4, W / 4)``
    """

    def __init__(self, in_channels=1, denoising=False, noise_std=0.3):
        super().__init__()
        self.denoising, self.noise_std = bool(denoising), float(noise_std)
        self.encoder = nn.Sequential(
            nn.Conv2d(in_channels, 16, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(16, 32, 3, stride=2, padding=1), nn.ReLU(),
        )
        self.decoder = nn.Sequential(
            nn.ConvTranspose2d(32, 16, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(16, in_channels, 3, stride=2, padding=1, output_padding=1),
            nn.Sigmoid(),
        )

    def encode(self, x):
        return self.encoder(x)

    def decode(self, z):
        return self.decoder(z)

    def forward(self, x):
        if x.ndim != 4 or x.shape[2] % 4 or x.shape[3] % 4:
            raise ValueError(f"ConvAutoencoder: expected input (N, C, H, W) with H and W "
                             f"divisible by 4, got {tuple(x.shape)}")
        if self.denoising and self.training:
            x = x + self.noise_std * gn.randn_like(x)
        return self.decoder(self.encoder(x))

    def extra_repr(self):
        return f"denoising={self.denoising}, noise_std={self.noise_std:g}"


@register("autoencoder", "MLP autoencoder (Hinton 2006 style): input -> 256 -> 32 -> input",
          kind="autoencoder")
def autoencoder(input_shape=(1, 28, 28), hidden=(256, 32), activation="relu"):
    return Autoencoder((math.prod(input_shape), *hidden), activation)


@register("conv-autoencoder", "convolutional autoencoder: strided conv encoder, conv-T decoder",
          kind="autoencoder")
def conv_autoencoder(input_shape=(1, 28, 28), denoising=False, noise_std=0.3):
    return ConvAutoencoder(input_shape[0], denoising, noise_std)


@register("denoising-autoencoder", "denoising conv autoencoder (Vincent 2008): noise in training",
          kind="autoencoder")
def denoising_autoencoder(input_shape=(1, 28, 28), noise_std=0.3):
    return ConvAutoencoder(input_shape[0], True, noise_std)
