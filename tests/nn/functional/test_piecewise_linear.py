"""The piecewise-linear activations (relu, leaky_relu, rrelu, prelu, hardtanh, relu6,
hardsigmoid, hardswish, threshold, hardshrink, softshrink, heaviside, step) against PyTorch:
values and gradients (at the kinks too), float64 gradient checks, and the in-place forms."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, away_from, check_parity, gradcheck
from nn_helpers import module_parity

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

# (name, glassnet fn, torch fn, kinks to keep inputs away from)
CASES = [
    ("relu", F.relu, TF.relu, (0.0,)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), (0.0,)),
    ("hardtanh", F.hardtanh, TF.hardtanh, (-1.0, 1.0)),
    ("hardtanh_range", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0),
     (-0.5, 2.0)),
    ("relu6", lambda x: F.relu6(x * 4), lambda x: TF.relu6(x * 4), (0.0, 1.5)),
    ("hardsigmoid", lambda x: F.hardsigmoid(x * 4), lambda x: TF.hardsigmoid(x * 4),
     (-0.75, 0.75)),
    ("hardswish", lambda x: F.hardswish(x * 4), lambda x: TF.hardswish(x * 4), (-0.75, 0.75)),
    ("threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda x: TF.threshold(x, 0.1, -2.0),
     (0.1,)),
]
SHAPES = [(4, 6), (2, 3, 4), (6,)]


@pytest.mark.parametrize("name,gfn,tfn,kinks", CASES, ids=[c[0] for c in CASES])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_activation_parity(name, gfn, tfn, kinks, dtype, rng):
    for shape in SHAPES:
        x = away_from(rng, shape, kinks, margin=0.02) * 2
        check_parity(gfn, tfn, [x], dtype=dtype)


@pytest.mark.parametrize("name,gfn,tfn,kinks", CASES, ids=[c[0] for c in CASES])
def test_activation_gradcheck(name, gfn, tfn, kinks, rng):
    x = away_from(rng, (3, 4), kinks, margin=0.02) * 2
    gradcheck(gfn, [x])


def test_kink_gradients_follow_pytorch():
    x = np.array([-1.0, 0.0, 1.0, -6.0, 6.0], np.float64)
    for gfn, tfn in [(F.relu, TF.relu), (lambda t: F.leaky_relu(t, 0.1),
                                         lambda t: TF.leaky_relu(t, 0.1)),
                     (F.relu6, TF.relu6), (F.hardtanh, TF.hardtanh), (F.elu, TF.elu)]:
        check_parity(gfn, tfn, [x], dtype=np.float64)


def test_prelu(rng):
    x = away_from(rng, (2, 3, 4), (0.0,))
    w = np.array([0.1, 0.25, -0.3])
    check_parity(F.prelu, TF.prelu, [x, w])
    check_parity(F.prelu, TF.prelu, [x, np.array([0.2])])


def test_inplace_semantics():
    x = gn.tensor([-1.0, 2.0])
    y = F.relu(x, inplace=True)
    assert y is x and x.tolist() == [0.0, 2.0]
    a = gn.tensor([-1.0, 2.0], requires_grad=True)
    h = a * 1.0
    out = F.relu(h, inplace=True)
    assert out is h
    out.sum().backward()
    assert a.grad.tolist() == [0.0, 1.0]
    leaf = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        F.relu(leaf, inplace=True)


def test_integer_input_rejected():
    with pytest.raises(RuntimeError, match="floating"):
        F.relu(gn.tensor([1, 2]))
    with pytest.raises(ValueError, match="approximate"):
        F.gelu(gn.tensor([1.0]), approximate="fast")


@pytest.mark.parametrize("name,args", [("threshold_", (0.1, -2.0)), ("relu_", ()),
                                       ("leaky_relu_", (0.2,)), ("hardtanh_", (-0.5, 0.5)),
                                       ("rrelu_", (0.2, 0.4))])
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


def test_threshold_parity(rng):
    x = rng.standard_normal((3, 5))
    x[np.abs(x - 0.1) < 1e-3] = 0.5  # keep away from the kink
    module_parity(nn.Threshold(0.1, 20.0), tnn.Threshold(0.1, 20.0), [x])
    check_parity(lambda x: F.threshold(x, 0.1, -1.0), lambda x: TF.threshold(x, 0.1, -1.0), [x])
    gradcheck(lambda x: F.threshold(x, 0.1, -1.0), [x])
    assert repr(nn.Threshold(0.1, 20.0)) == repr(tnn.Threshold(0.1, 20.0))


def test_heaviside_values_and_no_gradient():
    x = gn.tensor([-2.0, 0.0, 3.0])
    assert F.heaviside(x, 0.5).tolist() == [0.0, 0.5, 1.0]
    np.testing.assert_array_equal(
        F.heaviside(x, 0.5).numpy(),
        torch.heaviside(torch.tensor([-2.0, 0.0, 3.0]), torch.tensor(0.5)).numpy())
    assert F.step(x).tolist() == [0.0, 1.0, 1.0]
    assert F.step(x, threshold=1.0).tolist() == [0.0, 0.0, 1.0]
    xr = gn.tensor([-1.0, 1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="no useful derivative"):
        F.heaviside(xr).sum().backward()


def test_prelu_with_one_slope_keeps_the_input_shape():
    import glassnet.nn.functional as GF

    for shape in [(), (3,), (2, 3)]:
        x = np.random.default_rng(0).standard_normal(shape)
        check_parity(lambda t, w: GF.prelu(t, w), lambda t, w: TF.prelu(t, w), [x, np.array([0.3])])
