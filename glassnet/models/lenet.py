"""LeNet-5 (LeCun, Bottou, Bengio and Haffner, 1998), the network of the MNIST lectures.

The 1998 network reads a 32x32 image (MNIST's 28x28 digits centred on a 32x32 field) through
C1 conv 6@5x5 -> S2 subsample 2x2 -> C3 conv 16@5x5 -> S4 subsample 2x2 -> C5 conv 120@5x5
(a 1x1 output, so effectively fully connected) -> F6 84 units -> 10 outputs. Here a 28x28 input is
padded by 2 in C1, which gives the same 32x32 field. Course material: 001 "LeNet and MNIST",
002 "LeNet-5", 000 "Neocognitron, LeNet".

Three forms: ``modern`` (ReLU, max pooling, softmax outputs), ``classic`` (tanh and average
pooling, otherwise modern) and ``1998``, the network as the paper describes it (section II.B):
the scaled tanh ``1.7159 tanh(2a/3)``, trainable subsampling (each S-map sums 2x2 inputs,
multiplies by a trainable coefficient and adds a trainable bias), C3 maps that read only some
S2 maps (Table I), weights drawn from U(-2.4/F_in, 2.4/F_in), and Euclidean RBF outputs whose
fixed +-1 centres are 7x12 bitmaps of the digits.
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.tensor import Tensor

from .registry import register

__all__ = ["LeNet5", "PartialConv2d", "RBFOutput", "ScaledTanh", "Subsampling",
           "c3_connection_table", "digit_bitmaps"]


def c3_connection_table():
    """LeCun et al. 1998, Table I: ``table[i, j]`` is True where C3 map j reads S2 map i.

    C3 maps 0-5 read three neighbouring S2 maps ({0, 1, 2}, {1, 2, 3}, ..., {5, 0, 1}), maps
    6-11 four neighbouring ones, maps 12-14 the non-neighbouring quadruples {0, 1, 3, 4},
    {1, 2, 4, 5}, {0, 2, 3, 5}, and map 15 all six: 60 connections instead of 96, which
    "breaks the symmetry" between the maps and keeps their number of parameters down.
    """
    table = np.zeros((6, 16), bool)
    for j in range(6):
        table[[(j + i) % 6 for i in range(3)], j] = True
        table[[(j + i) % 6 for i in range(4)], 6 + j] = True
    for j, maps in enumerate(((0, 1, 3, 4), (1, 2, 4, 5), (0, 2, 3, 5))):
        table[list(maps), 12 + j] = True
    table[:, 15] = True
    return table


_BITMAPS = (  # 7 wide x 12 high, '#' = +1, '.' = -1 (LeCun et al. 1998, fig. 3)
    ("..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#.....#", "#.....#", "#.....#",
     "#.....#", "#.....#", ".#...#.", "..###.."),
    ("...#...", "..##...", ".#.#...", "...#...", "...#...", "...#...", "...#...", "...#...",
     "...#...", "...#...", "...#...", ".#####."),
    (".#####.", "#.....#", "......#", "......#", ".....#.", "....#..", "...#...", "..#....",
     ".#.....", "#......", "#......", "#######"),
    (".#####.", "#.....#", "......#", "......#", "......#", "..####.", "......#", "......#",
     "......#", "......#", "#.....#", ".#####."),
    (".....#.", "....##.", "...#.#.", "..#..#.", ".#...#.", "#....#.", "#######", ".....#.",
     ".....#.", ".....#.", ".....#.", ".....#."),
    ("#######", "#......", "#......", "#......", "######.", "......#", "......#", "......#",
     "......#", "......#", "#.....#", ".#####."),
    ("..####.", ".#.....", "#......", "#......", "#.####.", "##....#", "#.....#", "#.....#",
     "#.....#", "#.....#", ".#...#.", "..###.."),
    ("#######", "......#", "......#", ".....#.", ".....#.", "....#..", "....#..", "...#...",
     "...#...", "..#....", "..#....", "..#...."),
    ("..###..", ".#...#.", "#.....#", "#.....#", ".#...#.", "..###..", ".#...#.", "#.....#",
     "#.....#", "#.....#", ".#...#.", "..###.."),
    ("..###..", ".#...#.", "#.....#", "#.....#", "#.....#", "#....##", ".####.#", "......#",
     "......#", "......#", ".....#.", ".####.."),
)


def digit_bitmaps():
    """The ten digits drawn on 7x12 bitmaps as +-1, float32 (10, 12, 7): the fixed centres of
    LeNet-5's RBF output units (flattened to 84 numbers, one per F6 unit)."""
    return np.array([[[1.0 if ch == "#" else -1.0 for ch in row] for row in digit]
                     for digit in _BITMAPS], np.float32)


class ScaledTanh(nn.Module):
    """LeCun's squashing function ``f(a) = 1.7159 tanh(2a / 3)``: f(+-1) = +-1, the gain is
    about 1 near 0, and the second derivative is largest at +-1 (LeCun et al. 1998, appendix A).
    """

    def forward(self, x):
        return 1.7159 * (x * (2.0 / 3.0)).tanh()


class Subsampling(nn.Module):
    """LeNet-5's S-layers: each map adds up 2x2 non-overlapping inputs, multiplies the sum by a
    trainable coefficient and adds a trainable bias (two parameters per map); the squashing
    function comes after.

    Shape: (N, C, H, W) -> (N, C, H / 2, W / 2).
    """

    def __init__(self, channels):
        super().__init__()
        self.channels = int(channels)
        self.weight = nn.Parameter(gn.ones(self.channels))
        self.bias = nn.Parameter(gn.zeros(self.channels))

    def forward(self, x):
        s = nn.functional.avg_pool2d(x, 2) * 4.0
        return s * self.weight.reshape(1, -1, 1, 1) + self.bias.reshape(1, -1, 1, 1)

    def extra_repr(self):
        return f"{self.channels}"


class PartialConv2d(nn.Module):
    """A convolution in which output map j reads only the input maps where ``table[:, j]``.

    Only the used kernels are parameters (``weight`` has shape (connections, k, k)); the dense
    (out, in, k, k) kernel passed to ``conv2d`` is gathered from them with zeros elsewhere, so
    gradients reach exactly the used ones.

    Shape: (N, in, H, W) -> (N, out, H - k + 1, W - k + 1).
    """

    def __init__(self, table, kernel_size):
        super().__init__()
        table = np.asarray(table, bool)
        self.in_channels, self.out_channels = table.shape
        self.kernel_size = int(kernel_size)
        n = int(table.sum())
        index = np.full((self.out_channels, self.in_channels), n, np.int64)  # n: the zero kernel
        index[table.T] = np.arange(n)
        self.register_buffer("index", Tensor(index))
        self.weight = nn.Parameter(gn.zeros(n, self.kernel_size, self.kernel_size))
        self.bias = nn.Parameter(gn.zeros(self.out_channels))

    def dense_weight(self):
        """The (out, in, k, k) kernel, zero where a map is not connected."""
        k = self.kernel_size
        return gn.cat([self.weight, gn.zeros(1, k, k, dtype=self.weight.dtype)])[self.index]

    def forward(self, x):
        return nn.functional.conv2d(x, self.dense_weight(), self.bias)

    def extra_repr(self):
        return (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
                f"connections={self.weight.shape[0]}")


class RBFOutput(nn.Module):
    """Euclidean radial basis function outputs with fixed centres: ``y_i = sum_j (x_j -
    w_ij)^2``; returns ``-y`` so that the largest output is the closest centre.

    ``centres``: (classes, features) array of +-1 (not trained). Cross-entropy on ``-y`` is the
    paper's maximum a posteriori criterion (eq. 9) without its constant ``e^-j`` term:
    ``y_D + log sum_i exp(-y_i)``, which pulls the correct output down and pushes the others up.

    Shape: (N, features) -> (N, classes).
    """

    def __init__(self, centres):
        super().__init__()
        self.register_buffer("centres", Tensor(np.asarray(centres, np.float32)))

    def forward(self, x):
        d = x.unsqueeze(1) - self.centres.unsqueeze(0)
        return -(d * d).sum(dim=2)

    def extra_repr(self):
        return f"{self.centres.shape[1]}, {self.centres.shape[0]}"


class LeNet5(nn.Module):
    """LeNet-5, ``LeNet5(variant='classic' | 'modern', num_classes=10, in_channels=1)``.

    ``classic``: tanh units and average-pooling subsampling (every C3 map sees all six S2 maps
    and the outputs are logits for a softmax cross-entropy, the form everyone trains today).
    ``modern``: ReLU and max pooling. ``1998``: as published (module docstring): scaled tanh,
    ``Subsampling`` layers, C3 a ``PartialConv2d`` on Table I, U(-2.4/F_in, 2.4/F_in) initial
    weights and ``RBFOutput`` centres ``prototypes='bitmap'`` (the digits' 7x12 bitmaps; at most
    10 classes) or ``'random'`` (+-1 codes drawn with a fixed seed). Its outputs are minus the
    squared distances to the centres: train it with cross-entropy on them (the paper's
    criterion) and classify by the argmax. The paper also normalised the input so that the
    background is -0.1 and the ink 1.175 (``x * 1.275 - 0.1`` for [0, 1] images).

    ``input_size`` (28 to 32) sets C1's padding to ``(32 - input_size) / 2`` so that C5 sees
    5x5 maps; 28 (MNIST, Fashion-MNIST) and 32 (CIFAR-10) work, as does any even size between.

    Parameters: 61,706 for one input channel and 10 classes (C1 156, C3 2,416, C5 48,120,
    F6 10,164, output 850); 62,006 for three channels. ``1998``: the paper's 60,000 (C1 156,
    S2 12, C3 1,516, S4 32, C5 48,120, F6 10,164; the RBF centres are fixed).

    Shape:
        - Input: ``(N, in_channels, input_size, input_size)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, variant="classic", num_classes=10, in_channels=1, input_size=28,
                 prototypes="bitmap"):
        super().__init__()
        if variant not in ("classic", "modern", "1998"):
            raise ValueError(f"LeNet5: variant must be 'classic', 'modern' or '1998', got "
                             f"{variant!r}")
        if not 28 <= input_size <= 32 or (32 - input_size) % 2:
            raise ValueError(f"LeNet5: input_size must be 28, 30 or 32 (C1 pads it to 32), "
                             f"got {input_size}")
        self.variant = variant
        if variant == "1998":
            self._build_1998(num_classes, in_channels, input_size, prototypes)
            return
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

    def _build_1998(self, num_classes, in_channels, input_size, prototypes):
        if prototypes == "bitmap":
            if num_classes > 10:
                raise ValueError(f"LeNet5: prototypes='bitmap' has the 10 digits, but "
                                 f"num_classes={num_classes}; use prototypes='random'")
            centres = digit_bitmaps()[:num_classes].reshape(num_classes, 84)
        elif prototypes == "random":
            centres = np.where(np.random.default_rng(1998).random((num_classes, 84)) < 0.5,
                               -1.0, 1.0)
        else:
            raise ValueError(f"LeNet5: prototypes must be 'bitmap' or 'random', got "
                             f"{prototypes!r}")
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5, padding=(32 - input_size) // 2), ScaledTanh(),  # C1
            Subsampling(6), ScaledTanh(),                                                # S2
            PartialConv2d(c3_connection_table(), 5), ScaledTanh(),                       # C3
            Subsampling(16), ScaledTanh(),                                               # S4
            nn.Conv2d(16, 120, 5), ScaledTanh(),                                         # C5
        )
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(120, 84), ScaledTanh(),                              # F6
            RBFOutput(centres),                                                          # output
        )
        # U(-2.4 / F_in, 2.4 / F_in), F_in the number of inputs of the unit (section II.B fn.)
        fan_in = {}
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                fan_in[m] = m.weight[0].numel()
            elif isinstance(m, nn.Linear):
                fan_in[m] = m.weight.shape[1]
            elif isinstance(m, PartialConv2d):  # maps read 3, 4 or 6 S2 maps: use the mean
                fan_in[m] = m.weight.shape[0] * m.kernel_size ** 2 // m.out_channels
            elif isinstance(m, Subsampling):
                fan_in[m] = 4
        with gn.no_grad():
            for m, f in fan_in.items():
                for p in (m.weight, m.bias):
                    nn.init.uniform_(p, -2.4 / f, 2.4 / f)

    def forward(self, x):
        return self.classifier(self.features(x))


@register("lenet5", "LeNet-5 (LeCun 1998), modern form: ReLU + max pooling, 28-32 px",
          sizes=(28, 32), takes_size=True, variant="modern")
@register("lenet5-classic", "LeNet-5 (LeCun 1998), classic form: tanh + average pooling",
          sizes=(28, 32), takes_size=True, variant="classic")
@register("lenet5-1998", "LeNet-5 as published in 1998: scaled tanh, trainable subsampling, "
          "C3 table, RBF outputs", sizes=(28, 32), takes_size=True, variant="1998")
def lenet5(variant="modern", num_classes=10, in_channels=1, input_size=28, prototypes="bitmap"):
    return LeNet5(variant, num_classes, in_channels, input_size, prototypes)
