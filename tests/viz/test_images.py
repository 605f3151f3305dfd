"""Image grids (glassnet/viz/images.py): feature maps captured with forward hooks."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
import glassnet.viz as viz


def test_capture_feature_maps_uses_hooks():
    import glassnet.nn as nn
    import glassnet.nn.functional as F

    class Scale(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.weight = nn.Parameter(gn.ones(1, c, 1, 1) * 2)

        def forward(self, x):
            return x * self.weight

    class Act(nn.Module):
        def forward(self, x):
            return F.relu(x)

    class Head(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(gn.randn(2, 3 * 4 * 4))

        def forward(self, x):
            return F.linear(x.reshape(x.shape[0], -1), self.w)

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.scale, self.act, self.head = Scale(3), Act(), Head()

        def forward(self, x):
            return self.head(self.act(self.scale(x)))

    net = Net()
    x = gn.randn(2, 3, 4, 4)
    maps = viz.capture_feature_maps(net, x)
    assert list(maps) == ["scale", "act"]  # the (N, 2) head output is not a feature map
    np.testing.assert_allclose(maps["act"], np.maximum(2 * x.numpy(), 0))
    assert net.training  # mode restored
    assert all(not m._forward_hooks for m in net.modules())  # hooks removed
    assert viz.capture_feature_maps(net, x, layers=["head"])["head"].shape == (2, 2)
    with pytest.raises(KeyError, match="no layer 'nope'"):
        viz.capture_feature_maps(net, x, layers=["nope"])
