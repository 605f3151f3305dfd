"""The data the lab's experiments train on: seeded subsets of Fashion-MNIST as arrays.

The experiments need small, repeatable training sets (a claim about overfitting needs a small
training set; a quick run needs a small one anyway). ``fashion_mnist(n_train, n_test, rng)``
draws them from the files ``glassnet.data.datasets.FashionMNIST`` reads, and keeps the whole
set in memory after the first call, so several experiments in one process read the files once.
"""

from __future__ import annotations

import functools

import numpy as np

from glassnet.data.datasets import FashionMNIST

__all__ = ["fashion_mnist"]


@functools.lru_cache(maxsize=2)
def _arrays(train):
    ds = FashionMNIST(train=train)
    return ds.data, ds.targets


def _subset(train, n, rng):
    if n == 0:  # nothing asked for: do not read the files
        return np.zeros((0, 1, 28, 28), np.float32), np.zeros(0, np.int64)
    data, targets = _arrays(train)
    if n is None or n >= len(data):
        idx = np.arange(len(data))
    else:
        idx = np.sort(rng.choice(len(data), size=int(n), replace=False))
    x = data[idx].astype(np.float32)[:, None] / np.float32(255.0)
    return x, targets[idx].astype(np.int64)


def fashion_mnist(n_train, n_test, rng):
    """``(x_train, y_train, x_test, y_test)``: ``n_train`` random training images and ``n_test``
    random test images of Fashion-MNIST (None: all of them), drawn with the NumPy generator
    ``rng``.

    Shape:
        - x: ``(N, 1, 28, 28)`` float32 in [0, 1]
        - y: ``(N,)`` int64 class labels 0..9
    """
    x_train, y_train = _subset(True, n_train, rng)
    x_test, y_test = _subset(False, n_test, rng)
    return x_train, y_train, x_test, y_test
