"""Arithmetic with broadcasting (glassnet/ops/arithmetic.py) against PyTorch and finite
differences: add, sub, mul, div, pow, maximum and minimum over pairs of broadcast shapes, one side
requiring grad, where, the split gradient at ties, and pow's special cases."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import BROADCAST_PAIRS, FLOAT_DTYPES, broadcast_pair, check_parity, gradcheck, randn

import glassnet as gn


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


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_parity(name, shapes, dtype, rng):
    g, t = _binary_fns(name)
    a, b = broadcast_pair(rng, *shapes, BINARY[name][1])
    check_parity(g, t, [a, b], dtype=dtype)


@pytest.mark.parametrize("shapes", [((3, 4), (3, 4)), ((2, 3), (3,)), ((2, 1, 4), (3, 1))], ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name, shapes, rng):
    g, _ = _binary_fns(name)
    a, b = broadcast_pair(rng, *shapes, BINARY[name][1])
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


def test_nextafter_and_frexp_gradients():
    """nextafter: d/dself = 1, d/dother = 0; frexp: d mantissa / dx = 2^-exponent."""
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((3, 4)), rng.standard_normal(4)
    check_parity(lambda x, y: x.nextafter(y), lambda x, y: x.nextafter(y), [a, b])
    check_parity(lambda x, y: x.nextafter(y), lambda x, y: x.nextafter(y), [a, b],
                 dtype=np.float64)
    x = rng.uniform(-40, 40, 20)
    check_parity(lambda t: t.frexp()[0], lambda t: torch.frexp(t)[0], [x], dtype=np.float64)
    check_parity(lambda t: t.frexp(), lambda t: torch.frexp(t), [x.astype(np.float32)])
    gradcheck(lambda t: t.frexp()[0], [x])
