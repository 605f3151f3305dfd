"""Scans and the vector norm (glassnet/ops/scan.py) against PyTorch: cumprod through zeros,
logcumsumexp over a wide range, and norm."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_parity, distinct, gradcheck

# PyTorch warns when var/std has no degrees of freedom; glassnet returns the same NaN quietly.
pytestmark = pytest.mark.filterwarnings("ignore:.*degrees of freedom:UserWarning")


@pytest.mark.parametrize("p,dim", [(2, None), (1, None), (2, 1), (1, 0), (3, 1),
                                   (float("inf"), 1), ("fro", None)])
def test_norm(p, dim, rng):
    x = distinct(rng, (3, 4)) + 0.05
    f = lambda t: t.norm(p, dim)
    check_parity(f, f, [x])
    gradcheck(f, [x])


def test_cumprod_gradient_with_zeros():
    x = np.array([[2.0, 0.0, 3.0, 0.0, -1.5], [0.5, 1.5, 0.0, 2.0, 1.0]])
    check_parity(lambda t: t.cumprod(1), lambda t: t.cumprod(1), [x], dtype=np.float64)
    gradcheck(lambda t: t.cumprod(1), [x])


def test_logcumsumexp_wide_range():
    x = np.array([[-1000.0, 0.0, 500.0, -20.0]])
    check_parity(lambda t: t.logcumsumexp(1), lambda t: t.logcumsumexp(1), [x], dtype=np.float64)


def test_logcumsumexp_float32_with_large_inputs(rng):
    """Running sums accumulated in float64 (as PyTorch's CPU kernel does): with an input of 1e4
    among ordinary values, the float32 gradient exp(x_i - out_j) matches PyTorch's."""
    x = rng.uniform(-9, 9, (5, 5, 5))
    x[0] = 1e4  # PyTorch's OpInfo sample: a whole first slice of 1e4
    for dim in (0, 1):
        f = lambda t, d=dim: t.logcumsumexp(d)
        check_parity(f, f, [x], dtype=np.float32)
    gradcheck(lambda t: t.logcumsumexp(1), [rng.standard_normal((3, 4)) * 5])
