"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), the network of the MNIST lectures.

The 1998 network reads a 32x32 image (MNIST's 28x28 digits centred on a 32x32 field) through
C1 conv 6@5x5 -> S2 subsample 2x2 -> C3 conv 16@5x5 -> S4 subsample 2x2 -> C5 conv 120@5x5
(a 1x1 output, so effectively fully connected) -> F6 84 units -> 10 outputs. Here a 28x28 input is
padded by 2 in C1, which gives the same 32x32 field. Course material: 001 "LeNet and MNIST",
002 "LeNet-5", 000 "Neocognitron, LeNet".
"""

from __future__ import annotations

from glassnet import nn

from .registry import register

__all__ = ["LeNet5"]


class LeNet5(nn.Module):
    """LeNet-5, ``LeNet5(variant='classic' | 'modern', num_classes=10, in_channels=1)``.

    ``classic``: tanh units and average-pooling subsampling, as in 1998 (which also used a scaled
    tanh ``1.7159 tanh(2a/3)``, trainable subsampling coefficients, a sparse S2-C3 connection
    table and RBF outputs; here every C3 map sees all six S2 maps and the outputs are logits for a
    softmax cross-entropy, the form everyone trains today). ``modern``: ReLU and max pooling.

    ``input_size`` (28 to 32) sets C1's padding to ``(32 - input_size) / 2`` so that C5 sees
    5x5 maps; 28 (MNIST, Fashion-MNIST) and 32 (CIFAR-10) work, as does any even size between.

    Parameters: 61,706 for one input channel and 10 classes (C1 156, C3 2,416, C5 48,120,
    F6 10,164, output 850); 62,006 for three channels.

    Shape:
        - Input: ``(N, in_channels, input_size, input_size)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, variant="classic", num_classes=10, in_channels=1, input_size=28):
        super().__init__()
        if variant not in ("classic", "modern"):
            raise ValueError(f"LeNet5: variant must be 'classic' or 'modern', got {variant!r}")
        if not 28 <= input_size <= 32 or (32 - input_size) % 2:
            raise ValueError(f"LeNet5: input_size must be 28, 30 or 32 (C1 pads it to 32), "
                             f"got {input_size}")
        self.variant = variant
        act = nn.Tanh if variant == "classic" else nn.ReLU
        pool = nn.AvgPool2d if variant == "classic" else nn.MaxPool2d
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=(32 - input_size) // 2), act(),  # C1: 6@28x28
            pool(2),                                                              # S2: 6@14x14
            nn.Conv2d(6, 16, 5), act(),                                           # C3: 16@10x10
            pool(2),                                                              # S4: 16@5x5
            nn.Conv2d(16, 120, 5), act(),                                         # C5: 120@1x1
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(120, 84), act(),                              # F6
            nn.Linear(84, num_classes),                                           # output
        )

    def forward(self, x):
        return self.classifier(self.features(x))


@register("lenet5", "LeNet-5 (LeCun 1998), modern form: ReLU + max pooling, 28-32 px",
          sizes=(28, 32), takes_size=True, variant="modern")
@register("lenet5-classic", "LeNet-5 (LeCun 1998) as published: tanh + average pooling",
          sizes=(28, 32), takes_size=True, variant="classic")
def lenet5(variant="modern", num_classes=10, in_channels=1, input_size=28):
    return LeNet5(variant, num_classes, in_channels, input_size)
