"""Elementwise ops against PyTorch and finite differences: unary maths, binary arithmetic with
broadcasting, scalars, dtype promotion, comparisons, and the subgradient conventions at kinks."""

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


# ----------------------------------------------------------------------------- binary ops
BROADCAST_PAIRS = [
    ((), ()), ((3,), ()), ((), (3,)), ((1,), (1,)), ((4,), (4,)), ((2, 3), (3,)),
    ((2, 3), (2, 1)), ((2, 1, 4), (3, 1)), ((4, 1), (1, 5)), ((1, 3), (2, 1, 3)),
    ((0,), (1,)), ((0, 3), (3,)), ((2, 0), (2, 1)), ("nc", (3, 4)), ((4,), "nc"),
]

BINARY = {
    "add": (lambda a, b: a + b, "any"),
    "sub": (lambda a, b: a - b, "any"),
    "mul": (lambda a, b: a * b, "any"),
    "div": (lambda a, b: a / b, "posb"),
    "pow": (lambda a, b: a ** b, "posa"),
    "maximum": (None, "distinct"),
    "minimum": (None, "distinct"),
    "add_alpha": (lambda a, b: a.add(b, alpha=2.0), "any"),
    "sub_alpha": (lambda a, b: a.sub(b, alpha=0.5), "any"),
}


def _binary_fns(name):
    if name in ("maximum", "minimum"):
        return (lambda a, b: getattr(gn, name)(a, b)), (lambda a, b: getattr(torch, name)(a, b))
    fn = BINARY[name][0]
    return fn, fn


def _pair(rng, sa, sb, domain):
    def one(shape, pos):
        nc = shape == "nc"
        shape = (3, 4) if nc else shape
        x = positive(rng, shape) if pos else randn(rng, shape)
        if domain == "distinct":  # no ties between a and b
            x = np.asarray(x + (0.0 if pos else rng.choice([-0.3, 0.3], shape)))
        return noncontig(x) if nc else x

    a = one(sa, domain == "posa")
    b = one(sb, domain == "posb")
    if domain == "distinct":
        shape = np.broadcast_shapes(np.shape(a), np.shape(b))
        close = np.abs(np.broadcast_to(a, shape) - np.broadcast_to(b, shape)) < 0.05
        if close.any():
            a = np.asarray(a + 0.5)  # shift a away from b (ties are tested separately)
    return a, b


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_parity(name, shapes, dtype, rng):
    g, t = _binary_fns(name)
    a, b = _pair(rng, *shapes, BINARY[name][1])
    check_parity(g, t, [a, b], dtype=dtype)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 3), (3,)), ((2, 1, 4), (3, 1))], ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name, shapes, rng):
    g, _ = _binary_fns(name)
    a, b = _pair(rng, *shapes, BINARY[name][1])
    gradcheck(g, [a, b])


def test_binary_one_side_requires_grad(rng):
    a, b = randn(rng, (3, 4)), randn(rng, (4,))
    for fn in (lambda x, y: x * y, lambda x, y: x / y, lambda x, y: x - y):
        check_parity(fn, fn, [a, b], grad_inputs=[0])
        check_parity(fn, fn, [a, b], grad_inputs=[1])


def test_where_parity_and_grad(rng):
    cond = rng.random((3, 4)) > 0.5
    a, b = randn(rng, (3, 4)), randn(rng, (4,))
    check_parity(lambda c, x, y: gn.where(c, x, y), lambda c, x, y: torch.where(c, x, y),
                 [cond, a, b])
    check_parity(lambda c, x, y: gn.where(c, x, y), lambda c, x, y: torch.where(c, x, y),
                 [cond[:, :1], a, b], dtype=np.float64)
    check_parity(lambda c, x: gn.where(c, x, 0.0), lambda c, x: torch.where(c, x, 0.0), [cond, a])
    check_parity(lambda c, x: x.masked_fill(c, -1.0), lambda c, x: x.masked_fill(c, -1.0),
                 [cond, a])
    gradcheck(lambda x, y: gn.where(gn.tensor(cond), x, y), [a, b])


def test_where_one_argument_is_nonzero():
    c = np.array([[True, False], [False, True]])
    got = gn.where(gn.tensor(c))
    exp = torch.where(torch.tensor(c))
    assert len(got) == len(exp)
    for g, e in zip(got, exp):
        np.testing.assert_array_equal(g.numpy(), e.numpy())


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


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="clamp"):
        gn.ones(3).clamp()


@pytest.mark.parametrize("name", ["maximum", "minimum"])
def test_maximum_minimum_ties_split_the_gradient(name):
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 5.0])
    g, t = _binary_fns(name)
    check_parity(g, t, [a, b], upstream=np.ones(4))
    check_parity(g, t, [a, np.array(1.0)], upstream=np.ones(4))


def test_pow_special_cases():
    # x ** 0 has gradient 0 everywhere (even at x = 0); 0 ** y for a tensor exponent
    x = np.array([0.0, 1.5, -2.0])
    check_parity(lambda t: t ** 0, lambda t: t ** 0, [x])
    check_parity(lambda t: t ** 2, lambda t: t ** 2, [x])
    check_parity(lambda t: t ** 1, lambda t: t ** 1, [x])
    base = np.array([0.0, 2.0, 3.0])
    ex = np.array([2.0, 0.5, 0.0])
    check_parity(lambda a, b: a ** b, lambda a, b: a ** b, [base, ex])


def test_tensor_exponent_pow_with_scalar_base(rng):
    e = randn(rng, (3,))
    check_parity(lambda t: 3.0 ** t, lambda t: 3.0 ** t, [e])
    gradcheck(lambda t: 0.5 ** t, [e])


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


def test_elementwise_functional_forms(rng):
    x = positive(rng, (2, 3))
    for name in ["exp", "log", "sqrt", "abs", "sin", "cos", "tanh", "sigmoid", "relu", "neg",
                 "square", "rsqrt", "log1p", "expm1", "reciprocal", "erf"]:
        check_parity(getattr(gn, name), getattr(torch, name), [x])
    y = randn(rng, (3,))
    for name in ["add", "sub", "mul", "div", "pow", "maximum", "minimum"]:
        check_parity(getattr(gn, name), getattr(torch, name), [x, y + 3.0])


def test_rounding_ops_have_zero_gradient(rng):
    x = randn(rng, (3, 4)) * 3
    for name in ["floor", "ceil", "round", "trunc", "sign"]:
        out = getattr(gn.tensor(x), name)()
        np.testing.assert_array_equal(out.numpy(), getattr(torch.tensor(x), name)().numpy())


def test_erf_matches_torch(rng):
    x = randn(rng, (50,), scale=2)
    check_parity(lambda t: t.erf(), lambda t: t.erf(), [x], dtype=np.float64)


# ----------------------------------------------------------------------------- comparisons
COMPARISONS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt_scalar": lambda a, b: a < 0.25, "ge_rscalar": lambda a, b: 0.25 >= b,
    "eq_method": lambda a, b: a.eq(b), "gt_method": lambda a, b: a.gt(b),
}


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparisons_broadcast_and_give_bool_without_grad(name, shapes, rng):
    a, b = _pair(rng, *shapes, "any")
    b = np.where(rng.random(np.shape(b)) < 0.3, 0.25, b)  # some exact ties
    a = np.where(rng.random(np.shape(a)) < 0.3, 0.25, a)
    fn = COMPARISONS[name]
    g, _ = check_parity(fn, fn, [a, b])
    assert g[0].dtype == gn.bool and not g[0].requires_grad


def test_logical_ops_on_bool_tensors(rng):
    a, b = rng.random((3, 4)) > 0.5, rng.random((4,)) > 0.5
    for fn in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        check_parity(fn, fn, [a, b])
