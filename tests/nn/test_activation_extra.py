"""Hardshrink, Softshrink, RReLU, gumbel_softmax, the in-place activations, and the checks of
F.normalize / F.one_hot / F.local_response_norm against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet import backend


def _with_edges(rng, shape, lambd):
    x = rng.standard_normal(shape)
    x.flat[:3] = [lambd, -lambd, 0.0]  # the ends of the dead zone, and zero
    return x


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("lambd", [0.5, 0.0, 1.2])
def test_shrink_parity(dtype, lambd, rng):
    x = _with_edges(rng, (4, 6), np.float32(lambd))
    check_parity(lambda a: F.hardshrink(a, lambd), lambda a: TF.hardshrink(a, lambd), [x],
                 dtype=dtype)
    check_parity(lambda a: F.softshrink(a, lambd), lambda a: TF.softshrink(a, lambd), [x],
                 dtype=dtype)
    check_parity(nn.Hardshrink(lambd), tnn.Hardshrink(lambd), [x], dtype=dtype)
    check_parity(nn.Softshrink(lambd), tnn.Softshrink(lambd), [x], dtype=dtype)


def test_shrink_defaults_gradcheck_and_errors(rng):
    x = np.linspace(-2, 2, 13).reshape(1, 13) + 0.013  # away from the kinks
    check_parity(F.hardshrink, TF.hardshrink, [x])
    check_parity(F.softshrink, TF.softshrink, [x])
    gradcheck(F.softshrink, [x])
    gradcheck(F.hardshrink, [x])
    assert repr(nn.Softshrink(0.3)) == repr(tnn.Softshrink(0.3))
    assert repr(nn.Hardshrink()) == repr(tnn.Hardshrink())
    with pytest.raises(RuntimeError, match="lambda must be greater or equal to 0"):
        F.softshrink(gn.zeros(2), -0.1)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("bounds", [(1 / 8, 1 / 3), (0.1, 0.1), (0.0, 1.0)])
def test_rrelu_eval_parity(dtype, bounds, rng):
    x = rng.standard_normal((3, 5))
    lo, hi = bounds
    check_parity(lambda a: F.rrelu(a, lo, hi), lambda a: TF.rrelu(a, lo, hi), [x], dtype=dtype)
    g, t = nn.RReLU(lo, hi).eval(), tnn.RReLU(lo, hi).eval()
    check_parity(g, t, [x], dtype=dtype)
    assert repr(g) == repr(t)
    assert repr(nn.RReLU(inplace=True)) == repr(tnn.RReLU(inplace=True))


def test_rrelu_training_slopes(rng):
    x = rng.standard_normal((200, 50)).astype(np.float32)
    xt = gn.tensor(x, requires_grad=True)
    gn.manual_seed(3)
    y = F.rrelu(xt, 0.1, 0.3, training=True)
    gn.manual_seed(3)
    y2 = F.rrelu(gn.tensor(x), 0.1, 0.3, training=True)
    np.testing.assert_array_equal(y.detach().numpy(), y2.numpy())  # deterministic under a seed
    pos = x > 0
    np.testing.assert_array_equal(y.detach().numpy()[pos], x[pos])
    slopes = y.detach().numpy()[~pos] / x[~pos]
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6
    assert abs(slopes.mean() - 0.2) < 0.01 and abs(slopes.std() - 0.2 / np.sqrt(12)) < 0.01
    y.sum().backward()  # the gradient is the slope that was used
    grad = xt.grad.numpy()
    np.testing.assert_array_equal(grad[pos], 1)
    np.testing.assert_allclose(grad[~pos], slopes, rtol=1e-5)
    layer = nn.RReLU(0.1, 0.3)
    assert layer.training and not np.allclose(layer(gn.tensor(x)).numpy(),
                                              layer.eval()(gn.tensor(x)).numpy())
    assert y.dtype == gn.float32


def test_gumbel_softmax_matches_pytorch_formula_given_the_noise(rng):
    logits = rng.standard_normal((4, 6))
    for dtype in FLOAT_DTYPES:
        for hard in (False, True):
            for tau, dim in ((1.0, -1), (0.5, 0)):
                gn.manual_seed(11)
                e = backend.rng().standard_exponential(logits.shape).astype(dtype)
                gn.manual_seed(11)

                def torch_fn(a, e=e, tau=tau, dim=dim, hard=hard):
                    y = ((a - torch.from_numpy(e).log()) / tau).softmax(dim)
                    if not hard:
                        return y
                    idx = y.max(dim, keepdim=True)[1]
                    onehot = torch.zeros_like(a).scatter_(dim, idx, 1.0)
                    return onehot - y.detach() + y

                check_parity(lambda a: F.gumbel_softmax(a, tau, hard, dim=dim), torch_fn,
                             [logits], dtype=dtype)


def test_gumbel_softmax_distribution_and_hard_samples():
    logits = np.log(np.array([0.1, 0.2, 0.7], dtype=np.float32))
    x = gn.tensor(np.broadcast_to(logits, (20000, 3)).copy())
    gn.manual_seed(0)
    y = F.gumbel_softmax(x, tau=0.5, hard=True)
    assert set(np.unique(y.numpy())) <= {0.0, 1.0}
    np.testing.assert_array_equal(y.numpy().sum(1), 1)
    freq = y.numpy().mean(0)  # argmax of logits + Gumbel noise samples softmax(logits)
    np.testing.assert_allclose(freq, [0.1, 0.2, 0.7], atol=0.015)
    soft = F.gumbel_softmax(x[:5], tau=2.0)
    np.testing.assert_allclose(soft.numpy().sum(1), 1, rtol=1e-6)
    gn.manual_seed(5)
    a = F.gumbel_softmax(x[:5]).numpy()
    gn.manual_seed(5)
    np.testing.assert_array_equal(a, F.gumbel_softmax(x[:5]).numpy())
    with pytest.warns(UserWarning, match="deprecated"):
        F.gumbel_softmax(x[:2], eps=1e-5)


@pytest.mark.parametrize("name,args", [("celu_", (0.7,)), ("selu_", ()),
                                       ("threshold_", (0.1, -2.0)), ("relu_", ()),
                                       ("elu_", ()), ("leaky_relu_", (0.2,)),
                                       ("hardtanh_", (-0.5, 0.5)), ("rrelu_", (0.2, 0.4))])
def test_inplace_functions(name, args, rng):
    x = rng.standard_normal((3, 4)).astype(np.float32)
    g, t = gn.tensor(x.copy()), torch.tensor(x.copy())
    out_g = getattr(F, name)(g, *args)
    out_t = getattr(TF, name)(t, *args)
    assert out_g is g
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(out_g.numpy(), out_t.numpy(), rtol=1e-6, atol=1e-7)
    # in a graph, the result replaces the input, and the gradient is the activation's
    check_parity(lambda a: getattr(F, name)(a * 1.0, *args),
                 lambda a: getattr(TF, name)(a * 1.0, *args), [x])


def test_normalize_one_hot_local_response_norm(rng):
    x = rng.standard_normal((3, 4, 2))
    x[1, :, 0] = 0.0  # a zero vector: PyTorch's gradient there is g / eps
    for p, dim in ((2.0, 1), (1.0, -1), (3.0, 1), (2.0, 0)):
        check_parity(lambda a: F.normalize(a, p, dim), lambda a: TF.normalize(a, p, dim), [x],
                     dtype=np.float64)
    gradcheck(lambda a: F.normalize(a), [rng.standard_normal((3, 4))])
    y = rng.integers(0, 5, (2, 3))
    np.testing.assert_array_equal(F.one_hot(gn.tensor(y)).numpy(),
                                  TF.one_hot(torch.tensor(y)).numpy())
    np.testing.assert_array_equal(F.one_hot(gn.tensor(y), 7).numpy(),
                                  TF.one_hot(torch.tensor(y), 7).numpy())
    for shape, size in (((2, 5, 3, 3), 3), ((2, 6, 4), 2), ((1, 4, 2, 2, 2), 5)):
        a = rng.standard_normal(shape)
        check_parity(lambda t: F.local_response_norm(t, size, 1e-2, 0.75, 2.0),
                     lambda t: TF.local_response_norm(t, size, 1e-2, 0.75, 2.0), [a])
        check_parity(nn.LocalResponseNorm(size), tnn.LocalResponseNorm(size), [a])
