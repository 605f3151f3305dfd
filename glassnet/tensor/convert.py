"""From Python data to arrays, with PyTorch's rules: the dtype a list of numbers gets, the
dtype a Python scalar takes next to a tensor, and the size arguments ``f(2, 3)``/``f((2, 3))``.

Below Tensor: the tensor class, its method groups and the creation functions all build on
these, and a tensor is recognised as a ``Variable`` (its base class).
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.variable import Variable


def _size(args):
    """Accept f(2, 3), f((2, 3)), f([2, 3]) and f(tensor_shape)."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        args = args[0]
    return tuple(builtins.int(a) for a in args)


def _new_size(op, args, name="size"):
    """``_size(args)`` for a function that allocates a tensor of that size, checked: every
    dimension must be >= 0. The one check every creation function shares; a negative one is a
    RuntimeError, as in PyTorch, naming ``op``, the argument and the size that came."""
    size = _size(args)
    for d in size:
        if d < 0:
            raise RuntimeError(f"{op}: {name} must be non-negative in every dimension, got "
                               f"{list(size)} (Trying to create tensor with negative dimension "
                               f"{d}: {list(size)})")
    return size


def _to_array(data, dtype=None, device=None):
    """Python data / numpy / Tensor -> array on the right device with PyTorch's dtype inference."""
    d = backend.to_dtype(dtype)
    if isinstance(data, Variable):
        data = data._data
    xp = np if device is None else backend.device_module(device)
    if isinstance(data, (list, tuple)):
        typed = _typed_elements(data)  # dtypes of Tensors, NumPy scalars and arrays inside
        if typed:
            if d is None:
                d = _sequence_dtype(data, typed)
            if any(isinstance(x, Variable) for x in _flat(data)):
                data = _tensors_to_nested(data)
    a = data if hasattr(data, "dtype") and hasattr(data, "shape") else None
    if a is None:
        a = np.asarray(data)
        if d is None:
            if a.dtype.kind == "f":
                d = backend.get_default_dtype()
            elif a.dtype.kind in "iu":
                d = backend.int64
            elif a.dtype.kind == "c":  # Python complex numbers: complex64 by default
                d = backend.default_complex_dtype()
            elif a.dtype.kind == "O":
                raise TypeError(f"tensor: could not convert data of type {type(data).__name__} "
                                "to a numeric array")
    elif d is None and not isinstance(a, xp.ndarray):
        a = np.asarray(a)
    if d is not None and a.dtype != d:
        a = a.astype(d)
    if a.dtype.kind in "UOS":
        raise TypeError(f"tensor: unsupported data type {a.dtype}")
    if device is not None:
        a = backend.to_device(a, device)
    return a


def _typed_elements(data):
    return {x.dtype for x in _flat(data) if isinstance(x, (Variable, np.generic, np.ndarray))}


def _sequence_dtype(data, typed):
    """PyTorch's inference for a sequence holding Tensors or NumPy values: promote_types over
    every element's dtype, a Python float counting as the default dtype, an int as int64."""
    dtypes = set(typed)
    for x in _flat(data):
        if isinstance(x, (Variable, np.generic, np.ndarray)):
            continue
        if isinstance(x, builtins.bool):
            dtypes.add(backend.bool_)
        elif isinstance(x, builtins.int):
            dtypes.add(backend.int64)
        elif isinstance(x, builtins.float):
            dtypes.add(backend.get_default_dtype())
        elif isinstance(x, builtins.complex):
            dtypes.add(backend.default_complex_dtype())
    out = None
    for dt in dtypes:
        out = dt if out is None else backend.promote_types(out, dt)
    return out


def _flat(x):
    if isinstance(x, (list, tuple)):
        for y in x:
            yield from _flat(y)
    else:
        yield x


def _tensors_to_nested(x):
    if isinstance(x, Variable):  # a one-element Tensor in a list is a number there, as in PyTorch
        a = backend.to_numpy(x._data)
        return a.reshape(()) if a.size == 1 else a
    if isinstance(x, (list, tuple)):
        return [_tensors_to_nested(y) for y in x]
    return x


def _as_tensor(o, like):
    if isinstance(o, Variable):
        return o
    xp = backend.array_module(like._data)
    if isinstance(o, (builtins.bool, builtins.int, builtins.float, builtins.complex, np.number,
                      np.bool_)):
        return like._make(xp.asarray(o, dtype=backend.scalar_dtype(like.dtype, o)), False)
    return like._make(xp.asarray(_to_array(o)), False)
