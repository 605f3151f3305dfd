"""nn.Module: registration, traversal, state_dict, modes, hooks, dtype, repr, containers."""

from __future__ import annotations

import copy
from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(4, 8)
        self.bn = nn.BatchNorm1d(8)
        self.fc2 = nn.Linear(8, 3)
        self.scale = nn.Parameter(gn.ones(1))
        self.register_buffer("step", gn.zeros(1))
        self.register_buffer("scratch", gn.zeros(2), persistent=False)

    def forward(self, x):
        return self.fc2(F.relu(self.bn(self.fc1(x)))) * self.scale


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(gn.zeros(2))
    assert isinstance(p, gn.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    t = gn.ones(3)
    assert nn.Parameter(t)._data is t._data  # shares the array, like PyTorch
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert type(p * 2) is gn.Tensor  # ops on a Parameter give plain tensors


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


def test_state_dict_shares_arrays_and_skips_non_persistent():
    m = Net()
    sd = m.state_dict()
    assert isinstance(sd, OrderedDict)
    assert list(sd) == ["scale", "step", "fc1.weight", "fc1.bias", "bn.weight", "bn.bias",
                        "bn.running_mean", "bn.running_var", "bn.num_batches_tracked",
                        "fc2.weight", "fc2.bias"]
    assert not sd["fc1.weight"].requires_grad
    assert sd["fc1.weight"]._data is m.fc1.weight._data
    kv = m.state_dict(keep_vars=True)
    assert kv["fc1.weight"] is m.fc1.weight


def test_load_state_dict_copies_in_place_and_round_trips_bit_for_bit():
    gn.manual_seed(1)
    a, b = Net(), Net()
    x = gn.randn(5, 4)
    a(x)  # move batch-norm statistics
    arr = b.fc1.weight._data
    res = b.load_state_dict({k: v.clone() for k, v in a.state_dict().items()})
    assert res.missing_keys == [] and res.unexpected_keys == []
    assert b.fc1.weight._data is arr  # copied into the existing array
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)
    a.eval(), b.eval()
    np.testing.assert_array_equal(a(x).detach().numpy(), b(x).detach().numpy())
    # numpy arrays are accepted too
    b.load_state_dict({k: v.numpy() for k, v in a.state_dict().items()})
    # assign=True takes the given arrays instead of copying into the existing ones
    new = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    b.load_state_dict(new, assign=True)
    assert b.fc1.weight._data is new["fc1.weight"] and isinstance(b.fc1.weight, nn.Parameter)


def test_load_state_dict_errors_and_non_strict():
    m = nn.Linear(2, 3)
    with pytest.raises(RuntimeError) as e:
        m.load_state_dict({"weight": gn.zeros(3, 3), "bias": gn.zeros(3), "x": gn.zeros(1)})
    msg = str(e.value)
    assert "size mismatch for weight" in msg and "(3, 3)" in msg and "(3, 2)" in msg
    assert 'Unexpected key(s) in state_dict: "x"' in msg
    with pytest.raises(RuntimeError, match='Missing key\\(s\\) in state_dict: "bias"'):
        m.load_state_dict({"weight": gn.zeros(3, 2)})
    res = m.load_state_dict({"weight": gn.zeros(3, 2), "extra.w": gn.zeros(1)}, strict=False)
    assert res.missing_keys == ["bias"] and res.unexpected_keys == ["extra.w"]
    assert m.weight.abs().sum().item() == 0
    with pytest.raises(RuntimeError, match="size mismatch"):
        m.load_state_dict({"weight": gn.zeros(2, 2)}, strict=False)
    # checkpoints without num_batches_tracked still load into BatchNorm
    bn = nn.BatchNorm1d(3)
    sd = {k: v for k, v in bn.state_dict().items() if k != "num_batches_tracked"}
    assert bn.load_state_dict(sd).missing_keys == []


def test_torch_state_dict_interop():
    tm = tnn.Sequential(tnn.Linear(4, 6), tnn.BatchNorm1d(6), tnn.ReLU(), tnn.Linear(6, 2))
    gm = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    tm.train()
    tm(torch.randn(8, 4))
    assert list(tm.state_dict()) == list(gm.state_dict())
    gm.load_state_dict({k: v.numpy() for k, v in tm.state_dict().items()})
    assert int(gm[1].num_batches_tracked.item()) == 1
    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    tm.eval(), gm.eval()
    np.testing.assert_allclose(gm(gn.tensor(x)).detach().numpy(),
                               tm(torch.tensor(x)).detach().numpy(), rtol=1e-5, atol=1e-6)


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


def test_forward_hooks_and_handles():
    m = nn.Linear(2, 3)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    m(gn.randn(4, 2))
    assert calls == [("pre", (4, 2)), ("post", (4, 3))]
    h1.remove()
    h2.remove()
    m(gn.randn(1, 2))
    assert len(calls) == 2
    # hooks that replace the input / output
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    with m.register_forward_hook(lambda mod, args, out: out + 1):
        out = m(gn.randn(2, 2))
    expect = (m.bias + 1).detach().numpy()[None].repeat(2, 0)
    np.testing.assert_allclose(out.detach().numpy(), expect)
    # with_kwargs
    seen = {}
    m2 = nn.Linear(2, 2)
    m2.register_forward_hook(lambda mod, a, kw, out: seen.update(kw), with_kwargs=True)
    m2(input=gn.randn(1, 2))
    assert "input" in seen


def test_backward_hook_sees_grad_output_and_grad_input():
    m = nn.Linear(3, 2)
    got = {}

    def hook(mod, gin, gout):
        got["gin"], got["gout"] = gin, gout

    m.register_full_backward_hook(hook)
    x = gn.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    np.testing.assert_allclose(got["gout"][0].numpy(), np.ones((4, 2)))
    np.testing.assert_allclose(got["gin"][0].numpy(), x.grad.numpy(), rtol=1e-6)
    tm = tnn.Linear(3, 2)
    tm.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in m.state_dict().items()})
    tgot = {}
    tm.register_full_backward_hook(lambda mod, gi, go: tgot.update(gin=gi))
    xt = torch.from_numpy(x.detach().numpy()).requires_grad_()
    tm(xt).sum().backward()
    np.testing.assert_allclose(got["gin"][0].numpy(), tgot["gin"][0].numpy(), rtol=1e-5)


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


def test_sequential_container():
    s = nn.Sequential(nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1))
    assert len(s) == 3 and isinstance(s[0], nn.Linear) and isinstance(s[-1], nn.Linear)
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and len(sub) == 2 and sub[0] is s[1]
    assert [type(m).__name__ for m in s] == ["Linear", "ReLU", "Linear"]
    s.append(nn.Sigmoid())
    assert len(s) == 4 and list(s._modules) == ["0", "1", "2", "3"]
    with pytest.raises(IndexError):
        s[10]
    od = nn.Sequential(OrderedDict([("fc", nn.Linear(2, 2)), ("act", nn.Tanh())]))
    assert od.fc is od[0] and list(od.state_dict()) == ["fc.weight", "fc.bias"]
    del s[1]
    assert len(s) == 3 and list(s._modules) == ["0", "1", "2"]
    assert s(gn.randn(4, 2)).shape == (4, 1)


def test_module_list_dict_parameter_list():
    ml = nn.ModuleList([nn.Linear(2, 2)])
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml.insert(0, nn.Identity())
    assert [type(m).__name__ for m in ml] == ["Identity", "Linear", "ReLU", "Tanh"]
    assert len(list(ml.parameters())) == 2 and isinstance(ml[1:], nn.ModuleList)
    md = nn.ModuleDict({"a": nn.Linear(1, 1)})
    md["b"] = nn.ReLU()
    assert list(md.keys()) == ["a", "b"] and "a" in md and len(md) == 2
    assert list(md.state_dict()) == ["a.weight", "a.bias"]
    pl = nn.ParameterList([nn.Parameter(gn.zeros(2)), gn.ones(3)])
    assert len(pl) == 2 and isinstance(pl[1], nn.Parameter)
    assert list(pl.state_dict()) == ["0", "1"] and len(list(pl.parameters())) == 2
    pd = nn.ParameterDict({"x": nn.Parameter(gn.zeros(1))})
    assert list(pd.state_dict()) == ["x"]
    assert nn.Identity(3, foo=1)(gn.ones(2)).tolist() == [1.0, 1.0]


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
