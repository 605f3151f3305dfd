"""Shift equivariance, shift invariance, and how anti-aliasing helps (Zhang 2019).

Lecture 000/003: a convolution is shift-equivariant, global pooling makes it invariant, but
striding (max pooling with stride 2) ignores Nyquist and aliases: a one-pixel shift of the digit
can change the network's answer. Blurring before subsampling (MaxBlurPool) makes it steadier.
Two small CNNs, identical but for the pooling, train briefly on 4,000 MNIST digits; then we shift
the test digits and count how often the prediction survives.

    python examples/analysis_shift_invariance.py [epochs]
"""

import sys

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.analysis import shift_consistency, shift_deviation
from glassnet.data import datasets

epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 1
train, test = datasets.get("mnist5k", train=True), datasets.get("mnist5k", train=False)
x_tr, y_tr = train.get_batch(np.arange(len(train)))
x_te, y_te = test.get_batch(np.arange(len(test)))


def cnn(pool):
    return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), pool(8),
                         nn.Conv2d(8, 16, 5, padding=2), nn.ReLU(), pool(16),
                         nn.Flatten(), nn.Linear(16 * 7 * 7, 10))


nets = {"MaxPool2d(2)": lambda c: nn.MaxPool2d(2), "MaxBlurPool2d": lambda c: nn.MaxBlurPool2d(c)}
for name, pool in nets.items():
    gn.manual_seed(0)
    model = cnn(pool)
    opt = optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(epochs):
        for idx in np.array_split(rng.permutation(len(x_tr)), len(x_tr) // 64):
            opt.zero_grad()
            loss = nn.functional.cross_entropy(model(gn.tensor(x_tr[idx])), gn.tensor(y_tr[idx]))
            loss.backward()
            opt.step()
    model.eval()
    with gn.no_grad():
        acc = (model(gn.tensor(x_te)).numpy().argmax(1) == y_te).mean()
    cons = shift_consistency(model, x_te, max_shift=3, circular=False, pairs=2, generator=0)
    dev = shift_deviation(model, x_te[:200], [(0, s) for s in range(5)], mode="invariance",
                          circular=False)
    print(f"{name:14s} test accuracy {acc:.3f}   shift consistency {cons:.3f}   "
          f"logit change for shifts 0..4 px: {np.round(dev, 3)}")

# the exact statements, on a torus (circular padding): equivariance of a convolution ...
conv = nn.Conv2d(1, 4, 3, padding=1, padding_mode="circular")
x = gn.tensor(x_te[:8])
print("circular conv, ||f(Sx) - S f(x)|| / ||S f(x)|| for shifts 1, 2, 5:",
      shift_deviation(conv, x, [1, 2, 5]))
# ... and equivariance of stride-2 pooling only for shifts by multiples of 2
print("max pool, shifts 2 and 4 (output shifted by 1 and 2):",
      shift_deviation(nn.MaxPool2d(2), x, [2, 4], stride=2))
