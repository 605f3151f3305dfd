"""Argument helpers the layers share: an int or a sequence becomes an n-tuple.

``_single``, ``_pair``, ``_triple`` and ``_quadruple`` are PyTorch's (``_pair(3) == (3, 3)``,
``_pair((1, 2)) == (1, 2)``, no checks); ``_int_tuple`` also checks the length and names the
layer and the argument in its error.
"""

from __future__ import annotations

import collections.abc
from itertools import repeat

__all__ = []


def _ntuple(n, name="parse"):
    """A function that repeats a scalar ``n`` times and passes an iterable through as a tuple."""

    def parse(x):
        if isinstance(x, collections.abc.Iterable):
            return tuple(x)
        return tuple(repeat(x, n))

    parse.__name__ = name
    return parse


_single = _ntuple(1, "_single")
_pair = _ntuple(2, "_pair")
_triple = _ntuple(3, "_triple")
_quadruple = _ntuple(4, "_quadruple")


def _reverse_repeat_tuple(t, n):
    """Reverse ``t`` and repeat each element ``n`` times: ((1, 2), 2) -> (2, 2, 1, 1), the order
    of ``F.pad``'s padding argument (last dimension first)."""
    return tuple(x for x in reversed(t) for _ in range(n))


def _int_tuple(v, n, name, op):
    """``v`` as a tuple of ``n`` ints: an int is repeated, a list or tuple must have length ``n``.

    ``name`` is the argument and ``op`` the layer, for the error message.
    """
    if isinstance(v, (list, tuple)):
        if len(v) != n:
            raise ValueError(f"{op}: {name} must be an int or a tuple of {n} values, got {v!r}")
        return tuple(int(x) for x in v)
    return (int(v),) * n
