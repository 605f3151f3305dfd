"""Views by sizes and strides over a tensor's storage: ``as_strided`` and ``as_strided_scatter``.

A tensor's elements live in a flat buffer, its storage; the tensor itself is a shape, strides
and an offset into it: element [i_0, ..., i_k] is storage[offset + sum_j i_j * stride_j]. A
view made by slicing (``x[5:15]``, ``x.t()``) shares its base's storage with its own offset
and strides, so ``as_strided`` on it addresses the *whole* storage, as in PyTorch: its
``storage_offset`` counts from the start of the buffer (default: the view's own offset), and it
may read elements outside the view. Those elements are constants for autograd; elements inside
the view carry their gradient back to it (overlapping windows add up). A tensor that is not a
view of a larger NumPy buffer is its own storage, laid out row-major from offset 0.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.variable import Variable
from .arith import _SetItem, _where


def _positions(size, stride, offset):
    """The storage position of every element of a (size, stride, offset) view."""
    idx = np.full(tuple(size), offset, dtype=np.int64)
    for k, (n, st) in enumerate(zip(size, stride)):
        shape = [1] * len(size)
        shape[k] = n
        idx = idx + (np.arange(n, dtype=np.int64) * st).reshape(shape)
    return idx


def _storage(t):
    """(storage as a flat array, t's offset, t's strides) in elements, or None when t's array is
    not a view into a plain C-contiguous NumPy buffer of its dtype (then t is its own storage)."""
    a = t._data
    if not isinstance(a, np.ndarray) or a.size == 0:
        return None
    base = a
    while isinstance(base.base, np.ndarray):
        base = base.base
    if base is a or base.dtype != a.dtype or not base.flags.c_contiguous:
        return None
    item = a.dtype.itemsize
    start = a.__array_interface__["data"][0] - base.__array_interface__["data"][0]
    if start % item or any(s % item for s in a.strides):
        return None
    return base.reshape(-1), start // item, tuple(s // item for s in a.strides)


def _check_geometry(op, size, stride, offset, storage_size):
    if len(size) != len(stride):
        raise RuntimeError(f"{op}: mismatch in length of strides and shape: size has "
                           f"{len(size)} dims, stride has {len(stride)}")
    if any(n < 0 for n in size) or any(s < 0 for s in stride):
        raise RuntimeError(f"{op}: sizes and strides must be non-negative, got size "
                           f"{list(size)} and stride {list(stride)}")
    if offset < 0:
        raise RuntimeError(f"{op}: storage_offset must be non-negative, got {offset}")
    if 0 in size:
        return
    need = offset + 1 + builtins.sum((n - 1) * s for n, s in zip(size, stride))
    if need > storage_size:
        raise RuntimeError(f"{op}: sizes {list(size)}, strides {list(stride)} and storage offset "
                           f"{offset} require a storage of {need} elements, but the storage has "
                           f"{storage_size}")


class StridedMixin:
    """as_strided and as_strided_scatter of Tensor (see the module docstring)."""

    __slots__ = ()

    def as_strided(self, size, stride, storage_offset=None):
        """A view of self's storage with the given sizes, strides and storage offset (in
        elements): out[i] = storage[storage_offset + sum_j i_j * stride_j]. The offset defaults
        to self's own; overlapping windows are allowed (their gradients add up); elements of the
        storage outside self are read as constants."""
        size = tuple(builtins.int(n) for n in size)
        stride = tuple(builtins.int(s) for s in stride)
        geom = _storage(self)
        if geom is None:  # self is its own storage, row-major from offset 0
            flat = self.contiguous().reshape(-1)
            off = 0 if storage_offset is None else builtins.int(storage_offset)
            _check_geometry("as_strided", size, stride, off, flat.numel())
            idx = backend.to_device(_positions(size, stride, off), self.device)
            return flat[Variable._make(idx, False)]
        storage, own, own_stride = geom
        off = own if storage_offset is None else builtins.int(storage_offset)
        _check_geometry("as_strided", size, stride, off, storage.size)
        idx = _positions(size, stride, off)
        # Where each storage position sits among self's elements (row-major), -1 if outside.
        where = np.full(storage.size, -1, dtype=np.int64)
        where[_positions(self.shape, own_stride, own).reshape(-1)] = np.arange(self.numel())
        j = where[idx]
        inside = j >= 0
        vals = self.reshape(-1)[Variable._make(np.where(inside, j, 0), False)]
        if inside.all():
            return vals
        return _where(Variable._make(inside, False), vals,
                      Variable._make(storage[idx].copy(), False))

    def as_strided_scatter(self, src, size, stride, storage_offset=None):
        """A copy of self (contiguous, so its storage is its row-major elements) with the view
        ``as_strided(size, stride, storage_offset)`` replaced by src. Gradient: zero for the
        overwritten elements of self; src gets the gradient of the elements it wrote."""
        size = tuple(builtins.int(n) for n in size)
        stride = tuple(builtins.int(s) for s in stride)
        off = 0 if storage_offset is None else builtins.int(storage_offset)
        _check_geometry("as_strided_scatter", size, stride, off, self.numel())
        if not isinstance(src, Variable):
            raise TypeError(f"as_strided_scatter: src must be a Tensor, got "
                            f"{type(src).__name__}")
        if tuple(src.shape) != size:
            raise RuntimeError(f"as_strided_scatter: expected src to have a size equal to the "
                               f"slice of self. src size = {list(src.shape)}, slice size = "
                               f"{list(size)}")
        idx = backend.to_device(_positions(size, stride, off), self.device)
        flat = self.contiguous().reshape(-1)
        return _SetItem.apply(flat, idx, src.to(self.dtype)).reshape(self.shape)
