"""Deformation stability: CNN features change less than pixels when a digit is warped.

Lecture 000/003 "Approximate deformation invariance": a warp D_tau moves every pixel along a
smooth field tau, like a digit written a little differently, and a good digit detector should
change only in proportion to how much the field bends, ||f(x) - f(D_tau x)|| ~ ||grad tau||.
Raw pixels are fragile (move a thin stroke one pixel and it no longer overlaps itself);
convolution and pooling average over neighbourhoods, so their features are steadier.

    python examples/analysis_deformation.py
"""

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.analysis import deformation_table, shift_deviation
from glassnet.data import datasets

x = datasets.get("mnist5k", train=False).get_batch(np.arange(64))[0]
gn.manual_seed(0)
conv1 = nn.Sequential(nn.Conv2d(1, 16, 5, padding=2), nn.ReLU())
cnn = nn.Sequential(conv1, nn.MaxPool2d(2), nn.Conv2d(16, 32, 5, padding=2), nn.ReLU(),
                    nn.MaxPool2d(2))
pooled = nn.Sequential(cnn, nn.AdaptiveAvgPool2d(1))

table = deformation_table({"pixels": None, "conv1": conv1, "conv-pool x2": cnn,
                           "+global pool": pooled},
                          x, alphas=[0, 2, 5, 10, 20, 34], sigma=4, generator=0, draws=2)
print(table)
print("(alpha 34, sigma 4: Simard et al.'s elastic distortions of MNIST; shift_px is how far the\n"
      " pixels move on average, grad_tau how much the field bends; the columns are relative\n"
      " changes ||f(D x) - f(x)|| / ||f(x)||)")

print("\na translation moves pixels without bending anything (grad tau = 0):")
for name, f in (("pixels", nn.Identity()), ("conv-pool x2", cnn), ("+global pool", pooled)):
    dev = shift_deviation(f, x, [(0, 1), (0, 2)], mode="invariance", circular=False)
    print(f"  {name:13s} change for a 1 px / 2 px shift: {dev[0]:.3f} / {dev[1]:.3f}")
