"""ImageNet VGGs (glassnet/models/imagenet_vgg.py): torchvision's modules, names and parameter
counts, the same outputs and gradients as the network restated in torch.nn (the safetensors
round trip is tested on the smaller nets: test_mobilenet.py, test_squeezenet.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.vision as torchvision
from glassnet import models as zoo
from glassnet.models.imagenet_vgg import ImageNetVGG, make_layers

from ._torchvision import (
    assert_same_layout,
    assert_same_outputs,
    build_without_big_draws,
    copy_weights,
)

CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


# torchvision's VGG, restated with torch.nn (torchvision cannot be imported here)
class TorchVGG(tnn.Module):
    def __init__(self, cfg, batch_norm, num_classes=1000, dropout=0.5):
        super().__init__()
        layers, c = [], 3
        for v in CFGS[cfg]:
            if v == "M":
                layers.append(tnn.MaxPool2d(kernel_size=2, stride=2))
                continue
            layers.append(tnn.Conv2d(c, v, kernel_size=3, padding=1))
            layers += [tnn.BatchNorm2d(v)] if batch_norm else []
            layers.append(tnn.ReLU(inplace=True))
            c = v
        self.features = tnn.Sequential(*layers)
        self.avgpool = tnn.AdaptiveAvgPool2d((7, 7))
        self.classifier = tnn.Sequential(
            tnn.Linear(512 * 7 * 7, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout),
            tnn.Linear(4096, 4096), tnn.ReLU(True), tnn.Dropout(p=dropout),
            tnn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# parameter counts from torchvision's weight tables
COUNTS = [("vgg11", "A", False, 132_863_336), ("vgg11_bn", "A", True, 132_868_840),
          ("vgg13", "B", False, 133_047_848), ("vgg13_bn", "B", True, 133_053_736),
          ("vgg16", "D", False, 138_357_544), ("vgg16_bn", "D", True, 138_365_992),
          ("vgg19", "E", False, 143_667_240), ("vgg19_bn", "E", True, 143_678_248)]


@pytest.mark.parametrize("name,cfg,bn,count", COUNTS)
def test_modules_names_shapes_and_counts_are_torchvision_s(monkeypatch, name, cfg, bn, count):
    ours = build_without_big_draws(monkeypatch, getattr(torchvision.models, name), big=0)
    with torch.device("meta"):
        theirs = TorchVGG(cfg, bn)
    assert_same_layout(theirs, ours, count)
    assert isinstance(ours, torchvision.models.VGG)


def test_vgg11_bn_forward_and_gradients_match_pytorch(monkeypatch):
    torch.manual_seed(0)
    ours = build_without_big_draws(monkeypatch, torchvision.models.vgg11_bn, num_classes=7)
    theirs, ours = copy_weights(TorchVGG("A", True, num_classes=7), ours)
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    assert_same_outputs(theirs, ours, x, grads=("features.0.weight", "features.1.bias",
                                                "features.25.weight", "classifier.0.bias",
                                                "classifier.6.weight"))


def test_small_vgg_stack_gradient_against_finite_differences():
    gn.manual_seed(0)
    features = make_layers([2, "M", 3], batch_norm=True, in_channels=2).double()
    x = gn.tensor(np.random.default_rng(1).standard_normal((2, 2, 4, 4)), requires_grad=True)
    assert gn.autograd.gradcheck(features, (x,), eps=1e-6, atol=1e-5)


def test_initialisation_options_and_errors(monkeypatch, tmp_path):
    features = make_layers([8, "M", 16, "M", 512], batch_norm=True)
    m = build_without_big_draws(monkeypatch, ImageNetVGG, features=features, num_classes=4,
                                dropout=0.3)
    w = m.features[0].weight.detach().numpy()
    # kaiming normal, fan_out = 8 * 3 * 3, ReLU gain: std sqrt(2 / 72)
    assert abs(w.std() - np.sqrt(2 / 72)) < 0.05 and float(m.features[0].bias.abs().sum()) == 0
    assert float(m.features[1].weight.min()) == 1 and m.classifier[2].p == 0.3
    assert abs(m.classifier[6].weight.detach().numpy().std() - 0.01) < 1e-3
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))  # an empty hub folder: fails at once
    with pytest.raises(FileNotFoundError, match="vgg16-397923af.safetensors"):
        torchvision.models.vgg16(weights="IMAGENET1K_V1")
    with pytest.warns(UserWarning, match="pretrained"), \
            pytest.raises(FileNotFoundError, match="vgg19_bn-c79401a0.safetensors"):
        torchvision.models.vgg19_bn(pretrained=True)
    m.eval()
    with gn.no_grad():
        assert tuple(m(gn.randn(1, 3, 32, 32)).shape) == (1, 4)


def test_registered_in_the_zoo(monkeypatch):
    m = build_without_big_draws(monkeypatch, zoo.build_for, big=0, name="vgg11_bn_imagenet",
                            input_shape=(1, 32, 32), num_classes=10)
    assert m.features[0].in_channels == 1 and m.classifier[6].out_features == 10
    assert "vgg11" in zoo.available() and "vgg16-imagenet" in zoo.available()
    with pytest.raises(ValueError, match="32 <= H = W"):
        zoo.check_input("vgg16-imagenet", (3, 28, 28))
