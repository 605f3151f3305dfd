"""VGG networks for ImageNet-sized images (Simonyan and Zisserman, ICLR 2015), as torchvision
builds them, module name for module name.

Only 3x3 convolutions (two stacked 3x3 layers see a 5x5 window with fewer weights and one more
non-linearity), channels doubling from 64 to 512 after each of five 2x2 max pools; then an
adaptive average pool to 7x7 and three fully connected layers (4096, 4096, classes) with dropout.
The configurations of the paper's table 1: A (VGG-11), B (VGG-13), D (VGG-16), E (VGG-19); the
``_bn`` variants put a batch norm between every convolution and its ReLU (the convolutions keep
their bias, as in torchvision). Course material: 002 "making it work: depth", 000 "factorized
convolution".

The module names are torchvision's (``features.0``, ``features.1``... one index per conv, norm,
ReLU and pool; ``classifier.0``, ``classifier.3``, ``classifier.6``), so a state_dict saved from
``torchvision.models.vgg16`` loads with ``load_state_dict(strict=True)``.

Parameters with 1000 classes (torchvision's counts): vgg11 132,863,336; vgg11_bn 132,868,840;
vgg13 133,047,848; vgg13_bn 133,053,736; vgg16 138,357,544; vgg16_bn 138,365,992;
vgg19 143,667,240; vgg19_bn 143,678,248. Nearly 103 million of them are in the first linear
layer (25,088 x 4,096). The small VGGs for 28-32 px images are ``glassnet.models.vgg``.
"""

from __future__ import annotations

from glassnet import nn

from . import imagenet_weights
from .pretrained import torchvision_factory
from .registry import register

__all__ = ["ImageNetVGG", "cfgs", "make_layers", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn",
           "vgg16", "vgg16_bn", "vgg19", "vgg19_bn"]

# numbers are 3x3 convolution widths, "M" a 2x2 max pool with stride 2 (the paper's table 1)
cfgs = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False, in_channels=3):
    """The convolutional part from a configuration list: ``conv3x3 (+ BatchNorm2d) + ReLU`` for
    every number, ``MaxPool2d(2, 2)`` for every ``"M"``, in one ``nn.Sequential``.

    Shape:
        - Input: ``(N, in_channels, H, W)``
        - Output: ``(N, last width, H / 2^p, W / 2^p)`` (floor at each pool), p pools
    """
    layers, c = [], in_channels
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        layers.append(nn.Conv2d(c, v, kernel_size=3, padding=1))
        if batch_norm:
            layers.append(nn.BatchNorm2d(v))
        layers.append(nn.ReLU(inplace=True))
        c = v
    return nn.Sequential(*layers)


class ImageNetVGG(nn.Module):
    """torchvision's ``VGG(features, num_classes=1000, init_weights=True, dropout=0.5)``.

    ``features`` is the convolutional stack (``make_layers``), ending with 512 channels;
    ``avgpool`` brings any map of at least 1x1 to 7x7 (a 1x1 map is copied 49 times), so every
    image of at least 32x32 pixels fits; ``classifier`` is ``Linear(25088, 4096), ReLU,
    Dropout, Linear(4096, 4096), ReLU, Dropout, Linear(4096, num_classes)``.

    ``init_weights`` draws the convolutions from He's normal (fan_out, ReLU gain), the linear
    layers from N(0, 0.01^2), biases 0 and batch norms at weight 1, bias 0, as torchvision.

    Shape:
        - Input: ``(N, C, H, W)``, ``H, W >= 32``
        - Output: ``(N, num_classes)``
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes),
        )
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _factory(name, cfg, batch_norm, depth):
    def build(in_channels=3, **kwargs):
        return ImageNetVGG(make_layers(cfgs[cfg], batch_norm, in_channels), **kwargs)

    enum = getattr(imagenet_weights, f"VGG{depth}{'_BN' if batch_norm else ''}_Weights")
    bn = " with batch norm" if batch_norm else ""
    doc = (f"VGG-{depth} (configuration {cfg}){bn} for ImageNet-sized images, as torchvision's "
           f"``{name}(weights=None, num_classes=1000, dropout=0.5, init_weights=True)``; "
           f"``in_channels`` (default 3) is glassnet's addition. ``weights``: a member or name "
           f"of ``{enum.__name__}``, read from the hub folder (``glassnet.models.pretrained``).")
    what = (f"VGG-{depth}{bn} (Simonyan 2015), ImageNet style: 5 pools, 7x7 avgpool, "
            f"4096-4096 classifier; torchvision's names")
    key = f"vgg{depth}{'-bn' if batch_norm else ''}-imagenet"
    return register(key, what, sizes=(32, 4096))(
        torchvision_factory(name, build, doc, enum, init_arg="init_weights"))


vgg11 = _factory("vgg11", "A", False, 11)
vgg11_bn = _factory("vgg11_bn", "A", True, 11)
vgg13 = _factory("vgg13", "B", False, 13)
vgg13_bn = _factory("vgg13_bn", "B", True, 13)
vgg16 = _factory("vgg16", "D", False, 16)
vgg16_bn = _factory("vgg16_bn", "D", True, 16)
vgg19 = _factory("vgg19", "E", False, 19)
vgg19_bn = _factory("vgg19_bn", "E", True, 19)
