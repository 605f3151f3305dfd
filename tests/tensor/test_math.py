"""Tensor pointwise maths (glassnet/tensor/math.py) against PyTorch and finite differences:
inverse trigonometric and hyperbolic functions, the special functions, the composed ones (logit,
frac, xlogy, hypot, addcmul, copysign...), the binary ones (atan2, fmod, hypot, logaddexp, fmax,
dist, lerp...), nan_to_num, rounding (zero gradient), clamp's arguments, and the quiet handling of
log(0), 0/0 and overflow."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck, noncontig, randn

import glassnet as gn

SHAPES = [(), (0,), "nc"]  # scalar, empty, a non-contiguous (3, 4) view

# name -> (function for either library, domain (low, high))
UNARY = {
    "asin": (lambda x: x.asin(), (-0.9, 0.9)),
    "acos": (lambda x: x.acos(), (-0.9, 0.9)),
    "atan": (lambda x: x.atan(), (-3, 3)),
    "arcsin": (lambda x: x.arcsin(), (-0.9, 0.9)),
    "sinh": (lambda x: x.sinh(), (-3, 3)),
    "cosh": (lambda x: x.cosh(), (-3, 3)),
    "asinh": (lambda x: x.asinh(), (-3, 3)),
    "acosh": (lambda x: x.acosh(), (1.2, 4)),
    "atanh": (lambda x: x.atanh(), (-0.9, 0.9)),
    "tan": (lambda x: x.tan(), (-1.2, 1.2)),
    "expm1": (lambda x: x.expm1(), (-1e-3, 1e-3)),
    "exp2": (lambda x: x.exp2(), (-3, 3)),
    "log2": (lambda x: x.log2(), (0.2, 4)),
    "log10": (lambda x: x.log10(), (0.2, 4)),
    "erfc": (lambda x: x.erfc(), (-2, 2)),
    "erfinv": (lambda x: x.erfinv(), (-0.9, 0.9)),
    "lgamma": (lambda x: x.lgamma(), (0.3, 5)),
    "digamma": (lambda x: x.digamma(), (0.3, 5)),
    "sinc": (lambda x: x.sinc(), (-2, 2)),
    "logit": (lambda x: x.logit(), (0.1, 0.9)),
    "logit_eps": (lambda x: x.logit(eps=0.2), (0.05, 0.95)),
    "frac": (lambda x: x.frac(), (-3, 3)),
    "deg2rad": (lambda x: x.deg2rad(), (-90, 90)),
    "rad2deg": (lambda x: x.rad2deg(), (-3, 3)),
    "nan_to_num": (lambda x: x.nan_to_num(), (-3, 3)),
    "xlogy_self": (lambda x: x.xlogy(x.abs() + 0.5), (-2, 2)),
    "hypot_s": (lambda x: x.hypot(x * 0.5 + 1), (-2, 2)),
    "addcmul": (lambda x: x.addcmul(x, x * 2, value=0.5), (-2, 2)),
    "addcdiv": (lambda x: x.addcdiv(x, x.abs() + 1, value=-2), (-2, 2)),
    "copysign": (lambda x: x.copysign(-1.0), (-2, 2)),
    "clamp_min": (lambda x: x.clamp_min(0.3), (-2, 2)),
}


def _data(rng, shape, dom, dtype=np.float64):
    nc = shape == "nc"
    shape = (3, 4) if nc else shape
    x = rng.uniform(dom[0], dom[1], shape).astype(dtype)
    return noncontig(x) if nc else x


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", list(UNARY))
def test_unary_parity(name, shape, dtype, rng):
    fn, dom = UNARY[name]
    tol = {"rtol": 2e-4, "atol": 2e-5} if dtype == np.float32 else {}
    check_parity(fn, fn, [_data(rng, shape, dom)], dtype=dtype, **tol)


@pytest.mark.parametrize("name", [n for n in UNARY if n not in ("frac", "clamp_min")])
def test_unary_gradcheck(name, rng):
    fn, dom = UNARY[name]
    gradcheck(fn, [_data(rng, (2, 3), dom)])


BINARY = {
    "atan2": (lambda a, b: a.atan2(b), lambda m: gn.atan2 if m is gn else torch.atan2),
    "fmod": (lambda a, b: a.fmod(b), None),
    "remainder": (lambda a, b: a.remainder(b), None),
    "mod_op": (lambda a, b: a % b, None),
    "hypot": (lambda a, b: a.hypot(b), None),
    "logaddexp": (lambda a, b: a.logaddexp(b), None),
    "logaddexp2": (lambda a, b: a.logaddexp2(b), None),
    "fmax": (lambda a, b: a.fmax(b), None),
    "fmin": (lambda a, b: a.fmin(b), None),
    "xlogy": (lambda a, b: a.xlogy(b.abs() + 0.1), None),
    "dist": (lambda a, b: a.dist(b), None),
    "dist3": (lambda a, b: a.dist(b, p=3), None),
    "lerp": (lambda a, b: a.lerp(b, 0.3), None),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes", [((3, 1), (4,)), ((), (2, 2))], ids=str)
@pytest.mark.parametrize("name", list(BINARY))
def test_binary_parity(name, shapes, dtype, rng):
    fn = BINARY[name][0]
    a = rng.uniform(-3, 3, shapes[0])
    b = rng.uniform(0.5, 2, shapes[1]) * rng.choice([-1, 1], shapes[1])
    check_parity(fn, fn, [a, b], dtype=dtype)


@pytest.mark.parametrize("name", list(BINARY))
def test_binary_gradcheck(name, rng):
    fn = BINARY[name][0]
    a = rng.uniform(-3, 3, (3, 4))
    b = rng.uniform(0.5, 2, (4,)) * rng.choice([-1, 1], (4,))
    if name in ("fmod", "remainder", "mod_op"):  # stay away from the jumps
        a = np.round(a / b) * b + 0.3 * b
    gradcheck(fn, [a, b])


def test_nan_to_num_options_and_gradient():
    x = [float("nan"), float("inf"), -float("inf"), 1.5]
    for kw in ({}, {"nan": 2.0, "posinf": 9.0, "neginf": -9.0}):
        g = gn.tensor(x, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        go, to = g.nan_to_num(**kw), t.nan_to_num(**kw)
        np.testing.assert_array_equal(go.detach().numpy(), to.detach().numpy())
        go.sum().backward()
        to.sum().backward()
        np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


def test_special_values_match_torch():
    """log(0) = -inf, 0/0 = nan, sqrt(-1) = nan, exp overflow = inf, as PyTorch."""
    x = gn.tensor([0.0, -1.0, 1000.0])
    t = torch.tensor([0.0, -1.0, 1000.0])
    outs = [(x.log(), t.log()), (x.sqrt(), t.sqrt()), (x.exp(), t.exp()), (x / 0, t / 0),
            (x.log1p(), t.log1p()), (x.reciprocal(), t.reciprocal()), (x.asin(), t.asin()),
            (x.acosh(), t.acosh()), (x.lgamma(), t.lgamma()), (x ** 0.5, t ** 0.5)]
    for g, th in outs:
        np.testing.assert_allclose(g.numpy(), th.numpy(), rtol=1e-6)


def test_special_values_print_no_warnings():
    """A script computing them prints nothing on stderr (PyTorch prints nothing either)."""
    code = ("import glassnet as torch\n"
            "x = torch.tensor([0.0, -1.0, 1000.0], requires_grad=True)\n"
            "y = x.log() + x.sqrt() + x.exp() + x / 0 + x.log1p() + x.reciprocal() + x ** 0.5\n"
            "y.sum().backward()\n"
            "print((x * 1e38 * 1e38).tolist(), x.grad.tolist())\n")
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=root,
                       env={**os.environ, "PYTHONPATH": root}, timeout=120, check=False)
    assert r.returncode == 0, r.stderr
    assert r.stderr == "", r.stderr


def test_clamp_needs_a_bound():
    with pytest.raises(RuntimeError, match="clamp"):
        gn.ones(3).clamp()


def test_rounding_ops_have_zero_gradient(rng):
    x = randn(rng, (3, 4)) * 3
    for name in ["floor", "ceil", "round", "trunc", "sign"]:
        out = getattr(gn.tensor(x), name)()
        np.testing.assert_array_equal(out.numpy(), getattr(torch.tensor(x), name)().numpy())


def test_masked_fill_broadcasts_like_pytorch():
    """Out of place, the mask and the tensor broadcast together; in place, the tensor's shape
    must hold the broadcast."""
    rng = np.random.default_rng(0)
    x, mask = rng.standard_normal(5), rng.random((4, 5)) > 0.5

    def f(lib):
        return lambda t: t.masked_fill(lib.tensor(mask), 2.0)

    check_parity(f(gn), f(torch), [x])
    with pytest.raises(RuntimeError, match="masked_fill_"):
        gn.tensor(x).masked_fill_(gn.tensor(mask), 1.0)
    with pytest.raises(RuntimeError, match="masked_fill"):
        gn.tensor(x).masked_fill(gn.tensor(mask[:, :3]), 1.0)
