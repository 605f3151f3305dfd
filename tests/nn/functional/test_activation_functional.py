"""Activations and softmax against PyTorch (values and gradients), plus float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, away_from, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

# (name, glassnet fn, torch fn, kinks to keep inputs away from)
CASES = [
    ("relu", F.relu, TF.relu, (0.0,)),
    ("leaky_relu", lambda x: F.leaky_relu(x, 0.2), lambda x: TF.leaky_relu(x, 0.2), (0.0,)),
    ("elu", lambda x: F.elu(x, 0.7), lambda x: TF.elu(x, 0.7), (0.0,)),
    ("selu", F.selu, TF.selu, (0.0,)),
    ("celu", lambda x: F.celu(x, 1.3), lambda x: TF.celu(x, 1.3), (0.0,)),
    ("gelu", F.gelu, TF.gelu, ()),
    ("gelu_tanh", lambda x: F.gelu(x, approximate="tanh"),
     lambda x: TF.gelu(x, approximate="tanh"), ()),
    ("silu", F.silu, TF.silu, ()),
    ("mish", F.mish, TF.mish, ()),
    ("sigmoid", F.sigmoid, torch.sigmoid, ()),
    ("tanh", F.tanh, torch.tanh, ()),
    ("softplus", F.softplus, TF.softplus, ()),
    ("softplus_beta", lambda x: F.softplus(x, beta=2.0, threshold=3.0),
     lambda x: TF.softplus(x, beta=2.0, threshold=3.0), (1.5,)),
    ("softsign", F.softsign, TF.softsign, (0.0,)),
    ("logsigmoid", F.logsigmoid, TF.logsigmoid, ()),
    ("hardtanh", F.hardtanh, TF.hardtanh, (-1.0, 1.0)),
    ("hardtanh_range", lambda x: F.hardtanh(x, -0.5, 2.0), lambda x: TF.hardtanh(x, -0.5, 2.0),
     (-0.5, 2.0)),
    ("relu6", lambda x: F.relu6(x * 4), lambda x: TF.relu6(x * 4), (0.0, 1.5)),
    ("hardsigmoid", lambda x: F.hardsigmoid(x * 4), lambda x: TF.hardsigmoid(x * 4),
     (-0.75, 0.75)),
    ("hardswish", lambda x: F.hardswish(x * 4), lambda x: TF.hardswish(x * 4), (-0.75, 0.75)),
    ("threshold", lambda x: F.threshold(x, 0.1, -2.0), lambda x: TF.threshold(x, 0.1, -2.0),
     (0.1,)),
    ("tanhshrink", F.tanhshrink, TF.tanhshrink, ()),
    ("glu", lambda x: F.glu(x, -1), lambda x: TF.glu(x, -1), ()),
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


def test_large_inputs_stay_finite():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0], np.float32)
    for gfn, tfn in [(F.softplus, TF.softplus), (F.sigmoid, torch.sigmoid), (F.silu, TF.silu),
                     (F.logsigmoid, TF.logsigmoid), (F.elu, TF.elu), (F.mish, TF.mish)]:
        check_parity(gfn, tfn, [x])


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


# ----------------------------------------------------------------------------- softmax
@pytest.mark.parametrize("fn", ["softmax", "log_softmax", "softmin"])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_softmax_parity(fn, dtype, rng):
    for shape, dim in [((4, 5), 1), ((4, 5), 0), ((2, 3, 4), -1), ((2, 3, 4), 1), ((7,), 0)]:
        x = rng.standard_normal(shape) * 3
        check_parity(lambda t: getattr(F, fn)(t, dim), lambda t: getattr(TF, fn)(t, dim), [x],
                     dtype=dtype)
        gradcheck(lambda t: getattr(F, fn)(t, dim), [x])


def test_softmax_lecture_example_is_stable():
    # e^10000 overflows any float; shifting by the max makes the computation exact.
    x = np.array([21.0, 34.0, 10000.0, 680.0], np.float32)
    check_parity(lambda t: F.softmax(t, 0), lambda t: TF.softmax(t, 0), [x])
    check_parity(lambda t: F.log_softmax(t, 0), lambda t: TF.log_softmax(t, 0), [x])
    p = F.softmax(gn.tensor(x), 0).numpy()
    assert np.isfinite(p).all() and p[2] == 1.0
    lp = F.log_softmax(gn.tensor(x), 0).numpy()
    np.testing.assert_allclose(lp, [21 - 10000, 34 - 10000, 0, 680 - 10000], rtol=1e-6)


@pytest.mark.parametrize("c", [-1000.0, -3.5, 0.0, 7.25, 1e4])
def test_softmax_shift_invariance(c, rng):
    x = rng.standard_normal((3, 5)).astype(np.float64) * 4
    a = F.softmax(gn.tensor(x, dtype=gn.float64), 1).numpy()
    b = F.softmax(gn.tensor(x + c, dtype=gn.float64), 1).numpy()
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-12)
    la = F.log_softmax(gn.tensor(x, dtype=gn.float64), 1).numpy()
    lb = F.log_softmax(gn.tensor(x + c, dtype=gn.float64), 1).numpy()
    np.testing.assert_allclose(la, lb, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(a.sum(1), 1.0, rtol=1e-12)


def test_softmax_implicit_dim_and_dtype():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    with pytest.warns(UserWarning):
        out = F.softmax(gn.tensor(x))
    with pytest.warns(UserWarning):
        ref = TF.softmax(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.numpy(), rtol=1e-6)
    assert F.softmax(gn.tensor(x), 1, dtype=gn.float64).dtype == gn.float64
    with pytest.raises(IndexError, match="dim"):
        F.softmax(gn.tensor(x), 2)


# ----------------------------------------------------------------------------- step
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


def test_tensor_softmax_methods(rng):
    x = rng.standard_normal((3, 4))
    check_parity(lambda t: t.softmax(1), lambda t: t.softmax(1), [x])
    check_parity(lambda t: t.log_softmax(dim=-1), lambda t: t.log_softmax(dim=-1), [x])
    check_parity(lambda t: gn.softmax(t, dim=0), lambda t: torch.softmax(t, dim=0), [x])
