"""ImageNet AlexNet (glassnet/models/imagenet_alexnet.py): torchvision's modules, names and
parameter count, and the same outputs and gradients as the network restated in torch.nn."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.vision as torchvision
from glassnet import models as zoo

from ._torchvision import (
    assert_same_layout,
    assert_same_outputs,
    build_without_big_draws,
    copy_weights,
)


# torchvision's AlexNet, restated with torch.nn (torchvision cannot be imported here)
class TorchAlexNet(tnn.Module):
    def __init__(self, num_classes=1000, dropout=0.5):
        super().__init__()
        self.features = tnn.Sequential(
            tnn.Conv2d(3, 64, kernel_size=11, stride=4, padding=2), tnn.ReLU(inplace=True),
            tnn.MaxPool2d(kernel_size=3, stride=2),
            tnn.Conv2d(64, 192, kernel_size=5, padding=2), tnn.ReLU(inplace=True),
            tnn.MaxPool2d(kernel_size=3, stride=2),
            tnn.Conv2d(192, 384, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
            tnn.Conv2d(384, 256, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
            tnn.Conv2d(256, 256, kernel_size=3, padding=1), tnn.ReLU(inplace=True),
            tnn.MaxPool2d(kernel_size=3, stride=2))
        self.avgpool = tnn.AdaptiveAvgPool2d((6, 6))
        self.classifier = tnn.Sequential(
            tnn.Dropout(p=dropout), tnn.Linear(256 * 6 * 6, 4096), tnn.ReLU(inplace=True),
            tnn.Dropout(p=dropout), tnn.Linear(4096, 4096), tnn.ReLU(inplace=True),
            tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


def test_modules_names_shapes_and_count_are_torchvision_s(monkeypatch):
    ours = build_without_big_draws(monkeypatch, torchvision.models.alexnet, big=0)
    with torch.device("meta"):
        theirs = TorchAlexNet()
    assert_same_layout(theirs, ours, 61_100_840)
    assert isinstance(ours, torchvision.models.AlexNet)
    assert isinstance(ours, zoo.ImageNetAlexNet) and not isinstance(ours, zoo.AlexNet)


def test_forward_and_gradients_match_pytorch(monkeypatch):
    torch.manual_seed(0)
    ours = build_without_big_draws(monkeypatch, torchvision.models.alexnet, num_classes=10)
    theirs, ours = copy_weights(TorchAlexNet(num_classes=10), ours)
    # 63 px is the smallest image that survives the three pools
    x = np.random.default_rng(0).standard_normal((2, 3, 63, 63)).astype(np.float32)
    assert_same_outputs(theirs, ours, x, grads=("features.0.weight", "features.10.bias",
                                                "classifier.1.weight", "classifier.6.bias"))


def test_options_errors_and_zoo(monkeypatch, tmp_path):
    m = build_without_big_draws(monkeypatch, torchvision.models.alexnet, big=0, num_classes=3,
                                dropout=0.1, in_channels=1)
    assert m.features[0].in_channels == 1 and m.classifier[0].p == 0.1
    assert m.classifier[6].out_features == 3
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))  # an empty hub folder
    with pytest.raises(FileNotFoundError, match="alexnet-owt-7be5be79.safetensors"):
        torchvision.models.alexnet(weights="IMAGENET1K_V1")
    assert "alexnet" in zoo.available() and "alexnet-imagenet" in zoo.available()
    with pytest.raises(ValueError, match="63 <= H = W"):
        zoo.check_input("alexnet-imagenet", (1, 32, 32))
    m.eval()
    with gn.no_grad():
        assert tuple(m(gn.randn(1, 1, 63, 63)).shape) == (1, 3)
