"""CIFAR ResNets: option-A shortcuts (subsample + zero channels), plain twins without shortcuts."""

import numpy as np
import pytest

import glassnet as gn
from glassnet import models
from glassnet.models import BasicBlock, ResNet, ShortcutA


def test_shortcut_a_subsamples_and_zero_pads_channels():
    x = gn.tensor(np.random.default_rng(0).standard_normal((2, 16, 7, 7), dtype=np.float32))
    s = ShortcutA(16, 32, 2)
    out = s(x).numpy()
    assert out.shape == (2, 32, 4, 4)  # ceil(7 / 2) = 4
    np.testing.assert_array_equal(out[:, 8:24], x.numpy()[:, :, ::2, ::2])
    assert not out[:, :8].any() and not out[:, 24:].any()
    assert list(s.parameters()) == []
    assert tuple(ShortcutA(16, 16, 1)(x).shape) == (2, 16, 7, 7)
    with pytest.raises(ValueError, match="expected 8"):
        ShortcutA(8, 16, 2)(x)


def test_shortcut_gradient_flows_to_kept_pixels_only():
    x = gn.randn(1, 4, 4, 4, requires_grad=True)
    ShortcutA(4, 8, 2)(x).sum().backward()
    g = x.grad.numpy()
    np.testing.assert_array_equal(g[:, :, ::2, ::2], 1.0)
    assert g.sum() == 4 * 2 * 2


@pytest.mark.parametrize("depth", [20, 32, 44, 56, 110])
def test_resnet_structure(depth):
    m = models.get(f"resnet{depth}")
    n = (depth - 2) // 6
    blocks = [b for b in m.modules() if isinstance(b, BasicBlock)]
    assert len(blocks) == 3 * n
    convs = [c for c in m.modules() if type(c).__name__ == "Conv2d"]
    assert len(convs) + 1 == depth  # 6n + 1 convolutions and one linear layer
    shortcuts = [b.shortcut for b in blocks]
    a = [s for s in shortcuts if isinstance(s, ShortcutA)]
    assert len(a) == 2 and [s.stride for s in a] == [2, 2]  # stages 2 and 3 open with stride 2
    assert all(s is None for s in shortcuts if not isinstance(s, ShortcutA))  # identity: no module
    assert [stage[0].conv1.out_channels for stage in (m.layer1, m.layer2, m.layer3)] == [16, 32, 64]


@pytest.mark.parametrize("depth", [20, 32, 44, 56])
def test_plain_twins_have_no_shortcuts(depth):
    plain, res = models.get(f"plain{depth}"), models.get(f"resnet{depth}")
    blocks = [b for b in plain.modules() if isinstance(b, BasicBlock)]
    assert blocks and all(b.shortcut is None and not b.residual for b in blocks)
    assert not any(isinstance(m, ShortcutA) for m in plain.modules())
    assert [tuple(p.shape) for p in plain.parameters()] == [tuple(p.shape) for p in res.parameters()]


def test_plain_block_differs_from_residual_block_only_by_the_sum():
    gn.manual_seed(0)
    res = BasicBlock(4, 4, residual=True)
    plain = BasicBlock(4, 4, residual=False)
    plain.load_state_dict(res.state_dict())
    res.eval(), plain.eval()
    x = gn.randn(2, 4, 5, 5)
    relu = lambda a: np.maximum(a, 0)
    with gn.no_grad():
        inner_res = res.bn2(res.conv2(res.relu(res.bn1(res.conv1(x))))).numpy()
        np.testing.assert_allclose(res(x).numpy(), relu(inner_res + x.numpy()), rtol=1e-5,
                                   atol=1e-6)
        np.testing.assert_allclose(plain(x).numpy(), relu(inner_res), rtol=1e-5, atol=1e-6)


def test_resnet_kaiming_init_and_errors():
    gn.manual_seed(0)
    m = ResNet(56, in_channels=1)
    w = m.layer3[0].conv2.weight.detach().numpy()  # fan_in = 64 * 9
    assert abs(w.std() - np.sqrt(2.0 / (64 * 9))) < 0.1 * np.sqrt(2.0 / (64 * 9))
    with pytest.raises(ValueError, match="6n \\+ 2"):
        ResNet(21)


def test_zero_init_residual_starts_every_block_as_its_shortcut():
    gn.manual_seed(0)
    model = models.get("resnet20", in_channels=1, zero_init_residual=True)
    blocks = [m for m in model.modules() if isinstance(m, BasicBlock)]
    assert len(blocks) == 9 and all(float(b.bn2.weight.abs().sum()) == 0 for b in blocks)
    assert all(float(b.bn1.weight.sum()) == b.bn1.weight.numel() for b in blocks)
    x = gn.randn(2, 16, 8, 8)
    block = blocks[0]
    block.train()
    assert np.allclose(block(x).detach().numpy(), gn.relu(x).numpy())  # shortcut only
    plain = models.get("plain20", in_channels=1, zero_init_residual=True)  # no residual branch: unchanged
    assert all(float(m.bn2.weight.sum()) == m.bn2.weight.numel()
               for m in plain.modules() if isinstance(m, BasicBlock))
