"""Argument helpers the layers share: an int or a sequence becomes an n-tuple.

``_single``, ``_pair``, ``_triple`` and ``_quadruple`` are PyTorch's (``_pair(3) == (3, 3)``,
``_pair((1, 2)) == (1, 2)``, no checks); ``_int_tuple`` also checks the length and names the
layer and the argument in its error.
"""

from __future__ import annotations

import collections.abc
from itertools import repeat

__all__ = ["consume_prefix_in_state_dict_if_present"]


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


def consume_prefix_in_state_dict_if_present(state_dict, prefix):
    """Strip ``prefix`` from the keys of ``state_dict`` that start with it, in place.

    A state_dict saved from a ``DataParallel`` / ``DistributedDataParallel`` wrapper has every
    key under ``"module."``; ``consume_prefix_in_state_dict_if_present(sd, "module.")`` makes it
    load into the bare model. Keys of the ``_metadata`` attribute, if any, are renamed the same way.
    """
    for key in list(state_dict.keys()):
        if key.startswith(prefix):
            state_dict[key[len(prefix):]] = state_dict.pop(key)
    meta = getattr(state_dict, "_metadata", None)
    if meta is not None:
        for key in list(meta.keys()):
            if key and (key == prefix.replace(".", "") or key.startswith(prefix)):
                meta[key[len(prefix):]] = meta.pop(key)
