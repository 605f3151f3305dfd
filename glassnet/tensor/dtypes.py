"""Dtypes as PyTorch names them: ``dtype``, ``finfo``/``iinfo``, the type-promotion queries
``promote_types``, ``result_type`` and ``can_cast``, and the typed tensor classes of old
(``FloatTensor``, ``LongTensor``...).

glassnet's dtypes are NumPy dtype objects (``glassnet.float32 is numpy.dtype('float32')``), so
``glassnet.dtype`` is ``numpy.dtype`` and ``isinstance(x.dtype, glassnet.dtype)`` holds.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.variable import Variable
from .convert import _size
from .tensor import tensor

dtype = np.dtype


class finfo:
    """Machine limits of a floating dtype (default: the default dtype), as Python floats.

    ``eps`` (the gap between 1 and the next float), ``max``, ``min`` (= -max), ``tiny`` and
    ``smallest_normal`` (the smallest positive normal number), ``resolution`` (10^-precision)
    and ``bits``.
    """

    def __init__(self, type=None):
        d = backend.get_default_dtype() if type is None else backend.to_dtype(type)
        if not backend.is_floating(d):
            raise TypeError(f"finfo: expected a floating point dtype, got {d}")
        info = backend.finfo(d)
        self.dtype = d.name
        self.bits = builtins.int(info.bits)
        self.eps = builtins.float(info.eps)
        self.max = builtins.float(info.max)
        self.min = builtins.float(info.min)
        self.tiny = self.smallest_normal = builtins.float(info.tiny)
        self.resolution = 10.0 ** -builtins.int(info.precision)

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.tiny:g}, tiny={self.tiny:g}, "
                f"dtype={self.dtype})")


class iinfo:
    """Limits of an integer (or bool) dtype: ``bits``, ``min``, ``max`` as Python ints."""

    def __init__(self, type):
        d = backend.to_dtype(type)
        if d.kind == "b":
            self.bits, self.min, self.max = 8, 0, 1
        elif d.kind in "iu":
            info = np.iinfo(d)
            self.bits, self.min, self.max = builtins.int(info.bits), builtins.int(info.min), \
                builtins.int(info.max)
        else:
            raise TypeError(f"iinfo: expected an integer dtype, got {d}")
        self.dtype = d.name

    def __repr__(self):
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def promote_types(type1, type2):
    """The dtype both operands are converted to in a binary op (``float32, int64 -> float32``)."""
    return backend.promote_types(backend.to_dtype(type1), backend.to_dtype(type2))


def result_type(tensor1, tensor2):
    """The dtype of ``tensor1 op tensor2`` for tensors or Python numbers, with PyTorch's rules:
    a number never widens a tensor of its own kind, and a 0-d tensor does not widen a
    dimensioned tensor of the same kind."""
    a_t, b_t = isinstance(tensor1, Variable), isinstance(tensor2, Variable)
    if a_t and b_t:
        return backend.promote_types(tensor1.dtype, tensor2.dtype, tensor1.ndim > 0,
                                     tensor2.ndim > 0)
    if a_t:
        return backend.scalar_dtype(tensor1.dtype, tensor2)
    if b_t:
        return backend.scalar_dtype(tensor2.dtype, tensor1)
    return promote_types(_number_dtype(tensor1), _number_dtype(tensor2))


def _number_dtype(x):
    if isinstance(x, (builtins.bool, np.bool_)):
        return backend.bool_
    if isinstance(x, (builtins.int, np.integer)):
        return backend.int64
    if isinstance(x, (builtins.float, np.floating)):
        return backend.get_default_dtype()
    raise TypeError(f"result_type: expected a Tensor or a number, got {type(x).__name__}")


def can_cast(from_, to):
    """Whether PyTorch's in-place ops allow a ``from_`` result into a ``to`` tensor: never
    complex to real, float to integer or bool, integer to bool; everything else is allowed."""
    order = {"b": 0, "u": 1, "i": 1, "f": 2, "V": 2, "c": 3}
    return order[backend.to_dtype(from_).kind] <= order[backend.to_dtype(to).kind]


class _LegacyTensorType(type):
    """``isinstance(x, FloatTensor)`` is true for float32 tensors (PyTorch's typed tensors)."""

    def __instancecheck__(cls, obj):
        return isinstance(obj, Variable) and obj.dtype == cls._dtype


def _legacy(name, dt):
    def __new__(cls, *args):
        if len(args) == 1 and not isinstance(args[0], (builtins.int, np.integer)):
            return tensor(args[0], dtype=dt)  # FloatTensor([1, 2]): from data
        return Variable._make(np.zeros(_size(args), dt), False)  # FloatTensor(2, 3): zeros

    return _LegacyTensorType(name, (), {"__new__": __new__, "_dtype": dt,
                                        "__doc__": f"A {dt} tensor: from data or from sizes."})


FloatTensor = _legacy("FloatTensor", backend.float32)
DoubleTensor = _legacy("DoubleTensor", backend.float64)
HalfTensor = _legacy("HalfTensor", backend.float16)
LongTensor = _legacy("LongTensor", backend.int64)
IntTensor = _legacy("IntTensor", backend.int32)
ShortTensor = _legacy("ShortTensor", backend.int16)
CharTensor = _legacy("CharTensor", backend.int8)
ByteTensor = _legacy("ByteTensor", backend.uint8)
BoolTensor = _legacy("BoolTensor", backend.bool_)


__all__ = ["BoolTensor", "ByteTensor", "CharTensor", "DoubleTensor", "FloatTensor",
           "HalfTensor", "IntTensor", "LongTensor", "ShortTensor", "can_cast", "dtype", "finfo",
           "iinfo", "promote_types", "result_type"]
