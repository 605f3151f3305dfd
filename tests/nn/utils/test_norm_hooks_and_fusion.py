"""nn.utils.weight_norm / spectral_norm (hook-based), fusion and small helpers against PyTorch."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.nn as gnn
import glassnet.nn.utils as gu


def _pair(make_g, make_t, seed=0):
    torch.manual_seed(seed)
    t = make_t().double()
    g = make_g().double()
    g.load_state_dict({k: gn.tensor(v.detach().numpy()) for k, v in t.state_dict().items()})
    return g, t


def _conv_pair():
    return _pair(lambda: gnn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3))


def _step_compare(g, t, x, rtol=1e-10, atol=1e-12):
    gy, ty = g(gn.tensor(x)), t(torch.tensor(x))
    np.testing.assert_allclose(gy._data, ty.detach().numpy(), rtol=rtol, atol=atol)
    (gy * gy).sum().backward()
    (ty * ty).sum().backward()
    gp, tp = dict(g.named_parameters()), dict(t.named_parameters())
    assert list(gp) == list(tp)
    for name, p in tp.items():
        np.testing.assert_allclose(gp[name].grad._data, p.grad.numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)
        gp[name].grad, p.grad = None, None


@pytest.mark.parametrize("dim", [0, 1, None])
def test_weight_norm_matches_torch(dim):
    g, t = _conv_pair()
    with pytest.warns(FutureWarning, match="parametrizations.weight_norm"):
        gu.weight_norm(g, dim=dim)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(t, dim=dim)
    assert list(g.state_dict()) == list(t.state_dict())
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-12, err_msg=k)
    assert g.weight_g.shape == tuple(t.weight_g.shape)
    _step_compare(g, t, np.random.default_rng(0).standard_normal((2, 2, 5, 5)))
    with pytest.raises(RuntimeError, match="Cannot register two weight_norm hooks"), \
            pytest.warns(FutureWarning):
        gu.weight_norm(g, dim=dim)
    gu.remove_weight_norm(g)
    torch.nn.utils.remove_weight_norm(t)
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy(), rtol=1e-12)
    with pytest.raises(ValueError, match="weight_norm of 'weight' not found"):
        gu.remove_weight_norm(g)


@pytest.mark.parametrize("kind", ["linear", "conv", "conv_transpose"])
def test_spectral_norm_matches_torch(kind):
    if kind == "linear":
        g, t = _pair(lambda: gnn.Linear(5, 4), lambda: torch.nn.Linear(5, 4))
        shape = (3, 5)
    elif kind == "conv":
        g, t = _conv_pair()
        shape = (2, 2, 5, 5)
    else:
        g, t = _pair(lambda: gnn.ConvTranspose2d(2, 3, 3),
                     lambda: torch.nn.ConvTranspose2d(2, 3, 3))
        shape = (2, 2, 4, 4)
    gu.spectral_norm(g, n_power_iterations=2)
    torch.nn.utils.spectral_norm(t, n_power_iterations=2)
    assert list(g.state_dict()) == list(t.state_dict())
    g.weight_u._data[...] = t.weight_u.numpy()      # the random start vectors: same values
    g.weight_v._data[...] = t.weight_v.numpy()
    rng = np.random.default_rng(1)
    for _ in range(3):
        _step_compare(g, t, rng.standard_normal(shape), rtol=1e-9, atol=1e-11)
    for k, v in t.state_dict().items():
        np.testing.assert_allclose(g.state_dict()[k]._data, v.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=k)
    g.eval()
    t.eval()
    u = g.weight_u._data.copy()
    _step_compare(g, t, rng.standard_normal(shape), rtol=1e-9, atol=1e-11)
    np.testing.assert_array_equal(g.weight_u._data, u)   # no power iteration in eval
    gu.remove_spectral_norm(g)
    torch.nn.utils.remove_spectral_norm(t)
    assert list(g.state_dict()) == list(t.state_dict())
    np.testing.assert_allclose(g.weight._data, t.weight.detach().numpy(), rtol=1e-9)
    with pytest.raises(ValueError, match="n_power_iterations"):
        gu.spectral_norm(gnn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("transpose", [False, True])
def test_fuse_conv_bn_eval_matches_torch(bias, transpose):
    if transpose:
        g, t = _pair(lambda: gnn.ConvTranspose2d(2, 3, 3, bias=bias),
                     lambda: torch.nn.ConvTranspose2d(2, 3, 3, bias=bias))
    else:
        g, t = _pair(lambda: gnn.Conv2d(2, 3, 3, bias=bias),
                     lambda: torch.nn.Conv2d(2, 3, 3, bias=bias))
    gbn, tbn = _pair(lambda: gnn.BatchNorm2d(3), lambda: torch.nn.BatchNorm2d(3), seed=1)
    rng = np.random.default_rng(2)
    for name, v in [("running_mean", rng.standard_normal(3)), ("running_var", rng.random(3) + 0.5),
                    ("weight", rng.standard_normal(3)), ("bias", rng.standard_normal(3))]:
        getattr(gbn, name)._data[...] = v
        with torch.no_grad():
            getattr(tbn, name).copy_(torch.tensor(v))
    for m in (g, t, gbn, tbn):
        m.eval()
    gf = gu.fuse_conv_bn_eval(g, gbn, transpose=transpose)
    tf = torch.nn.utils.fuse_conv_bn_eval(t, tbn, transpose=transpose)
    assert gf is not g and type(gf) is type(g)
    for k, v in tf.state_dict().items():
        np.testing.assert_allclose(gf.state_dict()[k]._data, v.numpy(), rtol=1e-12, err_msg=k)
    assert gf.bias.requires_grad == tf.bias.requires_grad
    x = rng.standard_normal((2, 2, 5, 5))
    np.testing.assert_allclose(gf(gn.tensor(x))._data, gbn(g(gn.tensor(x)))._data, rtol=1e-9,
                               atol=1e-12)
    g.train()
    with pytest.raises(AssertionError, match="Fusion only for eval"):
        gu.fuse_conv_bn_eval(g, gbn)


def test_fuse_linear_bn_eval_matches_torch():
    g, t = _pair(lambda: gnn.Linear(4, 3), lambda: torch.nn.Linear(4, 3))
    gbn, tbn = _pair(lambda: gnn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), seed=1)
    rng = np.random.default_rng(3)
    x = rng.standard_normal((16, 4))
    gbn(g(gn.tensor(x)))      # training batches move the running statistics
    tbn(t(torch.tensor(x)))
    for m in (g, t, gbn, tbn):
        m.eval()
    gf, tf = gu.fuse_linear_bn_eval(g, gbn), torch.nn.utils.fuse_linear_bn_eval(t, tbn)
    for k, v in tf.state_dict().items():
        np.testing.assert_allclose(gf.state_dict()[k]._data, v.numpy(), rtol=1e-10, err_msg=k)
    with pytest.raises(AssertionError, match="To fuse"):
        gu.fuse_linear_bn_eval(g, gnn.BatchNorm1d(5).double().eval())


def test_small_helpers_and_rnn_namespace():
    m = gnn.Conv2d(1, 1, 3)
    assert gu.convert_conv2d_weight_memory_format(m, gn.channels_last if hasattr(
        gn, "channels_last") else None) is m
    lin = gu.skip_init(gnn.Linear, 3, 2)
    assert lin.weight.shape == (2, 3)
    for name in ("pack_padded_sequence", "pad_packed_sequence", "pad_sequence",
                 "pack_sequence", "PackedSequence", "unpad_sequence", "unpack_sequence"):
        assert hasattr(gu.rnn, name) == hasattr(torch.nn.utils.rnn, name), name
    public = {n for n in dir(torch.nn.utils) if not n.startswith("_")}
    missing = public - set(dir(gu)) - {"stateless", "memory_format", "init"}
    assert not missing, missing
    with pytest.warns(FutureWarning):
        deep = copy.deepcopy(gu.weight_norm(gnn.Linear(2, 2)))
    assert deep(gn.ones(1, 2)).shape == (1, 2)
