"""NumPy's argument names where PyTorch accepts them (glassnet/tensor/numpy_names.py):
``axis=`` and ``keepdims=`` on methods and functions, and the error when both spellings are
given."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn


def test_numpy_argument_names():
    a = np.arange(12.0).reshape(3, 4)
    g, t = gn.tensor(a), torch.tensor(a)
    for fn in [lambda m, x: x.sum(axis=0), lambda m, x: x.mean(axis=1, keepdims=True),
               lambda m, x: m.sum(x, axis=1), lambda m, x: m.amax(x, axis=0, keepdims=True),
               lambda m, x: x.max(axis=1).values, lambda m, x: x.argmax(axis=0),
               lambda m, x: m.cat([x, x], axis=1), lambda m, x: m.stack([x, x], axis=2),
               lambda m, x: x.softmax(axis=1), lambda m, x: x.cumsum(axis=1),
               lambda m, x: x.std(axis=0), lambda m, x: x.unsqueeze(axis=0)]:
        np.testing.assert_allclose(fn(gn, g).numpy(), fn(torch, t).numpy())
    with pytest.raises(TypeError, match="alias"):
        g.sum(dim=0, axis=1)
