"""``Size``: the shape of a tensor, a tuple of ints (``torch.Size``)."""

from __future__ import annotations

import builtins
import math


class Size(tuple):
    """The shape of a tensor: a tuple of ints, as ``x.shape`` and ``x.size()`` return it.

    ``Size([2, 3]).numel()`` is 6, the number of elements a tensor of this shape holds. Slicing a
    Size and adding a tuple to it give a Size again.
    """

    __slots__ = ()

    def __new__(cls, sizes=()):
        return tuple.__new__(cls, (builtins.int(s) for s in sizes))

    def numel(self) -> int:
        return math.prod(self)

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(self, other))

    def __radd__(self, other):
        if not isinstance(other, tuple):
            return NotImplemented
        return Size(tuple.__add__(other, self))

    def __repr__(self):
        return f"glassnet.Size({list(self)})"

    __str__ = __repr__
