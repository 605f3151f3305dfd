"""The classical orthogonal polynomials of ``torch.special``, evaluated at x for a degree n per
element: Chebyshev of the first to fourth kinds (T, U, V, W) and their shifted forms on [0, 1],
Hermite (physicists' H and probabilists' He), Laguerre L and Legendre P.

Each family is its three-term recurrence P_{k+1} = step(k, x, P_k, P_{k-1}) from P_0 = 1 and
P_1, run in x's own precision as PyTorch's kernels run it, with PyTorch's conventions: the
degree is truncated to an integer, a negative degree gives 0, and at the ends of the interval
(x = +-1; x = 0 for Laguerre) the exact values are returned. These functions have no gradient
in PyTorch, and none here: they return arrays.
"""

from __future__ import annotations

import numpy as np


def _chebyshev_ends(kind, x, n):
    """The values of T, U, V, W at x = 1 and x = -1."""
    even = n % 2 == 0
    if kind == "t":
        return np.where((x > 0) | even, 1, -1)
    if kind == "u":
        return np.where((x > 0) | even, n + 1, -(n + 1))
    if kind == "v":
        return np.where(x > 0, 1, np.where(even, 2 * n + 1, -(2 * n + 1)))
    return np.where(x > 0, 2 * n + 1, np.where(even, 1, -1))  # w


def _first(kind, x):
    """P_1(x) of each family."""
    one = x.dtype.type(1)
    return {"t": x, "u": x + x, "v": x + x - one, "w": x + x + one, "h": x + x, "he": x,
            "l": one - x, "p": x}[kind]


def _step(kind, k, x, q, p):
    """P_{k+1} from P_k = q and P_{k-1} = p."""
    f = x.dtype.type
    if kind in ("t", "u", "v", "w"):
        return (x + x) * q - p
    if kind == "h":
        return (x + x) * q - f(2 * k) * p
    if kind == "he":
        return x * q - f(k) * p
    if kind == "l":
        return ((f(2 * k) + (f(1) - x)) * q - f(k) * p) / f(k + 1)
    return (f(2 * k + 1) * x * q - f(k) * p) / f(k + 1)  # p: Legendre


def orthogonal_polynomial(kind, x, n):
    """P_n(x) for the family ``kind`` ('t', 'u', 'v', 'w', 'h', 'he', 'l', 'p'); x a float
    array, n an array of degrees (any real dtype) broadcast against it."""
    x, n = np.broadcast_arrays(x, np.trunc(np.asarray(n, dtype=np.float64)))
    n = np.nan_to_num(n, nan=-1).astype(np.int64)
    ones = np.ones_like(x)
    out = np.where(n == 0, ones, _first(kind, x))
    top = int(n.max()) if n.size else 0
    p, q = ones, _first(kind, x)
    for k in range(1, top):
        p, q = q, _step(kind, k, x, q, p)
        out = np.where(n == k + 1, q, out)
    if kind in ("t", "u", "v", "w"):
        out = np.where(np.abs(x) == 1, _chebyshev_ends(kind, x, n), out)
    elif kind == "l":
        out = np.where(x == 0, 1, out)
    elif kind == "p":
        out = np.where(np.abs(x) == 1, np.where((x > 0) | (n % 2 == 0), 1, -1), out)
    return np.where(n < 0, 0, out).astype(x.dtype, copy=False)
