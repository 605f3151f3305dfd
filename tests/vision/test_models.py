"""torchvision.models' ResNets: torchvision's module names (a torchvision state_dict loads), its
parameter counts, and the same outputs and gradients as the same network in PyTorch.

``TorchResNet`` below is torchvision's ``ResNet`` restated with ``torch.nn`` (same blocks, same
``_make_layer``), so the test needs no torchvision install.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.vision as torchvision
from glassnet import models as zoo
from glassnet.autograd import gradcheck
from glassnet.vision.models import Bottleneck, ResNet


class TorchBasic(tnn.Module):
    expansion = 1

    def __init__(self, inp, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1):
        super().__init__()
        self.conv1 = tnn.Conv2d(inp, planes, 3, stride, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(planes)
        self.relu = tnn.ReLU()
        self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = tnn.BatchNorm2d(planes)
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchBottleneck(tnn.Module):
    expansion = 4

    def __init__(self, inp, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1):
        super().__init__()
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = tnn.Conv2d(inp, width, 1, bias=False)
        self.bn1 = tnn.BatchNorm2d(width)
        self.conv2 = tnn.Conv2d(width, width, 3, stride, dilation, groups=groups, bias=False,
                                dilation=dilation)
        self.bn2 = tnn.BatchNorm2d(width)
        self.conv3 = tnn.Conv2d(width, planes * 4, 1, bias=False)
        self.bn3 = tnn.BatchNorm2d(planes * 4)
        self.relu = tnn.ReLU()
        self.downsample = downsample

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn3(self.conv3(self.relu(self.bn2(self.conv2(out)))))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class TorchResNet(tnn.Module):
    def __init__(self, block, layers, num_classes=1000, groups=1, width_per_group=64,
                 replace_stride_with_dilation=(False, False, False)):
        super().__init__()
        self.inplanes, self.dilation, self.groups, self.base_width = 64, 1, groups, width_per_group
        self.conv1 = tnn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = tnn.BatchNorm2d(64)
        self.relu = tnn.ReLU()
        self.maxpool = tnn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        d = replace_stride_with_dilation
        self.layer2 = self._make_layer(block, 128, layers[1], 2, d[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, d[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, d[2])
        self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
        self.fc = tnn.Linear(512 * block.expansion, num_classes)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        downsample, previous = None, self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = tnn.Sequential(
                tnn.Conv2d(self.inplanes, planes * block.expansion, 1, stride, bias=False),
                tnn.BatchNorm2d(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                         dilation=self.dilation) for _ in range(1, blocks)]
        return tnn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(torch.flatten(self.avgpool(x), 1))


def _twins(theirs, ours):
    """Copy the PyTorch model's weights (and made-up batch-norm statistics) into ours."""
    torch.manual_seed(0)
    with torch.no_grad():
        for m in theirs.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    sd = {k: gn.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    result = ours.load_state_dict(sd)
    assert not result.missing_keys and not result.unexpected_keys
    return theirs, ours


@pytest.mark.parametrize("name,block,layers,count", [
    ("resnet18", TorchBasic, [2, 2, 2, 2], 11_689_512),
    ("resnet50", TorchBottleneck, [3, 4, 6, 3], 25_557_032)])
def test_state_dict_keys_shapes_and_modules_are_torchvision_s(name, block, layers, count):
    ours = getattr(torchvision.models, name)()
    theirs = TorchResNet(block, layers)
    t_sd, g_sd = theirs.state_dict(), ours.state_dict()
    assert list(g_sd) == list(t_sd)
    assert all(tuple(g_sd[k].shape) == tuple(t_sd[k].shape) for k in t_sd)
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert sum(p.numel() for p in ours.parameters()) == count
    assert "layer2.0.downsample.0.weight" in g_sd and "layer1.0.bn1.num_batches_tracked" in g_sd


def test_resnet18_forward_and_gradients_match_pytorch():
    theirs, ours = _twins(TorchResNet(TorchBasic, [2, 2, 2, 2], num_classes=10),
                          torchvision.models.resnet18(num_classes=10))
    x = np.random.default_rng(0).standard_normal((2, 3, 32, 32)).astype(np.float32)
    theirs.eval()
    ours.eval()
    with gn.no_grad():
        np.testing.assert_allclose(ours(gn.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-4)
    # training mode in float64: batch norm over 2 values per channel at layer4 amplifies
    # float32 rounding too much for a tight comparison
    theirs.train().double()
    ours.train().double()
    tx = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    gx = gn.tensor(x.astype(np.float64), requires_grad=True)
    ty, gy = theirs(tx), ours(gx)
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=1e-7, atol=1e-9)
    w = np.random.default_rng(1).standard_normal(ty.shape)
    (ty * torch.tensor(w)).sum().backward()
    (gy * gn.tensor(w)).sum().backward()
    np.testing.assert_allclose(gx.grad.numpy(), tx.grad.numpy(), rtol=1e-7, atol=1e-9)
    for name in ("conv1.weight", "layer2.0.downsample.0.weight", "layer4.1.bn2.weight",
                 "fc.weight", "fc.bias"):
        g = dict(ours.named_parameters())[name].grad.numpy()
        t = dict(theirs.named_parameters())[name].grad.numpy()
        np.testing.assert_allclose(g, t, rtol=1e-7, atol=1e-9 * np.abs(t).max(), err_msg=name)


def test_grouped_dilated_bottlenecks_match_pytorch():
    kw = {"groups": 2, "width_per_group": 32, "replace_stride_with_dilation": [False, True, True]}
    theirs, ours = _twins(TorchResNet(TorchBottleneck, [1, 1, 1, 1], num_classes=5, **kw),
                          ResNet(Bottleneck, [1, 1, 1, 1], num_classes=5, **kw))
    theirs.eval()
    ours.eval()
    x = np.random.default_rng(2).standard_normal((1, 3, 40, 40)).astype(np.float32)
    with gn.no_grad():
        np.testing.assert_allclose(ours(gn.tensor(x)).numpy(),
                                   theirs(torch.tensor(x)).detach().numpy(), rtol=1e-4, atol=1e-4)


def test_bottleneck_gradient_against_finite_differences():
    gn.manual_seed(0)
    down = gn.nn.Sequential(gn.nn.Conv2d(4, 8, 1, 2, bias=False), gn.nn.BatchNorm2d(8))
    block = Bottleneck(4, 2, stride=2, downsample=down).double()
    x = gn.tensor(np.random.default_rng(3).standard_normal((2, 4, 5, 5)), requires_grad=True)
    assert gradcheck(block, (x,), eps=1e-6, atol=1e-5)


def test_missing_weights_and_options(monkeypatch, tmp_path):
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))  # an empty hub folder
    with pytest.raises(FileNotFoundError, match="resnet18-f37072fd.safetensors"):
        torchvision.models.resnet18(weights="IMAGENET1K_V1")
    m = torchvision.models.resnet18(num_classes=7, zero_init_residual=True)
    assert all(float(b.bn2.weight.abs().sum()) == 0 for b in m.modules()
               if isinstance(b, torchvision.models.BasicBlock))
    assert isinstance(m, ResNet) and torchvision.models.resnet.ResNet is ResNet


def test_registered_in_the_zoo_for_small_images():
    m = zoo.build_for("resnet18", (1, 28, 28), 10)
    assert m.conv1.in_channels == 1 and m.fc.out_features == 10
    assert tuple(m(gn.randn(2, 1, 28, 28)).shape) == (2, 10)
    assert "ResNet-50" in zoo.available()["resnet50"]
