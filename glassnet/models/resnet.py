"""Residual networks for 28-32 pixel images (He, Zhang, Ren and Sun, CVPR 2016, section 4.2).

A residual block learns a correction ``F(x)`` to its input instead of a whole new map:
``y = relu(F(x) + x)``. The identity path lets gradients reach early layers undiminished, which is
why a 56-layer ResNet trains *better* than a 20-layer one while the same 56-layer stack without
shortcuts (the "plain" twin) trains *worse* than its 20-layer version: the degradation problem of
the paper's figure 6. Course material: 004 "Residual nets", 002 "residual connections", 001
"vanishing gradients".

The CIFAR networks: a 3x3 conv with 16 channels, then three stages of ``n`` basic blocks with
16, 32 and 64 channels (the first block of stages 2 and 3 halves the map with stride 2), a global
average pool and one linear layer: ``6n + 2`` weighted layers (n = 3, 5, 7, 9, 18 gives 20, 32,
44, 56, 110). Where a block changes shape, the shortcut is option A: subsample by taking every
second pixel and zero-pad the new channels, so it has no parameters.
"""

from __future__ import annotations

import glassnet as gn
from glassnet import nn

from .registry import register

__all__ = [
    "BasicBlock",
    "ResNet",
    "ShortcutA",
    "plain20",
    "plain32",
    "plain44",
    "plain56",
    "resnet20",
    "resnet32",
    "resnet44",
    "resnet56",
    "resnet110",
]


class ShortcutA(nn.Module):
    """Option-A shortcut: ``x[:, :, ::stride, ::stride]`` with zero channels padded on both sides.

    Shape:
        - Input: ``(N, in_planes, H, W)``
        - Output: ``(N, planes, ceil(H / stride), ceil(W / stride))``
    """

    def __init__(self, in_planes, planes, stride):
        super().__init__()
        if planes < in_planes:
            raise ValueError(f"ShortcutA: planes ({planes}) must be >= in_planes ({in_planes})")
        self.in_planes, self.planes, self.stride = in_planes, planes, stride

    def forward(self, x):
        if x.shape[1] != self.in_planes:
            raise ValueError(f"ShortcutA: input has {x.shape[1]} channels, expected "
                             f"{self.in_planes}")
        if self.stride > 1:
            x = x[:, :, ::self.stride, ::self.stride]
        extra = self.planes - self.in_planes
        if extra == 0:
            return x
        n, _, h, w = x.shape
        before = extra // 2
        parts = [gn.zeros(n, before, h, w, dtype=x.dtype, device=x.device), x,
                 gn.zeros(n, extra - before, h, w, dtype=x.dtype, device=x.device)]
        return gn.cat([p for p in parts if p.shape[1]], dim=1)

    def extra_repr(self):
        return f"{self.in_planes} -> {self.planes}, stride={self.stride}"


class BasicBlock(nn.Module):
    """``relu(bn(conv3x3(relu(bn(conv3x3(x))))) + shortcut(x))``; no shortcut if ``residual=False``.

    The shortcut is ``downsample`` when one is given (torchvision's projection, a 1x1 conv and a
    batch norm: the ImageNet ResNets of ``glassnet.models.imagenet_resnet``); otherwise option A
    (``self.shortcut``) where the shape changes (the CIFAR nets), else the identity, which needs
    no module. The arguments are torchvision's, in its order, and so are the modules (``conv1``,
    ``bn1``, ``relu``, ``conv2``, ``bn2``, ``downsample``): a torchvision state_dict loads.

    Shape:
        - Input: ``(N, in_planes, H, W)``
        - Output: ``(N, planes, ceil(H / stride), ceil(W / stride))``
    """

    expansion = 1

    def __init__(self, in_planes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None, residual=True):
        super().__init__()
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU()
        self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
        self.bn2 = norm_layer(planes)
        self.residual, self.stride = residual, stride
        self.downsample = downsample if residual else None
        reshape = residual and downsample is None and (stride != 1 or in_planes != planes)
        self.shortcut = ShortcutA(in_planes, planes, stride) if reshape else None

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        if self.residual:
            shortcut = self.downsample if self.downsample is not None else self.shortcut
            out = out + (x if shortcut is None else shortcut(x))
        return self.relu(out)


class ResNet(nn.Module):
    """CIFAR ResNet of depth ``6n + 2``: ``ResNet(depth=20, num_classes=10, in_channels=1)``.

    ``residual=False`` builds the plain twin: the same layers with no shortcuts. Weights are
    initialised as in the paper (He et al., 2015, "kaiming" normal), batch norm to (1, 0).
    ``zero_init_residual=True`` (torchvision's option; Goyal et al. 2017) starts the last batch
    norm of every residual block at weight 0, so each block begins as the identity and a deep
    network starts out training like a shallow one; it has no effect on a plain twin.

    Parameters (10 classes, 3 input channels / 1 input channel): resnet20 269,722 / 269,434;
    resnet32 464,154 / 463,866; resnet44 658,586 / 658,298; resnet56 853,018 / 852,730;
    resnet110 1,727,962 / 1,727,674. A plain twin has exactly as many (option A adds none).

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, depth=20, num_classes=10, in_channels=3, residual=True,
                 zero_init_residual=False):
        super().__init__()
        if depth < 8 or (depth - 2) % 6:
            raise ValueError(f"ResNet: depth must be 6n + 2 (20, 32, 44, 56, 110), got {depth}")
        n = (depth - 2) // 6
        self.depth, self.residual = depth, residual
        self.conv1 = nn.Conv2d(in_channels, 16, 3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        self.relu = nn.ReLU()
        planes = 16
        stages = []
        for width, stride in ((16, 1), (32, 2), (64, 2)):
            blocks = []
            for i in range(n):
                blocks.append(BasicBlock(planes, width, stride if i == 0 else 1,
                                         residual=residual))
                planes = width
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(64, num_classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight)
            elif isinstance(m, nn.BatchNorm2d):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
        if zero_init_residual and residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    nn.init.zeros_(m.bn2.weight)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        x = self.layer3(self.layer2(self.layer1(x)))
        return self.fc(self.flatten(self.avgpool(x)))


def _factory(depth, residual):
    kind = "resnet" if residual else "plain"

    def factory(num_classes=10, in_channels=3, zero_init_residual=False):
        return ResNet(depth, num_classes, in_channels, residual, zero_init_residual)

    factory.__name__ = factory.__qualname__ = f"{kind}{depth}"
    factory.__doc__ = (f"{'ResNet' if residual else 'Plain net'}-{depth} for 28-32 px inputs "
                       f"(He et al. 2016){'' if residual else ', no shortcuts'}.")
    what = ("ResNet-{d} (He 2016): 3 stages x {n} blocks, 16/32/64 ch, option-A shortcuts"
            if residual else "plain-{d}: ResNet-{d}'s layers without shortcuts (He 2016, fig. 6)")
    return register(factory.__name__, what.format(d=depth, n=(depth - 2) // 6),
                    sizes=(8, 256))(factory)


resnet20, resnet32, resnet44 = _factory(20, True), _factory(32, True), _factory(44, True)
resnet56, resnet110 = _factory(56, True), _factory(110, True)
plain20, plain32, plain44, plain56 = (_factory(d, False) for d in (20, 32, 44, 56))
