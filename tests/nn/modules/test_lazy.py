"""Lazy modules: sizes inferred at the first call, then the eager class, as in PyTorch.

Checked: the shapes and class after a dry run match PyTorch's lazy modules; the initialisation is
the eager layer's (same seed, same values); the Parameter objects survive materialisation, so an
optimiser built after the dry run trains them; state_dicts load into lazy modules; and once
initialised, outputs match PyTorch with the same weights.
"""

from __future__ import annotations

import copy
import importlib

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import assert_close
from nn_helpers import copy_state

import glassnet as gn
import glassnet.nn as nn

CONV_CASES = [
    # (lazy, eager, out_channels, kernel_size, kwargs, input shape)
    ("LazyConv1d", "Conv1d", 6, 3, {"groups": 2}, (2, 4, 9)),
    ("LazyConv2d", "Conv2d", 5, 3, {"padding": 1, "bias": False}, (2, 3, 7, 7)),
    ("LazyConv3d", "Conv3d", 4, 2, {"stride": 2}, (1, 2, 5, 5, 5)),
    ("LazyConvTranspose1d", "ConvTranspose1d", 4, 3, {"stride": 2}, (2, 3, 6)),
    ("LazyConvTranspose2d", "ConvTranspose2d", 6, 3, {"groups": 3, "output_padding": 1,
                                                       "stride": 2}, (2, 3, 4, 4)),
    ("LazyConvTranspose3d", "ConvTranspose3d", 2, 2, {}, (1, 3, 3, 3, 3)),
]


def test_lazy_linear_becomes_linear(rng):
    lazy = nn.LazyLinear(5)
    assert isinstance(lazy.weight, nn.UninitializedParameter)
    with pytest.raises(RuntimeError, match="uninitialized parameter"):
        _ = lazy.weight.shape
    assert repr(lazy) == repr(tnn.LazyLinear(5))
    # PyTorch's module paths for the placeholder type
    from glassnet.nn.parameter import UninitializedParameter, is_lazy

    assert UninitializedParameter is nn.UninitializedParameter and is_lazy(lazy.weight)
    params = list(lazy.parameters())
    gn.manual_seed(3)
    x = gn.tensor(rng.standard_normal((4, 7)), dtype=gn.float32)
    y = lazy(x)
    assert type(lazy) is nn.Linear and lazy.in_features == 7
    assert type(lazy.weight) is nn.Parameter and tuple(lazy.weight.shape) == (5, 7)
    assert [id(p) for p in lazy.parameters()] == [id(p) for p in params]
    gn.manual_seed(3)
    eager = nn.Linear(7, 5)  # the same initialisation, draw for draw
    np.testing.assert_array_equal(lazy.weight.detach().numpy(), eager.weight.detach().numpy())
    np.testing.assert_array_equal(lazy.bias.detach().numpy(), eager.bias.detach().numpy())
    assert_close(y, eager(x))
    t = tnn.Linear(7, 5)
    t.load_state_dict({k: torch.tensor(v.numpy()) for k, v in lazy.state_dict().items()})
    assert_close(y, t(torch.tensor(x.numpy())))


@pytest.mark.parametrize("case", range(len(CONV_CASES)))
def test_lazy_conv_matches_torch_and_eager(case, rng):
    lazy_name, eager_name, out_ch, k, kw, shape = CONV_CASES[case]
    g = getattr(nn, lazy_name)(out_ch, k, **kw)
    t = getattr(tnn, lazy_name)(out_ch, k, **kw)
    x = rng.standard_normal(shape).astype(np.float32)
    gn.manual_seed(5)
    go = g(gn.tensor(x))
    to = t(torch.tensor(x))
    assert type(g).__name__ == eager_name == type(t).__name__
    assert repr(g) == repr(t)
    assert {k: tuple(v.shape) for k, v in g.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in t.state_dict().items()}
    gn.manual_seed(5)
    eager = getattr(nn, eager_name)(shape[1], out_ch, k, **kw)
    for name, p in eager.named_parameters():
        np.testing.assert_array_equal(getattr(g, name).detach().numpy(), p.detach().numpy())
    copy_state(t, g)
    assert_close(g(gn.tensor(x)), t(torch.tensor(x)))
    assert tuple(go.shape) == tuple(to.shape)


def test_lazy_conv_unbatched_and_errors():
    c = nn.LazyConv2d(4, 3)
    c(gn.randn(3, 8, 8))  # (C, H, W): channels from dimension 0
    assert c.in_channels == 3 and tuple(c.weight.shape) == (4, 3, 3, 3)
    with pytest.raises(RuntimeError, match="expected 3D"):
        nn.LazyConv2d(4, 3)(gn.randn(8, 8))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.LazyConv2d(4, 3, groups=2)(gn.randn(1, 3, 8, 8))
    with pytest.raises(ValueError, match="divisible by groups"):
        nn.LazyConv2d(5, 3, groups=2)


@pytest.mark.parametrize("name,shape", [("LazyBatchNorm1d", (6, 3)),
                                        ("LazyBatchNorm1d", (6, 3, 4)),
                                        ("LazyBatchNorm2d", (4, 3, 5, 5)),
                                        ("LazyBatchNorm3d", (2, 3, 2, 3, 3)),
                                        ("LazyInstanceNorm2d", (2, 3, 4, 4))])
@pytest.mark.parametrize("kw", [{}, {"affine": False}, {"bias": False}])
def test_lazy_norms_match_torch(name, shape, kw, rng):
    g, t = getattr(nn, name)(**kw), getattr(tnn, name)(**kw)
    assert repr(g) == repr(t)
    assert isinstance(g.running_mean, nn.UninitializedBuffer)
    x = rng.standard_normal(shape)
    go = g(gn.tensor(x, dtype=gn.float32))
    to = t(torch.tensor(x, dtype=torch.float32))
    assert type(g).__name__ == type(t).__name__ and g.num_features == 3
    assert_close(go, to)
    for key, v in t.state_dict().items():  # running statistics updated the same way
        assert_close(g.state_dict()[key], v, what=key)
    g.eval()
    t.eval()
    assert_close(g(gn.tensor(x, dtype=gn.float32)), t(torch.tensor(x, dtype=torch.float32)))


def test_optimizer_after_dry_run_trains(rng):
    net = nn.Sequential(nn.LazyConv2d(4, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(2))
    x = gn.tensor(rng.standard_normal((8, 1, 6, 6)), dtype=gn.float32)
    y = gn.tensor(rng.integers(0, 2, 8))
    net(x)  # dry run
    opt = gn.optim.SGD(net.parameters(), lr=0.5)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = nn.functional.cross_entropy(net(x), y)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < losses[0] * 0.7
    assert [type(m).__name__ for m in net] == ["Conv2d", "ReLU", "Flatten", "Linear"]


def test_state_dict_dtype_copy_and_hooks(rng):
    src = nn.Sequential(nn.Conv2d(2, 4, 3), nn.Flatten(), nn.Linear(4 * 4 * 4, 3))
    lazy = nn.Sequential(nn.LazyConv2d(4, 3), nn.Flatten(), nn.LazyLinear(3))
    # a state_dict gives the shapes; the class changes at the next call
    lazy.load_state_dict(src.state_dict())
    assert tuple(lazy[2].weight.shape) == (3, 64)
    x = gn.randn(2, 2, 6, 6)
    assert_close(lazy(x), src(x))
    assert type(lazy[0]) is nn.Conv2d and lazy[0].in_channels == 2
    assert lazy[2].in_features == 64
    # the lazy state_dict holds placeholders, and copies stay lazy
    fresh = nn.LazyLinear(3)
    assert all(isinstance(v, nn.UninitializedParameter) for v in fresh.state_dict().values())
    clone = copy.deepcopy(fresh)
    assert isinstance(clone.weight, nn.UninitializedParameter)
    clone.load_state_dict(fresh.state_dict())
    assert clone.has_uninitialized_params()
    # dtype set before the dry run is kept
    d = nn.LazyLinear(3).double()
    d(gn.randn(2, 4, dtype=gn.float64))
    assert d.weight.dtype == np.float64
    # forward pre-hooks registered on the lazy module still run
    seen = []
    h = nn.LazyLinear(2)
    h.register_forward_pre_hook(lambda m, args: seen.append(tuple(args[0].shape)))
    h(gn.randn(3, 4))
    assert seen == [(3, 4)] and type(h) is nn.Linear


def test_lazy_layers_become_the_eager_classes_of_those_files():
    lin, bn = nn.LazyLinear(2), nn.LazyBatchNorm2d()
    lin(gn.zeros(1, 3))
    bn(gn.zeros(2, 3, 4, 4))
    assert type(lin) is importlib.import_module("glassnet.nn.modules.linear").Linear
    assert type(bn) is importlib.import_module("glassnet.nn.modules.batchnorm").BatchNorm2d
