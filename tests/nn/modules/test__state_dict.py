"""Module.state_dict and load_state_dict: shared arrays, non-persistent buffers, copies in place,
errors and strict=False, PyTorch checkpoints, and a bit-for-bit resume."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest
import torch
import torch.nn as tnn
from nn_helpers import Net

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


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


def test_state_dict_round_trip_continues_bit_for_bit(rng):
    """Save mid-training, load into a fresh model: both continue identically."""
    def build():
        return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))

    gn.manual_seed(0)
    a = build()
    xs = [gn.tensor(rng.standard_normal((6, 5)), dtype=gn.float32) for _ in range(4)]
    ys = [gn.tensor(rng.integers(0, 3, 6)) for _ in range(4)]

    def step(m, x, y):  # plain SGD, in place
        m.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        with gn.no_grad():
            for p in m.parameters():
                p._data -= 0.1 * p.grad._data
        return loss.item()

    step(a, xs[0], ys[0])
    saved = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    b = build()
    b.load_state_dict(saved)
    for x, y in zip(xs[1:], ys[1:]):
        assert step(a, x, y) == step(b, x, y)
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)


@pytest.mark.filterwarnings("ignore:Sparse CSR tensor support is in beta")
def test_sparse_parameters_in_state_dicts_like_torch(rng):
    """A sparse Parameter appears in the state_dict sparse (sharing its storage) and loads
    in place from a sparse tensor of its layout; what PyTorch refuses is an error here too."""
    a = rng.standard_normal((4, 3)) * (rng.random((4, 3)) < 0.5)
    b = a * 2 + (a == 0) * (rng.random((4, 3)) < 0.3)  # another pattern
    for to_sparse, name in ((lambda t: t.to_sparse(), "coo"), (lambda t: t.to_sparse_csr(), "csr")):
        m, tm = nn.Module(), tnn.Module()
        m.adj, tm.adj = nn.Parameter(to_sparse(gn.tensor(a))), tnn.Parameter(
            to_sparse(torch.tensor(a)))
        sd = m.state_dict()
        assert sd["adj"].layout is m.adj.layout and not sd["adj"].requires_grad
        assert np.shares_memory(sd["adj"].values().numpy(), m.adj.detach().values().numpy())
        assert m.state_dict(keep_vars=True)["adj"] is m.adj
        p = m.adj
        same_nnz = to_sparse(gn.tensor(a * 3))
        m.load_state_dict({"adj": same_nnz})
        tm.load_state_dict({"adj": to_sparse(torch.tensor(a * 3))})
        assert m.adj is p and p.requires_grad
        np.testing.assert_array_equal(p.detach().to_dense().numpy(), tm.adj.detach().to_dense()
                                      .numpy())
        other = (to_sparse(gn.tensor(b)), to_sparse(torch.tensor(b)))
        if name == "coo":  # COO takes another pattern; CSR needs the same nnz (as PyTorch)
            m.load_state_dict({"adj": other[0]})
            tm.load_state_dict({"adj": other[1]})
            np.testing.assert_array_equal(p.detach().to_dense().numpy(), b)
        else:
            with pytest.raises(RuntimeError, match='While copying the parameter named "adj"'):
                tm.load_state_dict({"adj": other[1]})
            with pytest.raises(RuntimeError, match='While copying the parameter named "adj"'):
                m.load_state_dict({"adj": other[0]})
        with pytest.raises(RuntimeError, match='While copying the parameter named "adj"'):
            tm.load_state_dict({"adj": torch.tensor(a)})
        with pytest.raises(RuntimeError, match='While copying the parameter named "adj"'):
            m.load_state_dict({"adj": gn.tensor(a)})
