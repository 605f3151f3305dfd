"""Filters: the hand-designed kernels of the lectures, and what a CNN learns instead.

Lecture 000 "Examples of 2D image filters" (edge detection, sharpen, Gaussian blur) and "What CNNs
learn?": before deep learning such kernels were designed by hand; a CNN learns its own by
backpropagation. After one epoch on 4,000 MNIST digits we look at LeNet-5's first-layer filters
and, by gradient ascent on the input, at the pattern that excites a C3 unit most.

    python examples/analysis_filters.py [output_dir]   (pictures need matplotlib)
"""

import sys

import numpy as np

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import nn, optim, viz
from glassnet.analysis import (activation_maximization, blur_kernel, edge_kernels,
                               first_layer_filters, gabor_kernel, kernels_to_weight,
                               receptive_field, sharpen_kernel)
from glassnet.data import datasets

out_dir = sys.argv[1] if len(sys.argv) > 1 else "runs/analysis-filters"
shades = " .:-=+*#%@"


def ascii_image(a):
    a = (a - a.min()) / max(a.max() - a.min(), 1e-12)
    return ["".join(shades[min(9, int(10 * v))] * 2 for v in row) for row in a]


train = datasets.get("mnist5k", train=True)
x, y = train.get_batch(np.arange(len(train)))

# 1. the hand-designed filters on one digit
kernels = {**edge_kernels(), "sharpen": sharpen_kernel(), "blur": blur_kernel(),
           "gabor_0": gabor_kernel(7, 2.0, 0.0, 5.0),
           "gabor_90": gabor_kernel(7, 2.0, np.pi / 2, 5.0)}
digit = gn.tensor(x[:1])
responses = {}
for name, k in kernels.items():
    responses[name] = F.conv2d(digit, kernels_to_weight(k), padding=k.shape[0] // 2).numpy()[0, 0]
    print(f"{name:10s} kernel sum {k.sum():+.2f}   "
          f"mean |response| {np.abs(responses[name]).mean():.3f}")

# 2. a CNN learns its own
gn.manual_seed(0)
model = nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                      nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                      nn.Linear(16 * 5 * 5, 84), nn.ReLU(), nn.Linear(84, 10))
opt = optim.Adam(model.parameters(), lr=2e-3)
for idx in np.array_split(np.random.default_rng(0).permutation(len(x)), len(x) // 64):
    opt.zero_grad()
    nn.functional.cross_entropy(model(gn.tensor(x[idx])), gn.tensor(y[idx])).backward()
    opt.step()

filters = first_layer_filters(model)  # (6, 1, 5, 5), each scaled to [0, 1]
print("\nfirst-layer filters after one epoch (compare them with the hand-designed kernels):")
for r in range(5):
    print("   ".join(ascii_image(f[0])[r] for f in filters))

img, hist = activation_maximization(model, model[3], channel=0, steps=100, lr=0.1,
                                    input_shape=(1, 28, 28), generator=0)
rf = receptive_field(model[:4], (1, 28, 28))[-1]  # C3: 14 x 14 pixels, jump 2
lo = int(rf["start"] + 5 * rf["jump"] - (rf["receptive_field"] - 1) / 2)  # centre unit (5, 5)
print(f"\nC3 unit (5, 5) of channel 0: activation {hist[0]:.2f} -> {hist[-1]:.2f} by gradient "
      f"ascent; its preferred input, cropped to its {rf['receptive_field']} x "
      f"{rf['receptive_field']} field:")
crop = img[0, lo:lo + rf["receptive_field"], lo:lo + rf["receptive_field"]]
print("\n".join("  " + r for r in ascii_image(crop)))

if viz.matplotlib_available():
    print("\npictures:", viz.plot_filters(model[0].weight, f"{out_dir}/first_layer_filters.png"),
          viz.plot_images(np.stack(list(responses.values())), f"{out_dir}/responses.png",
                          titles=list(responses)))
