"""Shared helpers for the model tests: a few steps of Adam on cross-entropy."""

from __future__ import annotations

from glassnet import optim
from glassnet.nn import functional as F


def _fit(model, batches, steps, lr):
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x, y = batches()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
