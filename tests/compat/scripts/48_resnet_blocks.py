"""Residual networks written out as in a ResNet chapter: BasicBlock with a 1x1 downsample
shortcut, Bottleneck with expansion, zero-initialised last BN gamma, a stem with 7x7/stride 2 and
maxpool, global average pooling, channels counted with sum(p.numel()), and a forward/backward pass
in train and eval mode."""
import json

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# compat: rtol=1e-3 atol=1e-4
rng = np.random.default_rng(48)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        self.conv1 = nn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(planes)
        self.conv2 = nn.Conv2d(planes, planes, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = None
        if stride != 1 or inplanes != planes:
            self.downsample = nn.Sequential(nn.Conv2d(inplanes, planes, 1, stride, bias=False),
                                            nn.BatchNorm2d(planes))

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = F.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return F.relu(out + identity)


class Bottleneck(nn.Module):
    expansion = 4

    def __init__(self, inplanes, planes, stride=1):
        super().__init__()
        width = planes
        self.conv1 = nn.Conv2d(inplanes, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = nn.Conv2d(width, width, 3, stride, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(width)
        self.conv3 = nn.Conv2d(width, planes * self.expansion, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(planes * self.expansion)
        self.relu = nn.ReLU(inplace=True)
        self.downsample = nn.Sequential(
            nn.Conv2d(inplanes, planes * self.expansion, 1, stride, bias=False),
            nn.BatchNorm2d(planes * self.expansion))

    def forward(self, x):
        identity = self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        out += identity
        return self.relu(out)


class TinyResNet(nn.Module):
    def __init__(self, block, layers, num_classes=4):
        super().__init__()
        self.inplanes = 4
        self.conv1 = nn.Conv2d(3, 4, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(4)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.layer1 = self._make_layer(block, 4, layers[0])
        self.layer2 = self._make_layer(block, 8, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(8 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                std = np.sqrt(2.0 / (m.out_channels * m.kernel_size[0] * m.kernel_size[1]))
                with torch.no_grad():
                    m.weight.copy_(torch.from_numpy(
                        (rng.standard_normal(tuple(m.weight.shape)) * std).astype(np.float32)))
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        for m in self.modules():  # zero-init the last BN in each residual branch
            if isinstance(m, Bottleneck):
                nn.init.constant_(m.bn3.weight, 0)
            elif isinstance(m, BasicBlock):
                nn.init.constant_(m.bn2.weight, 0.5)

    def _make_layer(self, block, planes, blocks, stride=1):
        layers = [block(self.inplanes, planes, stride)]
        self.inplanes = planes * block.expansion
        layers += [block(self.inplanes, planes) for _ in range(1, blocks)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer2(self.layer1(x))
        x = torch.flatten(self.avgpool(x), 1)
        return self.fc(x)


x = torch.from_numpy(rng.standard_normal((2, 3, 16, 16)).astype(np.float32))
res = {}
for name, block, layers in [("basic", BasicBlock, [2, 1]), ("bottleneck", Bottleneck, [1, 1])]:
    net = TinyResNet(block, layers)
    with torch.no_grad():
        net.fc.weight.copy_(torch.from_numpy(rng.uniform(-0.3, 0.3, (4, 8 * block.expansion))
                                             .astype(np.float32)))
        net.fc.bias.zero_()
    out = net(x)
    loss = F.cross_entropy(out, torch.tensor([1, 3]))
    loss.backward()
    net.eval()
    with torch.no_grad():
        ev = net(x)
    res[name] = [sum(p.numel() for p in net.parameters()), out.tolist(), loss.item(),
                 net.conv1.weight.grad.abs().sum().item(), ev.tolist(),
                 net.layer1[0].bn1.running_var.tolist(),
                 len([m for m in net.modules() if isinstance(m, nn.BatchNorm2d)])]
print(json.dumps(res))
