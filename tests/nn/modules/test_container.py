"""The containers (Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict), and a
Sequential MLP against PyTorch for one training step."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import assert_close
from nn_helpers import copy_state

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


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


def test_mlp_parity_train_step(rng):
    """A small MLP with every common piece: outputs, loss and all parameter gradients match."""
    def build(m):
        return m.Sequential(m.Linear(6, 16), m.BatchNorm1d(16), m.ReLU(), m.Linear(16, 16),
                            m.Tanh(), m.LayerNorm(16), m.Linear(16, 4))

    g, t = build(nn), build(tnn)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    y = rng.integers(0, 4, 8)

    class WithLoss:
        def __init__(self, net, mod, F_):
            self.net, self.F = net, F_

    copy_state(t, g)
    lg = F.cross_entropy(g(gn.tensor(x)), gn.tensor(y))
    lt = TF.cross_entropy(t(torch.tensor(x)), torch.tensor(y))
    lg.backward()
    lt.backward()
    assert abs(lg.item() - lt.item()) < 1e-5
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert_close(p.grad, tp[name].grad, 1e-4, 1e-5, name)
    for name, b in g.named_buffers():
        assert_close(b, dict(t.named_buffers())[name], 1e-5, 1e-6, name)
