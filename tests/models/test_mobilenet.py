"""MobileNetV2 (glassnet/models/mobilenet.py): torchvision's modules, names and parameter count,
the same outputs and gradients as the network restated in torch.nn, safetensors both ways."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.vision as torchvision
from glassnet import models as zoo
from glassnet.autograd import gradcheck
from glassnet.models.mobilenet import Conv2dNormActivation, InvertedResidual, make_divisible

from ._torchvision import (
    assert_safetensors_round_trip,
    assert_same_layout,
    assert_same_outputs,
    copy_weights,
)


# torchvision's MobileNetV2, restated with torch.nn (torchvision cannot be imported here)
class TorchConv2dNormActivation(tnn.Sequential):
    def __init__(self, cin, cout, kernel_size=3, stride=1, groups=1):
        super().__init__(tnn.Conv2d(cin, cout, kernel_size, stride, (kernel_size - 1) // 2,
                                    groups=groups, bias=False),
                         tnn.BatchNorm2d(cout), tnn.ReLU6(inplace=True))


TorchConv2dNormActivation.__name__ = "Conv2dNormActivation"


class TorchInvertedResidual(tnn.Module):
    def __init__(self, inp, oup, stride, t):
        super().__init__()
        hidden = round(inp * t)
        self.use_res_connect = stride == 1 and inp == oup
        layers = [TorchConv2dNormActivation(inp, hidden, 1)] if t != 1 else []
        layers += [TorchConv2dNormActivation(hidden, hidden, stride=stride, groups=hidden),
                   tnn.Conv2d(hidden, oup, 1, 1, 0, bias=False), tnn.BatchNorm2d(oup)]
        self.conv = tnn.Sequential(*layers)

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


TorchInvertedResidual.__name__ = "InvertedResidual"


def _divisible(v, d=8):
    new_v = max(d, int(v + d / 2) // d * d)
    return new_v + d if new_v < 0.9 * v else new_v


SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
           [6, 160, 3, 2], [6, 320, 1, 1]]


class TorchMobileNetV2(tnn.Module):

    def __init__(self, num_classes=1000, width_mult=1.0, dropout=0.2):
        super().__init__()
        c = _divisible(32 * width_mult)
        last = _divisible(1280 * max(1.0, width_mult))
        features = [TorchConv2dNormActivation(3, c, stride=2)]
        for t, ch, n, s in SETTING:
            out = _divisible(ch * width_mult)
            for i in range(n):
                features.append(TorchInvertedResidual(c, out, s if i == 0 else 1, t))
                c = out
        features.append(TorchConv2dNormActivation(c, last, 1))
        self.features = tnn.Sequential(*features)
        self.classifier = tnn.Sequential(tnn.Dropout(p=dropout), tnn.Linear(last, num_classes))

    def forward(self, x):
        x = tnn.functional.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(torch.flatten(x, 1))


@pytest.mark.parametrize("width_mult,count", [(1.0, 3_504_872), (0.5, None), (1.4, None)])
def test_modules_names_shapes_and_count_are_torchvision_s(width_mult, count):
    ours = torchvision.models.mobilenet_v2(width_mult=width_mult)
    with torch.device("meta"):
        theirs = TorchMobileNetV2(width_mult=width_mult)
    assert_same_layout(theirs, ours, count)
    sd = ours.state_dict()
    assert "features.0.0.weight" in sd and "features.1.conv.0.0.weight" in sd
    assert "features.2.conv.0.1.running_var" in sd and "features.18.1.num_batches_tracked" in sd
    assert tuple(sd["classifier.1.weight"].shape) == (1000, ours.last_channel)


def test_forward_and_gradients_match_pytorch():
    torch.manual_seed(0)
    theirs, ours = copy_weights(TorchMobileNetV2(num_classes=10), zoo.MobileNetV2(num_classes=10))
    x = np.random.default_rng(0).standard_normal((1, 3, 64, 64)).astype(np.float32)
    assert_same_outputs(theirs, ours, x, grads=("features.0.0.weight", "features.5.conv.1.0.weight",
                                                "features.18.1.weight", "classifier.1.weight"))


def test_training_mode_matches_pytorch_in_float64():
    torch.manual_seed(1)
    theirs, ours = copy_weights(TorchMobileNetV2(num_classes=5, width_mult=0.35),
                                zoo.MobileNetV2(num_classes=5, width_mult=0.35, dropout=0.0))
    theirs.classifier[0].p = 0.0
    theirs.train().double()
    ours.train().double()
    x = np.random.default_rng(2).standard_normal((4, 3, 32, 32))
    ty, gy = theirs(torch.tensor(x)), ours(gn.tensor(x))
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-9)
    ty.square().sum().backward()
    gy.square().sum().backward()
    for name in ("features.0.0.weight", "features.3.conv.2.weight", "classifier.1.bias"):
        t = dict(theirs.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(dict(ours.named_parameters())[name].grad.numpy(), t,
                                   rtol=1e-6, atol=1e-9 * np.abs(t).max(), err_msg=name)
    running = ours.state_dict()["features.1.conv.2.running_mean"].numpy()
    np.testing.assert_allclose(running, theirs.features[1].conv[2].running_mean.numpy(),
                               rtol=1e-7, atol=1e-12)


def test_inverted_residual_gradient_against_finite_differences():
    gn.manual_seed(0)
    block = InvertedResidual(4, 4, 1, expand_ratio=2).double()
    assert block.use_res_connect and not block._is_cn
    x = gn.tensor(np.random.default_rng(3).standard_normal((2, 4, 5, 5)), requires_grad=True)
    assert gradcheck(block, (x,), eps=1e-6, atol=1e-5)


def test_safetensors_round_trip(tmp_path):
    torch.manual_seed(0)
    theirs, ours = copy_weights(TorchMobileNetV2(), torchvision.models.mobilenet_v2())
    x = np.random.default_rng(4).standard_normal((1, 3, 32, 32)).astype(np.float32)
    assert_safetensors_round_trip(theirs, ours, tmp_path, x)


def test_helpers_options_and_errors(monkeypatch, tmp_path):
    assert [make_divisible(v, 8) for v in (32 * 0.35, 1280, 16 * 0.5, 100.0)] == [16, 1280, 8, 104]
    block = Conv2dNormActivation(3, 8, kernel_size=5, norm_layer=None, activation_layer=None)
    assert len(block) == 1 and block[0].padding == (2, 2) and block[0].bias is not None
    assert torchvision.ops.Conv2dNormActivation is Conv2dNormActivation
    with pytest.raises(ValueError, match="stride should be 1 or 2"):
        InvertedResidual(4, 4, 3, 6)
    with pytest.raises(ValueError, match="inverted_residual_setting"):
        zoo.MobileNetV2(inverted_residual_setting=[[1, 16, 1]])
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))  # an empty hub folder
    with pytest.raises(FileNotFoundError, match="mobilenet_v2-7ebf99e0.safetensors"):
        torchvision.models.mobilenet_v2(weights="IMAGENET1K_V2")
    with pytest.warns(UserWarning, match="pretrained"), \
            pytest.raises(FileNotFoundError, match="mobilenet_v2-b0353104.safetensors"):
        torchvision.models.mobilenet_v2(pretrained=True)
    with pytest.warns(UserWarning, match="pretrained"):
        m = torchvision.models.mobilenet_v2(pretrained=False, in_channels=1)
    assert isinstance(m, torchvision.models.MobileNetV2)


def test_registered_in_the_zoo():
    m = zoo.build_for("mobilenet_v2", (1, 28, 28), 10)
    assert m.features[0][0].in_channels == 1 and m.classifier[1].out_features == 10
    m.eval()
    with gn.no_grad():
        assert tuple(m(gn.randn(2, 1, 28, 28)).shape) == (2, 10)
