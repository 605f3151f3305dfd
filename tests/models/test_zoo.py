"""Every zoo model builds, maps a small batch to the right shape, backpropagates, and has the
parameter count its docstring states."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import models
from glassnet.models import (
    MLP,
    AlexNet,
    Autoencoder,
    ConvAutoencoder,
    FashionCNN,
    GoogLeNet,
    LeNet5,
    ResNet,
    count_parameters,
)

# (name, builder, input shape, output shape, parameters, class whose docstring states them)
CASES = [
    ("mlp", lambda: MLP([784, 500, 150, 10]), (2, 1, 28, 28), (2, 10), 469_160, MLP),
    ("mlp-bn-dropout", lambda: MLP([64, 32, 10], "tanh", 0.5, True), (3, 64), (3, 10),
     64 * 32 + 32 + 64 + 32 * 10 + 10, None),
    ("lenet5-classic", lambda: LeNet5("classic"), (2, 1, 28, 28), (2, 10), 61_706, LeNet5),
    ("lenet5-modern-rgb", lambda: LeNet5("modern", in_channels=3, input_size=32),
     (2, 3, 32, 32), (2, 10), 62_006, LeNet5),
    ("alexnet", lambda: AlexNet(10, 1, 28), (2, 1, 28, 28), (2, 10), 1_460_074, AlexNet),
    ("alexnet-rgb", lambda: AlexNet(10, 3, 32), (2, 3, 32, 32), (2, 10), 1_790_154, AlexNet),
    ("vgg11", lambda: models.vgg11_small(), (2, 1, 28, 28), (2, 10), 2_309_610, models.VGG),
    ("vgg11-nobn", lambda: models.vgg11_small(batch_norm=False), (2, 1, 28, 28), (2, 10),
     2_308_234, models.VGG),
    ("vgg13", lambda: models.vgg13_small(), (2, 1, 28, 28), (2, 10), 2_355_882, models.VGG),
    ("vgg16", lambda: models.vgg16_small(), (2, 1, 32, 32), (2, 10), 3_684_266, models.VGG),
    ("googlenet", lambda: GoogLeNet(), (2, 1, 28, 28), (2, 10), 143_870, GoogLeNet),
    ("resnet20", lambda: models.resnet20(in_channels=3), (2, 3, 32, 32), (2, 10), 269_722, ResNet),
    ("resnet20-gray", lambda: models.resnet20(in_channels=1), (2, 1, 28, 28), (2, 10), 269_434,
     ResNet),
    ("resnet32", lambda: models.resnet32(), (2, 3, 28, 28), (2, 10), 464_154, ResNet),
    ("resnet44", lambda: models.resnet44(), (2, 3, 28, 28), (2, 10), 658_586, ResNet),
    ("resnet56", lambda: models.resnet56(), (2, 3, 28, 28), (2, 10), 853_018, ResNet),
    ("resnet110", lambda: models.resnet110(), (1, 3, 16, 16), (1, 10), 1_727_962, ResNet),
    ("plain20", lambda: models.plain20(in_channels=1), (2, 1, 28, 28), (2, 10), 269_434, ResNet),
    ("plain56", lambda: models.plain56(), (2, 3, 16, 16), (2, 10), 853_018, ResNet),
    ("autoencoder", lambda: Autoencoder((784, 256, 32)), (2, 1, 28, 28), (2, 1, 28, 28),
     419_120, Autoencoder),
    ("conv-autoencoder", lambda: ConvAutoencoder(1), (2, 1, 28, 28), (2, 1, 28, 28), 9_569,
     ConvAutoencoder),
    ("conv-autoencoder-rgb", lambda: ConvAutoencoder(3, denoising=True), (2, 3, 32, 32),
     (2, 3, 32, 32), 10_147, ConvAutoencoder),
    ("fashion-cnn", lambda: FashionCNN(), (2, 1, 28, 28), (2, 10), 468_138, FashionCNN),
]


@pytest.mark.parametrize("name, build, in_shape, out_shape, n_params, cls", CASES,
                         ids=[c[0] for c in CASES])
def test_model_forward_backward_and_parameter_count(name, build, in_shape, out_shape, n_params,
                                                    cls):
    gn.manual_seed(0)
    model = build()
    assert count_parameters(model) == n_params
    if cls is not None:
        assert f"{n_params:,}" in cls.__doc__, f"{cls.__name__} docstring should state {n_params:,}"
    x = gn.tensor(np.random.default_rng(0).random(in_shape, dtype=np.float32))
    out = model(x)
    assert tuple(out.shape) == out_shape and out.dtype == gn.float32
    assert np.isfinite(out.detach().numpy()).all()
    (out * out).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing, f"parameters without gradient: {missing[:5]}"
    assert all(p.grad.shape == p.shape for p in model.parameters())
