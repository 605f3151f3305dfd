"""nn.Module: registration, traversal, attribute rules, modes, dtype, repr, copies."""

from __future__ import annotations

import copy

import pytest
import torch.nn as tnn
from nn_helpers import Net

import glassnet as gn
import glassnet.nn as nn


def test_registration_and_traversal():
    m = Net()
    names = [n for n, _ in m.named_parameters()]
    assert names == ["scale", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias", "fc2.weight",
                     "fc2.bias"]
    assert len(list(m.parameters())) == 7
    assert len(list(m.parameters(recurse=False))) == 1
    assert [n for n, _ in m.named_buffers()] == [
        "step", "scratch", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked"]
    assert [n for n, _ in m.named_children()] == ["fc1", "bn", "fc2"]
    assert [n for n, _ in m.named_modules()] == ["", "fc1", "bn", "fc2"]
    assert len(list(m.modules())) == 4 and next(m.children()) is m.fc1
    assert m.get_submodule("bn") is m.bn and m.get_parameter("fc1.bias") is m.fc1.bias
    assert m.get_buffer("bn.running_var") is m.bn.running_var
    with pytest.raises(AttributeError):
        m.get_submodule("nope")
    # shared modules / parameters are reported once
    shared = nn.Linear(2, 2)
    s = nn.Sequential(shared, nn.ReLU(), shared)
    assert len(list(s.parameters())) == 2
    assert len(list(s.named_modules())) == 3


def test_setattr_rules():
    m = nn.Module()
    with pytest.raises(TypeError):
        m.register_parameter("w", gn.zeros(2))
    m.w = nn.Parameter(gn.zeros(2))
    with pytest.raises(TypeError, match="parameter 'w'"):
        m.w = gn.zeros(2)
    m.w = None
    assert m.w is None and list(m.parameters()) == []
    m.register_buffer("b", gn.zeros(1))
    m.b = gn.ones(1)
    assert m.b.item() == 1.0 and "b" in dict(m.named_buffers())
    m.child = nn.Linear(1, 1)
    del m.child
    assert not hasattr(m, "child")
    with pytest.raises(KeyError):
        m.register_buffer("a.b", gn.zeros(1))
    m.add_module("sub", nn.ReLU())
    m.register_module("sub2", nn.Tanh())
    assert [n for n, _ in m.named_children()] == ["sub", "sub2"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = m.missing
    m.buf = nn.Buffer(gn.zeros(3))
    assert "buf" in dict(m.named_buffers())


def test_train_eval_requires_grad_zero_grad_apply():
    m = Net()
    assert m.training and m.bn.training
    assert m.eval() is m and not m.bn.training and not m.fc1.training
    m.train()
    assert m.bn.training
    with pytest.raises(ValueError):
        m.train("yes")
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    m.requires_grad_(True)
    m(gn.randn(3, 4)).sum().backward()
    assert all(p.grad is not None for p in m.parameters())
    m.zero_grad(set_to_none=False)
    assert all(p.grad is not None and p.grad.abs().sum().item() == 0 for p in m.parameters())
    m.zero_grad()
    assert all(p.grad is None for p in m.parameters())
    seen = []
    m.apply(lambda mod: seen.append(type(mod).__name__))
    assert seen == ["Linear", "BatchNorm1d", "Linear", "Net"]


def test_to_double_float_keeps_parameter_objects():
    m = Net()
    w = m.fc1.weight
    m(gn.randn(3, 4)).sum().backward()
    assert m.double() is m
    assert m.fc1.weight is w and w.dtype == gn.float64 and w.grad.dtype == gn.float64
    assert m.bn.running_mean.dtype == gn.float64
    assert m.bn.num_batches_tracked.dtype == gn.int64  # integer buffers keep their dtype
    assert m(gn.randn(2, 4, dtype=gn.float64)).dtype == gn.float64
    m.float()
    assert w.dtype == gn.float32
    m.to(gn.float64)
    assert w.dtype == gn.float64
    m.to("cpu", dtype=gn.float32)
    assert w.dtype == gn.float32
    m.cpu()
    with pytest.raises(TypeError, match="floating"):
        m.to(gn.int64)


def test_repr_matches_pytorch():
    gm = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.BatchNorm1d(3), nn.Dropout(0.1),
                       nn.Sequential(nn.Tanh(), nn.Identity()), nn.LayerNorm(3),
                       nn.GroupNorm(1, 3), nn.Embedding(5, 3, padding_idx=0),
                       nn.LeakyReLU(0.2), nn.GELU(approximate="tanh"), nn.Softmax(dim=1),
                       nn.ELU(), nn.Softplus(), nn.Hardtanh(), nn.ReLU6(), nn.ReLU(inplace=True),
                       nn.CrossEntropyLoss(), nn.MSELoss(), nn.Linear(3, 1, bias=False),
                       nn.InstanceNorm2d(3), nn.Dropout2d(0.2), nn.SiLU(), nn.Sigmoid(),
                       nn.LogSoftmax(dim=-1), nn.Bilinear(2, 3, 4))
    tm = tnn.Sequential(tnn.Linear(2, 3), tnn.ReLU(), tnn.BatchNorm1d(3), tnn.Dropout(0.1),
                        tnn.Sequential(tnn.Tanh(), tnn.Identity()), tnn.LayerNorm(3),
                        tnn.GroupNorm(1, 3), tnn.Embedding(5, 3, padding_idx=0),
                        tnn.LeakyReLU(0.2), tnn.GELU(approximate="tanh"), tnn.Softmax(dim=1),
                        tnn.ELU(), tnn.Softplus(), tnn.Hardtanh(), tnn.ReLU6(),
                        tnn.ReLU(inplace=True), tnn.CrossEntropyLoss(), tnn.MSELoss(),
                        tnn.Linear(3, 1, bias=False), tnn.InstanceNorm2d(3), tnn.Dropout2d(0.2),
                        tnn.SiLU(), tnn.Sigmoid(), tnn.LogSoftmax(dim=-1), tnn.Bilinear(2, 3, 4))
    assert repr(gm) == repr(tm)
    assert repr(nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] + [nn.ReLU()])) == repr(
        tnn.ModuleList([tnn.Linear(2, 2) for _ in range(3)] + [tnn.ReLU()]))
    assert repr(nn.ModuleDict({"a": nn.ReLU()})) == repr(tnn.ModuleDict({"a": tnn.ReLU()}))
    assert repr(nn.Sequential()) == "Sequential()"


def test_deepcopy_gives_independent_parameters():
    m = Net()
    c = copy.deepcopy(m)
    assert isinstance(c.fc1.weight, nn.Parameter)
    assert c.fc1.weight is not m.fc1.weight
    with gn.no_grad():
        c.fc1.weight._data[...] = 0
    assert m.fc1.weight.abs().sum().item() > 0


def test_forward_missing_and_call():
    class NoForward(nn.Module):
        pass

    with pytest.raises(NotImplementedError, match="forward"):
        NoForward()(gn.ones(1))


def test_to_empty_keeps_shapes_and_dtypes_as_pytorch():
    import torch

    for lib in (torch, gn):
        m = lib.nn.Sequential(lib.nn.Linear(3, 2), lib.nn.BatchNorm1d(2))
        params = list(m.parameters())
        out = m.to_empty(device="cpu")
        assert out is m
        assert [tuple(p.shape) for p in m.parameters()] == [(2, 3), (2,), (2,), (2,)]
        assert list(m.parameters())[0] is params[0]  # the Parameter objects stay
        assert m[1].running_mean.shape == (2,)
        m[0].reset_parameters()
        assert m(lib.ones(4, 3)).shape == (4, 2)
