"""Linear, Bilinear, Embedding, Dropout and activation/loss layers against PyTorch.

Layer parity copies a PyTorch module's state_dict into the glassnet module (through NumPy), runs
both on the same input and compares outputs and every gradient (input and parameters).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, check_parity, gradcheck
from nn_helpers import copy_state, module_parity

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("xshape", [(5, 4), (2, 3, 4), (4,)])
def test_linear_parity(dtype, bias, xshape, rng):
    module_parity(nn.Linear(4, 3, bias=bias), tnn.Linear(4, 3, bias=bias),
                  [rng.standard_normal(xshape)], dtype)


def test_linear_functional_gradcheck_and_errors(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    gradcheck(F.linear, [x, w, b])
    check_parity(F.linear, TF.linear, [x, w, b])
    check_parity(F.linear, TF.linear, [x, w])
    with pytest.raises(RuntimeError, match=r"input has 5 features .* weight expects 4"):
        F.linear(gn.randn(2, 5), gn.tensor(w, dtype=gn.float32))
    with pytest.raises(RuntimeError, match="dtype"):
        F.linear(gn.randn(2, 4, dtype=gn.float64), gn.tensor(w, dtype=gn.float32))


def test_bilinear_parity(rng):
    module_parity(nn.Bilinear(3, 2, 4), tnn.Bilinear(3, 2, 4),
                  [rng.standard_normal((5, 3)), rng.standard_normal((5, 2))], np.float64)


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


@pytest.mark.parametrize("opts", [dict(), dict(padding_idx=1), dict(scale_grad_by_freq=True),
                                  dict(padding_idx=-1, scale_grad_by_freq=True)])
def test_embedding_parity(opts, rng):
    idx = np.array([[0, 2, 1, 2], [4, 4, 1, 3]])
    module_parity(nn.Embedding(5, 3, **opts), tnn.Embedding(5, 3, **opts), [idx])


def test_embedding_max_norm_and_errors(rng):
    w = rng.standard_normal((5, 3)).astype(np.float32) * 3
    g = nn.Embedding.from_pretrained(gn.tensor(w), freeze=False, max_norm=1.0)
    t = tnn.Embedding.from_pretrained(torch.tensor(w), freeze=False, max_norm=1.0)
    idx = np.array([0, 3, 3])
    assert_close(g(gn.tensor(idx)), t(torch.tensor(idx)), 1e-5, 1e-6)
    assert_close(g.weight, t.weight, 1e-5, 1e-6)
    with pytest.raises(IndexError, match="index 5 is out of range"):
        g(gn.tensor([5]))
    with pytest.raises(RuntimeError, match="integer"):
        g(gn.tensor([1.0]))
    assert nn.Embedding(4, 2, padding_idx=0).weight[0].abs().sum().item() == 0
    e = nn.Embedding.from_pretrained(gn.tensor(w))
    assert not e.weight.requires_grad


# ----------------------------------------------------------------------------- activation layers
@pytest.mark.parametrize("name,args", [
    ("ReLU", ()), ("LeakyReLU", (0.1,)), ("ELU", (0.5,)), ("SELU", ()), ("CELU", (1.5,)),
    ("GELU", ()), ("SiLU", ()), ("Mish", ()), ("Sigmoid", ()), ("Tanh", ()),
    ("Softplus", (2.0, 5.0)), ("Hardtanh", (-2.0, 2.0)), ("ReLU6", ()), ("Hardsigmoid", ()),
    ("Hardswish", ()), ("Softsign", ()), ("LogSigmoid", ()), ("Softmax", (1,)),
    ("LogSoftmax", (1,)), ("Softmin", (1,)), ("PReLU", (3,)), ("GLU", ()), ("Tanhshrink", ()),
])
def test_activation_layers(name, args, rng):
    x = rng.standard_normal((4, 3, 2)) * 3
    module_parity(getattr(nn, name)(*args), getattr(tnn, name)(*args), [x], np.float64)


def test_softmax2d_and_step_layers(rng):
    x = rng.standard_normal((2, 3, 2, 2))
    module_parity(nn.Softmax2d(), tnn.Softmax2d(), [x], np.float64)
    s = nn.Step()
    assert s(gn.tensor([-1.0, 0.0, 2.0])).tolist() == [0.0, 1.0, 1.0]
    assert repr(nn.Step(0.5)) == "Step(threshold=0.5)"
    assert nn.Heaviside(0.0)(gn.tensor([0.0])).tolist() == [0.0]


# ----------------------------------------------------------------------------- dropout
def test_dropout_scaling_mask_and_eval_identity():
    gn.manual_seed(0)
    p = 0.3
    d = nn.Dropout(p)
    x = gn.ones(200, 50, requires_grad=True)
    y = d(x)
    v = y.detach().numpy()
    kept = v != 0
    np.testing.assert_allclose(v[kept], 1 / (1 - p), rtol=1e-6)  # kept values scaled by 1/(1-p)
    assert abs(kept.mean() - (1 - p)) < 0.02
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), v)  # gradient uses the same mask and scale
    d.eval()
    assert d(x) is x
    assert F.dropout(x, 1.0).abs().sum().item() == 0
    assert F.dropout(x, 0.0) is x
    with pytest.raises(ValueError, match="between 0 and 1"):
        nn.Dropout(1.5)


def test_dropout_same_seed_same_mask():
    x = gn.ones(10, 10)
    gn.manual_seed(7)
    a = F.dropout(x, 0.5).numpy()
    gn.manual_seed(7)
    b = F.dropout(x, 0.5).numpy()
    c = F.dropout(x, 0.5).numpy()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(b, c)


@pytest.mark.parametrize("cls,shape", [(nn.Dropout2d, (4, 6, 3, 3)), (nn.Dropout1d, (4, 6, 5)),
                                       (nn.Dropout3d, (2, 6, 2, 2, 2)), (nn.Dropout2d, (6, 3, 3))])
def test_channel_dropout_zeroes_whole_channels(cls, shape):
    gn.manual_seed(0)
    y = cls(0.5)(gn.ones(*shape)).numpy()
    lead = 2 if len(shape) in (3, 4, 5) and not (cls is nn.Dropout2d and len(shape) == 3) else 1
    if cls is nn.Dropout2d and len(shape) == 3:
        lead = 2  # PyTorch reads a 3-D input to dropout2d as (N, C, L)
    flat = y.reshape(int(np.prod(shape[:lead])), -1)
    for row in flat:
        assert np.all(row == 0) or np.allclose(row, 2.0)
    assert 0 < (flat[:, 0] == 0).mean() < 1


def test_alpha_dropout_keeps_mean_and_variance():
    gn.manual_seed(0)
    p = 0.2
    x = gn.randn(400, 250)
    y = nn.AlphaDropout(p)(x).numpy()
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    assert nn.AlphaDropout(p).eval()(x) is x
    # Every value is either a * x + b (kept) or the constant a * alpha' + b (dropped), with the
    # same a, b and constant as PyTorch.
    ty = TF.alpha_dropout(torch.tensor(x.numpy()), p, training=True).numpy()
    vals, counts = np.unique(ty, return_counts=True)
    dropped_t = vals[counts.argmax()]
    a = 1.0 / np.sqrt((1 - p) * (1 + p * 1.7580993408473766 ** 2))
    b = a * p * 1.7580993408473766
    xs = x.numpy()
    kept_t = ty != dropped_t
    np.testing.assert_allclose(ty[kept_t], a * xs[kept_t] + b, rtol=1e-5, atol=1e-5)
    dropped_g = np.isclose(y, dropped_t, rtol=0, atol=1e-6) & ~np.isclose(a * xs + b, dropped_t)
    assert abs(dropped_g.mean() - p) < 0.01
    np.testing.assert_allclose(y[~dropped_g], a * xs[~dropped_g] + b, rtol=1e-5, atol=1e-5)
