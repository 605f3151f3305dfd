"""Rotation equivariance by construction: p4 group convolutions (Cohen and Welling 2016).

Lecture 000/003 "Beyond shifts": f(g x) = g'(f x). An ordinary CNN is shift-equivariant only;
rotate a digit and its features change unpredictably. A p4 convolution applies every filter in
its four quarter-turned copies, so a quarter turn of the input just rotates the feature maps and
rolls the new rotation axis; pooling over that axis and over space gives features that do not
change at all. Harmonic Networks (Worrall et al. 2017) extend this to every angle; between
quarter turns the p4 net is only approximately invariant, as the sweep below shows.

    python examples/analysis_rotation_equivariance.py
"""

import numpy as np

import glassnet as gn
from glassnet import nn
from glassnet.analysis import equivariance_error, rot90, rotate_p4, rotation_deviation
from glassnet.data import datasets

test = datasets.get("mnist5k", train=False)
x = gn.tensor(test.get_batch(np.arange(16))[0][:, :, 1:, 1:])  # 27 x 27: an odd size has a centre

gn.manual_seed(0)
lift = nn.P4ConvZ2(1, 8, 5, padding=2)
p4_net = nn.Sequential(lift, nn.ReLU(), nn.P4ConvP4(8, 8, 5, padding=2), nn.ReLU(),
                       nn.GroupMaxPool(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
cnn = nn.Sequential(nn.Conv2d(1, 32, 5, padding=2), nn.ReLU(), nn.Conv2d(32, 32, 5, padding=2),
                    nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten())
print(f"parameters: p4 net {sum(p.numel() for p in p4_net.parameters())}, "
      f"CNN {sum(p.numel() for p in cnn.parameters())} (both produce 4 x 8 = 32 maps per layer)")

print("\nequivariance error ||f(R x) - R' f(x)|| / ||R' f(x)|| for a quarter turn R:")
conv = nn.Conv2d(1, 8, 5, padding=2)
for name, f, out in (("P4ConvZ2, R' = rotate maps + roll rotation axis", lift, rotate_p4),
                     ("P4ConvZ2, R' = rotate maps only", lift, rot90),
                     ("Conv2d,   R' = rotate maps", conv, rot90)):
    print(f"  {name:48s} {equivariance_error(f, x, rot90, out):.2e}")

angles = list(range(0, 361, 30))
print("\ninvariance of pooled features, ||f(R x) - f(x)|| / ||f(x)||, by angle:")
print("  angle  " + " ".join(f"{a:5d}" for a in angles))
for name, model in (("p4 net", p4_net), ("CNN", cnn)):
    dev = rotation_deviation(model, x, angles)
    print(f"  {name:6s} " + " ".join(f"{d:5.3f}" for d in dev))
