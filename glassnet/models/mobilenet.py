"""MobileNetV2 (Sandler, Howard, Zhu, Zhmoginov and Chen, CVPR 2018), as torchvision builds it,
module name for module name.

The building block is the inverted residual: a 1x1 convolution expands the channels t times
(t = 6), a 3x3 depthwise convolution (one filter per channel, ``groups = channels``) filters
each channel alone, and a 1x1 convolution projects back down with no activation after it (the
"linear bottleneck": a ReLU in a narrow layer would destroy information). Where the block keeps
the shape, its input is added to its output. Depthwise plus pointwise costs about
``k^2 + c_out`` multiplications per input channel and pixel instead of ``k^2 c_out``, the idea of
factorised convolutions. ReLU6 (``min(max(x, 0), 6)``) is the activation. Course material: 000
"factorized convolution", "1x1 convolution"; 004 "Residual nets".

The module names are torchvision's (``features.0.0`` the stem convolution, ``features.1.conv.0.0``
the first depthwise one, ``features.18.1`` the last batch norm, ``classifier.1`` the linear
layer), so a state_dict saved from ``torchvision.models.mobilenet_v2`` loads with
``load_state_dict(strict=True)``. Parameters with 1000 classes: 3,504,872 (torchvision's count).
"""

from __future__ import annotations

from glassnet import nn
from glassnet.nn import functional as F

from .imagenet_weights import MobileNet_V2_Weights
from .pretrained import torchvision_factory
from .registry import register

__all__ = ["Conv2dNormActivation", "InvertedResidual", "MobileNetV2", "make_divisible",
           "mobilenet_v2"]


def make_divisible(v, divisor, min_value=None):
    """``v`` rounded to the nearest multiple of ``divisor`` (at least ``min_value``, default
    ``divisor``), one multiple up if rounding lost more than 10 %: how MobileNets keep every
    width a multiple of 8 under a width multiplier."""
    min_value = divisor if min_value is None else min_value
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    return new_v + divisor if new_v < 0.9 * v else new_v


class Conv2dNormActivation(nn.Sequential):
    """``Conv2d -> norm_layer -> activation_layer`` in one ``nn.Sequential`` (children ``0``,
    ``1``, ``2``), torchvision's ``ops.Conv2dNormActivation``.

    ``padding=None`` keeps the size at stride 1 (``(kernel_size - 1) // 2 * dilation``); the
    convolution has a bias only when there is no norm layer (``bias=None``); ``norm_layer`` or
    ``activation_layer`` None leaves that stage out.

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, out_channels, H', W')`` as the convolution gives
    """

    def __init__(self, in_channels, out_channels, kernel_size=3, stride=1, padding=None,
                 groups=1, norm_layer=nn.BatchNorm2d, activation_layer=nn.ReLU, dilation=1,
                 inplace=True, bias=None):
        if padding is None and isinstance(kernel_size, int) and isinstance(dilation, int):
            padding = (kernel_size - 1) // 2 * dilation
        elif padding is None:
            ks = (kernel_size,) * 2 if isinstance(kernel_size, int) else tuple(kernel_size)
            dil = (dilation,) * 2 if isinstance(dilation, int) else tuple(dilation)
            padding = tuple((k - 1) // 2 * d for k, d in zip(ks, dil))
        bias = norm_layer is None if bias is None else bias
        layers = [nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding,
                            dilation=dilation, groups=groups, bias=bias)]
        if norm_layer is not None:
            layers.append(norm_layer(out_channels))
        if activation_layer is not None:
            layers.append(activation_layer(**({} if inplace is None else {"inplace": inplace})))
        super().__init__(*layers)
        self.out_channels = out_channels


class InvertedResidual(nn.Module):
    """``x + project(depthwise(expand(x)))`` (the sum only when ``stride == 1`` and
    ``inp == oup``): expand 1x1 to ``round(inp * expand_ratio)`` channels with ReLU6 (left out
    when ``expand_ratio == 1``), depthwise 3x3 with ``stride`` and ReLU6, project 1x1 to ``oup``
    with batch norm and no activation. Children: ``conv`` (an ``nn.Sequential``).

    Shape:
        - Input: ``(N, inp, H, W)``
        - Output: ``(N, oup, ceil(H / stride), ceil(W / stride))``
    """

    def __init__(self, inp, oup, stride, expand_ratio, norm_layer=None):
        super().__init__()
        if stride not in (1, 2):
            raise ValueError(f"InvertedResidual: stride should be 1 or 2, got {stride}")
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        self.stride = stride
        hidden = round(inp * expand_ratio)
        self.use_res_connect = stride == 1 and inp == oup
        layers = []
        if expand_ratio != 1:
            layers.append(Conv2dNormActivation(inp, hidden, kernel_size=1, norm_layer=norm_layer,
                                               activation_layer=nn.ReLU6))
        layers += [
            Conv2dNormActivation(hidden, hidden, stride=stride, groups=hidden,
                                 norm_layer=norm_layer, activation_layer=nn.ReLU6),
            nn.Conv2d(hidden, oup, 1, 1, 0, bias=False),
            norm_layer(oup),
        ]
        self.conv = nn.Sequential(*layers)
        self.out_channels = oup
        self._is_cn = stride > 1

    def forward(self, x):
        return x + self.conv(x) if self.use_res_connect else self.conv(x)


# t (expansion), c (output channels), n (blocks), s (stride of the first): the paper's table 2
_SETTING = [[1, 16, 1, 1], [6, 24, 2, 2], [6, 32, 3, 2], [6, 64, 4, 2], [6, 96, 3, 1],
            [6, 160, 3, 2], [6, 320, 1, 1]]


class MobileNetV2(nn.Module):
    """torchvision's ``MobileNetV2(num_classes=1000, width_mult=1.0,
    inverted_residual_setting=None, round_nearest=8, block=None, norm_layer=None,
    dropout=0.2)``; ``in_channels`` is extra.

    ``features``: a 3x3 stride-2 stem of 32 channels, 17 inverted residual blocks (the paper's
    table 2), a 1x1 convolution to 1280 channels, every width times ``width_mult`` rounded to a
    multiple of ``round_nearest`` (the last one never below 1280); then a global average pool
    and ``classifier`` = ``Dropout, Linear(1280, num_classes)``. Convolutions start from He's
    normal (fan_out), the linear layer from N(0, 0.01^2), as torchvision. Any image of at least
    1x1 pixel fits (the strides round up).

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, num_classes=1000, width_mult=1.0, inverted_residual_setting=None,
                 round_nearest=8, block=None, norm_layer=None, dropout=0.2, in_channels=3):
        super().__init__()
        block = InvertedResidual if block is None else block
        norm_layer = nn.BatchNorm2d if norm_layer is None else norm_layer
        setting = _SETTING if inverted_residual_setting is None else inverted_residual_setting
        if len(setting) == 0 or len(setting[0]) != 4:
            raise ValueError("MobileNetV2: inverted_residual_setting should be a non-empty list "
                             f"of [t, c, n, s] lists, got {setting}")
        channels = make_divisible(32 * width_mult, round_nearest)
        self.last_channel = make_divisible(1280 * max(1.0, width_mult), round_nearest)
        features = [Conv2dNormActivation(in_channels, channels, stride=2, norm_layer=norm_layer,
                                         activation_layer=nn.ReLU6)]
        for t, c, n, s in setting:
            out = make_divisible(c * width_mult, round_nearest)
            for i in range(n):
                features.append(block(channels, out, s if i == 0 else 1, expand_ratio=t,
                                      norm_layer=norm_layer))
                channels = out
        features.append(Conv2dNormActivation(channels, self.last_channel, kernel_size=1,
                                             norm_layer=norm_layer, activation_layer=nn.ReLU6))
        self.features = nn.Sequential(*features)
        self.classifier = nn.Sequential(nn.Dropout(p=dropout),
                                        nn.Linear(self.last_channel, num_classes))
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.ones_(m.weight)
                nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        x = F.adaptive_avg_pool2d(self.features(x), (1, 1))
        return self.classifier(x.flatten(1))


mobilenet_v2 = register(
    "mobilenet-v2",
    "MobileNetV2 (Sandler 2018): inverted residuals, depthwise 3x3, ReLU6; torchvision's names",
    sizes=(1, 4096),
)(torchvision_factory(
    "mobilenet_v2", MobileNetV2,
    "MobileNetV2, as torchvision's ``mobilenet_v2(weights=None, num_classes=1000, "
    "width_mult=1.0, dropout=0.2)``; ``in_channels`` (default 3) is glassnet's addition. "
    "``weights``: a member or name of ``MobileNet_V2_Weights``, read from the hub folder "
    "(``glassnet.models.pretrained``).", MobileNet_V2_Weights))
