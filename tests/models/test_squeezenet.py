"""SqueezeNet 1.0 and 1.1 (glassnet/models/squeezenet.py): torchvision's modules, names and
parameter counts, the same outputs and gradients as the networks restated in torch.nn, and
safetensors files that load both ways."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.vision as torchvision
from glassnet import models as zoo
from glassnet.autograd import gradcheck
from glassnet.models.squeezenet import Fire

from ._torchvision import (
    assert_safetensors_round_trip,
    assert_same_layout,
    assert_same_outputs,
    copy_weights,
)


# torchvision's SqueezeNet, restated with torch.nn (torchvision cannot be imported here)
class TorchFire(tnn.Module):
    def __init__(self, inplanes, s, e1, e3):
        super().__init__()
        self.squeeze = tnn.Conv2d(inplanes, s, kernel_size=1)
        self.squeeze_activation = tnn.ReLU(inplace=True)
        self.expand1x1 = tnn.Conv2d(s, e1, kernel_size=1)
        self.expand1x1_activation = tnn.ReLU(inplace=True)
        self.expand3x3 = tnn.Conv2d(s, e3, kernel_size=3, padding=1)
        self.expand3x3_activation = tnn.ReLU(inplace=True)

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


TorchFire.__name__ = "Fire"


def _pool():
    return tnn.MaxPool2d(kernel_size=3, stride=2, ceil_mode=True)


class TorchSqueezeNet(tnn.Module):
    def __init__(self, version="1_0", num_classes=1000, dropout=0.5):
        super().__init__()
        if version == "1_0":
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 96, kernel_size=7, stride=2), tnn.ReLU(inplace=True), _pool(),
                TorchFire(96, 16, 64, 64), TorchFire(128, 16, 64, 64),
                TorchFire(128, 32, 128, 128), _pool(), TorchFire(256, 32, 128, 128),
                TorchFire(256, 48, 192, 192), TorchFire(384, 48, 192, 192),
                TorchFire(384, 64, 256, 256), _pool(), TorchFire(512, 64, 256, 256))
        else:
            self.features = tnn.Sequential(
                tnn.Conv2d(3, 64, kernel_size=3, stride=2), tnn.ReLU(inplace=True), _pool(),
                TorchFire(64, 16, 64, 64), TorchFire(128, 16, 64, 64), _pool(),
                TorchFire(128, 32, 128, 128), TorchFire(256, 32, 128, 128), _pool(),
                TorchFire(256, 48, 192, 192), TorchFire(384, 48, 192, 192),
                TorchFire(384, 64, 256, 256), TorchFire(512, 64, 256, 256))
        self.classifier = tnn.Sequential(
            tnn.Dropout(p=dropout), tnn.Conv2d(512, num_classes, kernel_size=1),
            tnn.ReLU(inplace=True), tnn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


@pytest.mark.parametrize("version,count", [("1_0", 1_248_424), ("1_1", 1_235_496)])
def test_modules_names_shapes_and_counts_are_torchvision_s(version, count):
    ours = getattr(torchvision.models, f"squeezenet{version}")()
    with torch.device("meta"):
        theirs = TorchSqueezeNet(version)
    assert_same_layout(theirs, ours, count)
    assert "features.3.expand3x3.weight" in ours.state_dict()


@pytest.mark.parametrize("version,size", [("1_0", 35), ("1_1", 17)])
def test_forward_and_gradients_match_pytorch(version, size):
    torch.manual_seed(0)
    theirs, ours = copy_weights(TorchSqueezeNet(version, num_classes=6),
                                torchvision.models.SqueezeNet(version, num_classes=6))
    # classifier weights that leave most of the final ReLU open, for a gradient everywhere
    with torch.no_grad():
        theirs.classifier[1].bias.fill_(0.5)
    ours.load_state_dict(gn.io.from_torch_state_dict(theirs.state_dict()))
    x = np.random.default_rng(0).standard_normal((2, 3, size, size)).astype(np.float32)
    assert_same_outputs(theirs, ours, x, grads=("features.0.weight", "features.3.squeeze.weight",
                                                "features.12.expand1x1.bias",
                                                "classifier.1.weight"))


def test_fire_gradient_against_finite_differences():
    gn.manual_seed(0)
    fire = Fire(3, 2, 2, 3).double()
    x = gn.tensor(np.random.default_rng(1).standard_normal((2, 3, 4, 4)), requires_grad=True)
    assert tuple(fire(x).shape) == (2, 5, 4, 4)
    assert gradcheck(fire, (x,), eps=1e-6, atol=1e-5)


def test_safetensors_round_trip(tmp_path):
    torch.manual_seed(0)
    theirs, ours = copy_weights(TorchSqueezeNet("1_1"), torchvision.models.squeezenet1_1())
    x = np.random.default_rng(2).standard_normal((1, 3, 32, 32)).astype(np.float32)
    assert_safetensors_round_trip(theirs, ours, tmp_path, x)


def test_initialisation_options_and_errors(monkeypatch, tmp_path):
    m = torchvision.models.squeezenet1_0(num_classes=4, dropout=0.2, in_channels=1)
    assert m.features[0].in_channels == 1 and m.classifier[0].p == 0.2 and m.num_classes == 4
    assert abs(m.classifier[1].weight.detach().numpy().std() - 0.01) < 3e-3
    w = m.features[0].weight.detach().numpy()  # kaiming_uniform_, a = 0: bound sqrt(6 / 49)
    assert np.abs(w).max() <= np.sqrt(6 / 49) and np.abs(w).max() > 0.9 * np.sqrt(6 / 49)
    assert float(m.features[3].squeeze.bias.abs().sum()) == 0
    with pytest.raises(ValueError, match="unsupported version '1_2'"):
        torchvision.models.SqueezeNet("1_2")
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))  # an empty hub folder
    with pytest.raises(FileNotFoundError, match="squeezenet1_1-b8a52dc0.safetensors"):
        torchvision.models.squeezenet1_1(weights="DEFAULT")
    e = zoo.build_for("squeezenet1_1", (3, 17, 17), 10)
    assert e.classifier[1].out_channels == 10
    with pytest.raises(ValueError, match="21 <= H = W"):
        zoo.check_input("squeezenet1_0", (3, 20, 20))
