"""Tiny models and data sets for the training tests (a few milliseconds per epoch)."""

from __future__ import annotations

import numpy as np

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.data import DataLoader, TensorDataset


class MLP(nn.Module):
    """in -> hidden (ReLU, dropout) -> classes, built from functional ops."""

    def __init__(self, d_in=2, hidden=16, classes=3, p=0.0):
        super().__init__()
        self.w1 = nn.Parameter(gn.randn(hidden, d_in) * (1.0 / np.sqrt(d_in)))
        self.b1 = nn.Parameter(gn.zeros(hidden))
        self.w2 = nn.Parameter(gn.randn(classes, hidden) * (1.0 / np.sqrt(hidden)))
        self.b2 = nn.Parameter(gn.zeros(classes))
        self.p = p

    def forward(self, x):
        h = F.relu(F.linear(x, self.w1, self.b1))
        if self.p:
            h = F.dropout(h, self.p, training=self.training)
        return F.linear(h, self.w2, self.b2)


class ConvNet(nn.Module):
    """One 3x3 convolution on 1x8x8 images, then a linear classifier."""

    def __init__(self, classes=2):
        super().__init__()
        self.conv_weight = nn.Parameter(gn.randn(4, 1, 3, 3) * 0.3)
        self.w = nn.Parameter(gn.randn(classes, 4 * 6 * 6) * 0.05)

    def forward(self, x):
        h = F.relu(F.conv2d(x, self.conv_weight))
        return F.linear(h.reshape(h.shape[0], -1), self.w)


def blobs(n=300, classes=3, d=2, seed=0, spread=0.5):
    rng = np.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(classes, d))
    y = rng.integers(0, classes, size=n)
    x = centers[y] + spread * rng.normal(size=(n, d))
    return x.astype(np.float32), y.astype(np.int64)


def loaders(n=300, classes=3, batch_size=32, shuffle=True, seed=0):
    x, y = blobs(n, classes, seed=seed)
    k = int(n * 0.8)
    train = DataLoader(TensorDataset(x[:k], y[:k]), batch_size=batch_size, shuffle=shuffle)
    val = DataLoader(TensorDataset(x[k:], y[k:]), batch_size=64)
    return train, val


def cross_entropy(out, y):
    return F.cross_entropy(out, y)
