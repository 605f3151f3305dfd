"""The pointwise maths of glassnet/ops/pointwise.py against PyTorch and finite differences:
every unary op over scalar, size-1, empty, 3-D and non-contiguous inputs, strided views, and the
conventions at kinks (abs and relu at 0, clamp at its bounds), stable sigmoid and tanh, log of 0
and of negatives."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, away_from, check_parity, gradcheck, noncontig, positive, randn

import glassnet as gn

# Shapes every unary op is tested on: scalar, size-1, empty, ordinary, 3-D with a size-1 dim,
# and "nc": a non-contiguous (strided) (3, 4) input.
UNARY_SHAPES = [(), (1,), (0,), (5,), (3, 4), (2, 1, 3), (0, 3), "nc"]

# name -> (function applied to either library's tensor, input domain)
UNARY = {
    "neg": (lambda x: -x, "any"),
    "exp": (lambda x: x.exp(), "any"),
    "log": (lambda x: x.log(), "pos"),
    "log1p": (lambda x: x.log1p(), "pos"),
    "expm1": (lambda x: x.expm1(), "any"),
    "log2": (lambda x: x.log2(), "pos"),
    "log10": (lambda x: x.log10(), "pos"),
    "sqrt": (lambda x: x.sqrt(), "pos"),
    "rsqrt": (lambda x: x.rsqrt(), "pos"),
    "square": (lambda x: x.square(), "any"),
    "reciprocal": (lambda x: x.reciprocal(), "pos"),
    "abs": (lambda x: x.abs(), "kink0"),
    "sin": (lambda x: x.sin(), "any"),
    "cos": (lambda x: x.cos(), "any"),
    "tan": (lambda x: x.tan(), "small"),
    "tanh": (lambda x: x.tanh(), "any"),
    "sigmoid": (lambda x: x.sigmoid(), "any"),
    "relu": (lambda x: x.relu(), "kink0"),
    "erf": (lambda x: x.erf(), "any"),
    "clamp": (lambda x: x.clamp(-0.5, 0.5), "kinkclamp"),
    "clamp_min": (lambda x: x.clamp(min=-0.5), "kinkclamp"),
    "clamp_max": (lambda x: x.clamp(max=0.5), "kinkclamp"),
    "pow2": (lambda x: x ** 2, "any"),
    "pow3": (lambda x: x ** 3, "any"),
    "pow_half": (lambda x: x ** 0.5, "pos"),
    "pow_neg": (lambda x: x ** -1.5, "pos"),
    "rpow": (lambda x: 2.0 ** x, "any"),
    "add_scalar": (lambda x: x + 2, "any"),
    "rsub_scalar": (lambda x: 2.5 - x, "any"),
    "mul_scalar": (lambda x: x * 2.5, "any"),
    "rdiv_scalar": (lambda x: 3 / x, "pos"),
    "div_scalar": (lambda x: x / 4, "any"),
}


def _data(rng, shape, domain):
    nc = shape == "nc"
    shape = (3, 4) if nc else shape
    if domain == "pos":
        x = positive(rng, shape)
    elif domain == "kink0":
        x = away_from(rng, shape, (0.0,))
    elif domain == "kinkclamp":
        x = away_from(rng, shape, (-0.5, 0.5))
    elif domain == "small":
        x = np.asarray(rng.uniform(-1.2, 1.2, shape))
    else:
        x = randn(rng, shape)
    return noncontig(x) if nc else x


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_parity(name, shape, dtype, rng):
    fn, domain = UNARY[name]
    check_parity(fn, fn, [_data(rng, shape, domain)], dtype=dtype)


@pytest.mark.parametrize("name", list(UNARY))
def test_unary_gradcheck(name, rng):
    fn, domain = UNARY[name]
    gradcheck(fn, [_data(rng, (3, 4), domain)])


@pytest.mark.parametrize("name", ["exp", "tanh", "sigmoid", "abs", "sqrt"])
def test_unary_on_transposed_and_sliced_views(name, rng):
    fn, domain = UNARY[name]
    x = _data(rng, (4, 6), domain)
    check_parity(lambda t: fn(t.T), lambda t: fn(t.T), [x])
    check_parity(lambda t: fn(t[1:, ::2]), lambda t: fn(t[1:, ::2]), [x])


# ----------------------------------------------------------------------------- kinks and ties
def test_abs_and_relu_gradient_at_zero_is_zero():
    x = np.array([-1.0, 0.0, 2.0, 0.0])
    for fn in (lambda t: t.abs(), lambda t: t.relu(), lambda t: torch.relu(t)
               if isinstance(t, torch.Tensor) else gn.relu(t)):
        check_parity(fn, fn, [x], upstream=np.ones(4))


def test_clamp_gradient_is_inclusive_at_the_boundaries():
    x = np.array([-2.0, -1.0, -0.5, 0.0, 1.0, 1.5])
    for fn in (lambda t: t.clamp(-1.0, 1.0), lambda t: t.clamp(min=-1.0), lambda t: t.clamp(max=1.0),
               lambda t: t.clamp(-1, 1), lambda t: t.clip(-1.0, 1.0)):
        check_parity(fn, fn, [x], upstream=np.ones(6))


def test_clamp_with_tensor_bounds(rng):
    x, lo, hi = randn(rng, (3, 4)), randn(rng, (4,)) - 1, randn(rng, (3, 1)) + 1
    check_parity(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c), [x, lo, hi])


def test_clamp_min_greater_than_max_gives_max():
    x = np.linspace(-2, 2, 7)
    check_parity(lambda t: t.clamp(1.0, -1.0), lambda t: t.clamp(1.0, -1.0), [x])


def test_sigmoid_is_stable_for_large_inputs():
    x = np.array([-1000.0, -50.0, 0.0, 50.0, 1000.0])
    check_parity(lambda t: t.sigmoid(), lambda t: t.sigmoid(), [x])
    check_parity(lambda t: t.tanh(), lambda t: t.tanh(), [x])


def test_log_of_zero_and_negative_match_torch():
    x = np.array([0.0, -1.0, 1.0])
    gx = gn.tensor(x, dtype=gn.float32)
    with np.errstate(all="ignore"):
        out = gx.log().numpy()
    np.testing.assert_array_equal(np.isnan(out), [False, True, False])
    assert out[0] == -np.inf


def test_clamp_with_tensor_bounds_at_ties_and_crossed_bounds():
    """x, min and max gradients where x == min, x == max, min == max and min > max, as PyTorch
    routes them: x where min <= x <= max; min where x < min < max; max where x > max or
    max < min."""
    x = np.array([1.0, 2.0, 3.0, 5.0, 0.0, 2.0, 4.0, -1.0, 0.5])
    lo = np.array([1.0, 0.0, 3.0, 6.0, 1.0, 3.0, 4.0, 0.0, 0.5])
    hi = np.array([4.0, 2.0, 3.0, 4.0, -1.0, 1.0, 4.0, 0.0, 0.5])
    for dtype in FLOAT_DTYPES:
        check_parity(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c), [x, lo, hi],
                     dtype=dtype)
        check_parity(lambda a, b: gn.clamp(a, min=b), lambda a, b: torch.clamp(a, min=b),
                     [x, lo], dtype=dtype)
        check_parity(lambda a, c: gn.clamp(a, max=c), lambda a, c: torch.clamp(a, max=c),
                     [x, hi], dtype=dtype)
    # broadcast bounds at ties, and the gradient of the gradient (zero: clamp is piecewise linear)
    xb = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 3.0]])
    check_parity(lambda a, b, c: a.clamp(b, c), lambda a, b, c: a.clamp(b, c),
                 [xb, np.array([0.0, 1.0, 2.5]), np.array([[1.0], [3.0]])], dtype=np.float64)
    a = gn.tensor(x, requires_grad=True)
    b, c = gn.tensor(lo, requires_grad=True), gn.tensor(hi, requires_grad=True)
    grads = gn.autograd.grad(a.clamp(b, c).sum(), (a, b, c), create_graph=True)
    ta = torch.tensor(x, requires_grad=True)
    tb, tc = torch.tensor(lo, requires_grad=True), torch.tensor(hi, requires_grad=True)
    tgrads = torch.autograd.grad(ta.clamp(tb, tc).sum(), (ta, tb, tc))
    for g, t in zip(grads, tgrads):
        np.testing.assert_array_equal(g.detach().numpy(), t.numpy())
