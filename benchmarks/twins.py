"""The same networks, data and optimiser in glassnet and PyTorch, for side-by-side timing.

``pair(name)`` builds a glassnet model from ``glassnet.models`` and the identical PyTorch module
(same layers, same parameter names), then copies glassnet's weights into PyTorch through NumPy,
so both start from the same point and do the same arithmetic. ``fashion_mnist()`` loads the
training images once (falling back to random images of the same shape, with a note).
"""

from __future__ import annotations

import os

import numpy as np

_DATA = {}


def torch_lenet5(torch):
    """LeNet-5, modern form (ReLU, max pooling), laid out like glassnet.models.LeNet5."""
    nn = torch.nn

    class LeNet5(nn.Module):
        def __init__(self):
            super().__init__()
            self.features = nn.Sequential(
                nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2),
                nn.Conv2d(16, 120, 5), nn.ReLU())
            self.classifier = nn.Sequential(nn.Flatten(), nn.Linear(120, 84), nn.ReLU(),
                                            nn.Linear(84, 10))

        def forward(self, x):
            return self.classifier(self.features(x))

    return LeNet5()


def torch_resnet(torch, depth=20, in_channels=3, num_classes=10):
    """The CIFAR ResNet (option-A shortcuts) laid out like glassnet.models.ResNet."""
    nn = torch.nn
    F = torch.nn.functional

    class ShortcutA(nn.Module):
        def __init__(self, in_planes, planes, stride):
            super().__init__()
            self.extra, self.stride = planes - in_planes, stride

        def forward(self, x):
            if self.stride > 1:
                x = x[:, :, ::self.stride, ::self.stride]
            before = self.extra // 2
            return F.pad(x, (0, 0, 0, 0, before, self.extra - before))

    class BasicBlock(nn.Module):
        def __init__(self, in_planes, planes, stride=1):
            super().__init__()
            self.conv1 = nn.Conv2d(in_planes, planes, 3, stride=stride, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(planes)
            self.conv2 = nn.Conv2d(planes, planes, 3, stride=1, padding=1, bias=False)
            self.bn2 = nn.BatchNorm2d(planes)
            self.relu = nn.ReLU()
            self.shortcut = (ShortcutA(in_planes, planes, stride)
                             if stride != 1 or in_planes != planes else nn.Identity())

        def forward(self, x):
            out = self.relu(self.bn1(self.conv1(x)))
            out = self.bn2(self.conv2(out))
            return self.relu(out + self.shortcut(x))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            n = (depth - 2) // 6
            self.conv1 = nn.Conv2d(in_channels, 16, 3, padding=1, bias=False)
            self.bn1 = nn.BatchNorm2d(16)
            self.relu = nn.ReLU()
            planes, stages = 16, []
            for width, stride in ((16, 1), (32, 2), (64, 2)):
                blocks = []
                for i in range(n):
                    blocks.append(BasicBlock(planes, width, stride if i == 0 else 1))
                    planes = width
                stages.append(nn.Sequential(*blocks))
            self.layer1, self.layer2, self.layer3 = stages
            self.avgpool = nn.AdaptiveAvgPool2d(1)
            self.flatten = nn.Flatten()
            self.fc = nn.Linear(64, num_classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            x = self.layer3(self.layer2(self.layer1(x)))
            return self.fc(self.flatten(self.avgpool(x)))

    return ResNet()


def copy_weights(gmodel, tmodel):
    """Load glassnet's parameters and buffers into the PyTorch module (through NumPy)."""
    import torch

    src = {k: np.asarray(v.data if hasattr(v, "data") else v)
           for k, v in gmodel.state_dict().items()}
    dst = tmodel.state_dict()
    missing = set(dst) ^ set(src)
    if missing:
        raise KeyError(f"state_dict keys differ between the two models: {sorted(missing)}")
    tmodel.load_state_dict({k: torch.from_numpy(np.array(src[k])).to(dst[k].dtype) for k in dst})


def pair(name, **kw):
    """(glassnet model, PyTorch model) with identical weights: 'lenet5' or 'resnet<depth>'."""
    import torch

    import glassnet as gn
    from glassnet import models

    gn.manual_seed(0)
    if name == "lenet5":
        g = models.LeNet5(variant="modern")
        t = torch_lenet5(torch)
    elif name.startswith("resnet"):
        depth = int(name[6:])
        g = models.ResNet(depth, in_channels=kw.get("in_channels", 3))
        t = torch_resnet(torch, depth, kw.get("in_channels", 3))
    else:
        raise ValueError(f"pair: unknown model {name!r}")
    copy_weights(g, t)
    return g, t


FASHION_DIR = "/usr/share/datasets/fashion-mnist"


def read_idx_gz(path):
    """An IDX file (gzip-compressed or not) as a NumPy array; needs nothing but NumPy."""
    import gzip

    opener = gzip.open if str(path).endswith(".gz") else open
    with opener(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def fashion_mnist():
    """(images float32 (60000, 1, 28, 28) in [0, 1], labels int64, note).

    Read with plain NumPy (no framework import, so a subprocess measuring one framework's memory
    loads nothing of the other); random images of the same shape, with a note, if the files are
    missing.
    """
    if "fm" not in _DATA:
        note = ""
        dirs = [d for d in (os.environ.get("GLASSNET_DATA"), FASHION_DIR) if d]
        try:
            for d in dirs:
                for sub in ("", "FashionMNIST", "fashion-mnist", "FashionMNIST/raw"):
                    base = os.path.join(d, sub, "train-images-idx3-ubyte")
                    for ext in (".gz", ""):
                        if os.path.exists(base + ext):
                            img = read_idx_gz(base + ext)
                            lab = read_idx_gz(base.replace("images-idx3", "labels-idx1") + ext)
                            x = img.astype(np.float32).reshape(-1, 1, 28, 28)
                            x /= np.float32(255)
                            _DATA["fm"] = (x, lab.astype(np.int64), note)
                            return _DATA["fm"]
            raise FileNotFoundError(f"train-images-idx3-ubyte not found in {dirs}")
        except (OSError, ValueError) as e:
            rng = np.random.default_rng(0)
            x = rng.random((60000, 1, 28, 28), dtype=np.float32)
            y = rng.integers(0, 10, 60000)
            note = f"Fashion-MNIST unavailable ({e}): random images of its shape"
            _DATA["fm"] = (x, y, note)
    return _DATA["fm"]


def cifar_like(n, seed=0):
    """Random (n, 3, 32, 32) images and labels: ResNet timings do not depend on the values."""
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((n, 3, 32, 32), dtype=np.float32),
            rng.integers(0, 10, n))


def threads_note():
    import torch

    return (f"torch threads {torch.get_num_threads()}, "
            f"OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS', 'unset')}")


def train_flops(gmodel, x):
    """Floating-point operations of one training step of a glassnet model on input ``x``.

    Counts the multiply-adds (2 flops each) of every convolution and linear layer: once for the
    forward pass, once for the weight gradient and once more for the input gradient where the
    layer's input needs one (the first layer's does not). Elementwise work is not counted.
    """
    import math

    from glassnet import nn

    total = [0]

    def hook(m, inp, out):
        x0 = inp[0]
        if isinstance(m, nn.Linear):
            macs = out.numel() * m.in_features
        else:
            macs = out.numel() * (m.in_channels // m.groups) * math.prod(m.kernel_size)
        total[0] += 2 * macs * (3 if x0.requires_grad else 2)

    handles = [m.register_forward_hook(hook) for m in gmodel.modules()
               if isinstance(m, (nn.Linear, nn.Conv2d))]
    try:
        gmodel(x)
    finally:
        for h in handles:
            h.remove()
    return total[0]
