"""Residual networks for ImageNet-sized images (He, Zhang, Ren and Sun, CVPR 2016, table 1), as
torchvision builds them, module name for module name.

A 7x7 stride-2 convolution with 64 channels and a 3x3 stride-2 max pool cut a 224-pixel image to
56 pixels; four stages of residual blocks follow, with 64, 128, 256 and 512 base channels (each
stage after the first halves the map in its first block); a global average pool and one linear
layer give the class scores. ResNet-18 and -34 stack basic blocks (two 3x3 convolutions), ResNet-50,
-101 and -152 bottleneck blocks: a 1x1 convolution down to the base width, a 3x3 one, and a 1x1
back up to four times the base width, which keeps deep networks affordable. Where a block changes
the shape, its shortcut is a 1x1 convolution with batch norm ("option B"; torchvision's
``downsample``). Course material: 004 "Residual nets".

The module names are torchvision's (``conv1``, ``bn1``, ``layer1.0.conv1``,
``layer2.0.downsample.0``, ``fc``...), so a state_dict saved from ``torchvision.models.resnet18``
loads with ``load_state_dict``. As torchvision does (its "ResNet v1.5"), a bottleneck block puts
its stride on the 3x3 convolution, not on the first 1x1 as the paper does.

Parameters with 1000 classes: resnet18 11,689,512; resnet34 21,797,672; resnet50 25,557,032;
resnet101 44,549,160; resnet152 60,192,808 (torchvision's counts).
"""

from __future__ import annotations

from glassnet import nn

from . import imagenet_weights
from .pretrained import torchvision_factory
from .registry import register
from .resnet import BasicBlock

__all__ = ["BasicBlock", "Bottleneck", "ImageNetResNet", "conv1x1", "conv3x3", "resnet18",
           "resnet34", "resnet50", "resnet101", "resnet152"]


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding ``dilation`` (the map keeps its size at stride 1), no bias."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=dilation,
                     groups=groups, bias=False, dilation=dilation)


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution without bias: mixes channels, or projects a shortcut."""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class Bottleneck(nn.Module):
    """``relu(bn3(conv1x1(relu(bn2(conv3x3(relu(bn1(conv1x1(x)))))))) + shortcut(x))``.

    The middle width is ``planes * base_width / 64 * groups`` (ResNeXt and wide ResNets change
    it); the output has ``planes * 4`` channels. The stride sits on the 3x3 convolution.

    Shape:
        - Input: ``(N, in_planes, H, W)``
        - Output: ``(N, 4 planes, ceil(H / stride), ceil(W / stride))``
    """

    expansion = 4

    def __init__(self, in_planes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(in_planes, width)
        self.bn1 = norm_layer(width)
        self.conv2 = conv3x3(width, width, stride, groups, dilation)
        self.bn2 = norm_layer(width)
        self.conv3 = conv1x1(width, planes * self.expansion)
        self.bn3 = norm_layer(planes * self.expansion)
        self.relu = nn.ReLU()
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        identity = x if self.downsample is None else self.downsample(x)
        return self.relu(out + identity)


class ImageNetResNet(nn.Module):
    """torchvision's ``ResNet(block, layers, num_classes=1000, ...)``; ``in_channels`` is extra.

    Args:
        block: ``BasicBlock`` or ``Bottleneck``.
        layers: blocks per stage, e.g. ``[2, 2, 2, 2]`` for ResNet-18.
        num_classes: outputs of the final linear layer.
        zero_init_residual: start the last batch norm of every block at weight 0, so that each
            block begins as its shortcut (Goyal et al. 2017).
        groups, width_per_group: ResNeXt's cardinality and base width (bottlenecks only).
        replace_stride_with_dilation: three bools; True keeps the resolution of that stage
            (stages 2-4) and dilates its convolutions instead (for dense prediction).
        norm_layer: the normalisation layer class (default ``nn.BatchNorm2d``).
        in_channels: channels of the input images (3 in torchvision).

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None,
                 in_channels=3):
        super().__init__()
        if len(layers) != 4:
            raise ValueError(f"ResNet: layers must give 4 stage depths, got {list(layers)}")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self._norm_layer = norm_layer
        self.inplanes, self.dilation = 64, 1
        if replace_stride_with_dilation is None:
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError("replace_stride_with_dilation should be None or a 3-element tuple, "
                             f"got {replace_stride_with_dilation}")
        self.groups, self.base_width = groups, width_per_group
        self.conv1 = nn.Conv2d(in_channels, self.inplanes, kernel_size=7, stride=2, padding=3,
                               bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, 64, layers[0])
        self.layer2 = self._make_layer(block, 128, layers[1], 2, replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, 256, layers[2], 2, replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, 512, layers[3], 2, replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(512 * block.expansion, num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)
        if zero_init_residual:
            for m in self.modules():
                last = getattr(m, "bn3", None) if isinstance(m, Bottleneck) else \
                    getattr(m, "bn2", None) if isinstance(m, BasicBlock) else None
                if last is not None and last.weight is not None:
                    nn.init.constant_(last.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(conv1x1(self.inplanes, planes * block.expansion, stride),
                                       norm_layer(planes * block.expansion))
        layers = [block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                        previous_dilation, norm_layer)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, groups=self.groups,
                                base_width=self.base_width, dilation=self.dilation,
                                norm_layer=norm_layer))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.avgpool(x).flatten(1))


def _factory(name, block, layers, paper):
    def build(**kwargs):
        return ImageNetResNet(block, layers, **kwargs)

    factory = torchvision_factory(
        name, build, f"ResNet-{paper} (He et al. 2016) for ImageNet-sized images, as "
        f"torchvision's ``{name}(weights=None, num_classes=1000)``; also takes "
        f"``in_channels`` and the other ``ImageNetResNet`` arguments. ``weights``: a member "
        f"or name of ``ResNet{paper}_Weights``, read from the hub folder "
        f"(``glassnet.models.pretrained``).",
        getattr(imagenet_weights, f"ResNet{paper}_Weights"))
    what = (f"ResNet-{paper} (He 2016), ImageNet style: 7x7 stem, 4 stages {layers} of "
            f"{'basic' if block is BasicBlock else 'bottleneck'} blocks; torchvision's names")
    return register(name, what, sizes=(28, 4096))(factory)


resnet18 = _factory("resnet18", BasicBlock, [2, 2, 2, 2], 18)
resnet34 = _factory("resnet34", BasicBlock, [3, 4, 6, 3], 34)
resnet50 = _factory("resnet50", Bottleneck, [3, 4, 6, 3], 50)
resnet101 = _factory("resnet101", Bottleneck, [3, 4, 23, 3], 101)
resnet152 = _factory("resnet152", Bottleneck, [3, 8, 36, 3], 152)
