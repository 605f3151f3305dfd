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
    Inception,
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


def test_lenet5_layers_follow_1998():
    classic, modern = LeNet5("classic"), LeNet5("modern")
    kinds = [type(m).__name__ for m in classic.features]
    assert kinds == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d", "Conv2d",
                     "Tanh"]
    assert [type(m).__name__ for m in modern.features][1:3] == ["ReLU", "MaxPool2d"]
    assert classic.features[0].padding in (2, (2, 2))  # 28x28 seen as 32x32
    assert LeNet5(input_size=32).features[0].padding in (0, (0, 0))
    with pytest.raises(ValueError, match="input_size"):
        LeNet5(input_size=24)
    with pytest.raises(ValueError, match="variant"):
        LeNet5("fancy")


def test_alexnet_pattern_five_conv_three_fc_overlapping_pool():
    m = AlexNet()
    convs = [l for l in m.modules() if type(l).__name__ == "Conv2d"]
    fcs = [l for l in m.modules() if type(l).__name__ == "Linear"]
    pools = [l for l in m.modules() if type(l).__name__ == "MaxPool2d"]
    assert len(convs) == 5 and len(fcs) == 3 and len(pools) == 3
    for p in pools:  # overlapping: window 3 > stride 2
        assert p.kernel_size in (3, (3, 3)) and p.stride in (2, (2, 2))
    assert sum(type(l).__name__ == "Dropout" for l in m.modules()) == 2


def test_inception_block_concatenates_branches():
    block = Inception(8, 4, 3, 5, 2, 3, 2)
    out = block(gn.randn(2, 8, 7, 7))
    assert tuple(out.shape) == (2, 4 + 5 + 3 + 2, 7, 7) and block.out_channels == 14
    # 1x1 reductions before the 3x3 and 5x5 convolutions
    assert block.branch3[0].kernel_size in (1, (1, 1))
    assert block.branch5[0].kernel_size in (1, (1, 1))
    assert block.branch5[3].kernel_size in (5, (5, 5))


def test_mlp_layers_and_errors():
    m = MLP([10, 8, 6, 3], activation="tanh", dropout=0.2, batch_norm=True)
    kinds = [type(l).__name__ for l in m]
    assert kinds == ["Flatten", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear",
                     "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    with pytest.raises(ValueError, match="sizes"):
        MLP([10])
    with pytest.raises(ValueError, match="unknown activation 'swish2'"):
        MLP([4, 4, 2], activation="swish2")


def test_autoencoder_code_and_denoising_noise():
    ae = Autoencoder((64, 16, 4))
    x = gn.rand(5, 64)
    assert tuple(ae.encode(x).shape) == (5, 4)
    y = ae(x).detach().numpy()
    assert y.shape == (5, 64) and (y >= 0).all() and (y <= 1).all()  # sigmoid output
    dae = ConvAutoencoder(1, denoising=True, noise_std=0.5)
    x = gn.rand(2, 1, 28, 28)
    assert tuple(dae.encode(x).shape) == (2, 32, 7, 7)
    dae.train()
    a, b = dae(x).detach().numpy(), dae(x).detach().numpy()
    assert not np.allclose(a, b)  # fresh noise on every training pass
    dae.eval()
    np.testing.assert_array_equal(dae(x).detach().numpy(), dae(x).detach().numpy())  # no noise in evaluation
    with pytest.raises(ValueError, match="divisible by 4"):
        dae(gn.rand(1, 1, 30, 30))
