"""Parameter: a Tensor that a Module learns, and Buffer's plain-tensor counterpart.

A ``Parameter`` is an ordinary tensor with ``requires_grad=True`` whose only extra meaning is
*registration*: assigning one to a Module attribute (``self.weight = Parameter(...)``) adds it to
``module.parameters()``, which is what an optimiser updates. Ops on a Parameter return plain
Tensors, exactly like PyTorch.

``UninitializedParameter`` / ``UninitializedBuffer`` are the shapeless placeholders of lazy
layers (``nn.LazyLinear``...); ``empty_param`` and ``weight_and_bias`` allocate the Parameters
that a layer's ``reset_parameters`` then fills. This file imports no Module: the layers
(``nn.modules``) sit above it.
"""

from __future__ import annotations

import copy

import numpy as np

from .. import backend
from ..tensor import Tensor, _new_size, _to_array


class Parameter(Tensor):
    """A learnable tensor: ``Parameter(data, requires_grad=True)``.

    ``data`` may be a Tensor (its array is shared, not copied, as in PyTorch), a NumPy array or
    nested Python numbers. ``Parameter()`` is an empty float tensor. A sparse ``data`` (COO or
    CSR) gives a sparse Parameter: an instance of both Parameter and the sparse tensor's class,
    sharing its storage, whose ``.grad`` is sparse on its pattern.
    """

    def __new__(cls, data=None, *args, **kwargs):  # (subclasses take other arguments)
        if getattr(data, "_sparse_layout", False):
            requires_grad = kwargs.get("requires_grad", args[0] if args else True)
            return _sparse_parameter(cls, data, requires_grad)
        return super().__new__(cls)

    def __init__(self, data=None, requires_grad: bool = True):
        if data is None:
            data = np.empty((0,), dtype=backend.get_default_dtype())
        # Tensor's constructor shares a Tensor's or an array's memory and converts the rest.
        super().__init__(data, requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (self._data, self.requires_grad, self.grad))

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        p = Parameter(self._data.copy(), self.requires_grad)
        if self.grad is not None:
            p.grad = Tensor._make(self.grad._data.copy(), False)
        memo[id(self)] = p
        return p


def _rebuild_parameter(data, requires_grad, grad):
    p = Parameter(data, requires_grad)
    p.grad = grad
    return p


# ----------------------------------------------------------------------------- sparse
# One class per (Parameter class, layout): ``type(Parameter(coo))`` derives from both Parameter
# and the sparse COO class, so it is registered by modules and computes as a sparse tensor.
_SPARSE_CLASSES: dict = {}


def _sparse_parameter(cls, data, requires_grad):
    """``Parameter(sparse)``: the sparse tensor's storage (shared) under a new values leaf."""
    layout_cls = Tensor._sparse_types[data.layout.name]
    sub = _SPARSE_CLASSES.get((cls, layout_cls))
    if sub is None:
        sub = type(cls.__name__, (layout_cls, cls), {
            "__module__": cls.__module__, "__qualname__": cls.__qualname__,
            "__init__": _init_done, "__repr__": _sparse_repr,
            "__reduce_ex__": _sparse_reduce, "__deepcopy__": _sparse_deepcopy})
        _SPARSE_CLASSES[(cls, layout_cls)] = sub
    p = object.__new__(sub)
    p._ind, p._sz, p._co = data._ind, data._sz, data._co
    if data._crow is not None:
        p._crow = data._crow
    p._v = Tensor._make(data._v._data, False).requires_grad_(requires_grad)
    return p


def _init_done(self, *args, **kwargs):
    """Built by ``Parameter.__new__`` already."""


def _sparse_repr(self):
    return "Parameter containing:\n" + Tensor._sparse_types[self.layout.name].__repr__(self)


def _sparse_reduce(self, proto):
    rebuild, args = Tensor._sparse_types[self.layout.name].__reduce_ex__(self, proto)
    return _rebuild_sparse_parameter, (type(self).__bases__[1], rebuild, args)


def _sparse_deepcopy(self, memo):
    if id(self) in memo:
        return memo[id(self)]
    out = type(self).__bases__[1](copy.deepcopy(self.detach(), memo), self.requires_grad)
    memo[id(self)] = out
    return out


def _rebuild_sparse_parameter(cls, rebuild, args):
    t = rebuild(*args)
    return cls(t, t.requires_grad)


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    ``self.running_mean = Buffer(gn.zeros(3))`` is the same as
    ``self.register_buffer('running_mean', gn.zeros(3))``; ``persistent=False`` keeps it out of
    the ``state_dict``. The registered buffer is a plain Tensor sharing the same array.
    """

    def __init__(self, data, persistent: bool = True):
        super().__init__(data._data if isinstance(data, Tensor) else _to_array(data))
        self.persistent = persistent


def is_parameter(x) -> bool:
    return isinstance(x, Parameter)


# ----------------------------------------------------------------------------- placeholders
# A lazy layer (nn.LazyLinear, ...) holds these until its first forward call gives them a shape.
_NO_SHAPE = ("Can't access the shape of an uninitialized parameter or buffer. This error usually "
             "happens in `load_state_dict` when trying to load an uninitialized parameter into "
             "an initialized one. Call `forward` to initialize the parameters before accessing "
             "their attributes.")


def _empty(device, dtype):
    d = backend.to_dtype(dtype) or backend.get_default_dtype()
    return backend.device_module(device if device is not None else "cpu").empty((0,), dtype=d)


class _UninitializedMixin:
    """A tensor without a shape yet; ``materialize(shape)`` gives it one (zeros until the layer
    initialises it) and turns it into ``cls_to_become``, keeping the object."""

    cls_to_become = None

    def materialize(self, shape, device=None, dtype=None):
        old = self._data
        d = backend.to_dtype(dtype) or old.dtype
        xp = backend.device_module(device) if device is not None else backend.array_module(old)
        self.data = xp.zeros(tuple(int(s) for s in shape), dtype=d)
        self.__class__ = self.cls_to_become

    def _no_shape(self, *args, **kwargs):
        raise RuntimeError(_NO_SHAPE)

    shape = property(_no_shape)
    ndim = property(_no_shape)
    size = dim = numel = _no_shape

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) not in memo:
            memo[id(self)] = type(self)(self.requires_grad, backend.device_of(self._data),
                                        self._data.dtype)
        return memo[id(self)]


class UninitializedParameter(_UninitializedMixin, Parameter):
    """A Parameter whose shape is not known yet (the weight of a lazy layer before its first
    forward). Reading its shape raises; ``materialize(shape)`` makes it a Parameter."""

    cls_to_become = Parameter

    def __init__(self, requires_grad=True, device=None, dtype=None):
        super().__init__(_empty(device, dtype), requires_grad)


class UninitializedBuffer(_UninitializedMixin, Tensor):
    """A buffer whose shape is not known yet (running statistics of a lazy batch norm)."""

    cls_to_become = Tensor

    def __init__(self, requires_grad=False, device=None, dtype=None):
        super().__init__(_empty(device, dtype), requires_grad)


def is_lazy(param):
    """True for an UninitializedParameter or UninitializedBuffer."""
    return isinstance(param, _UninitializedMixin)


# ----------------------------------------------------------------------------- for layers
def empty_param(shape, device=None, dtype=None, op="empty_param", name="shape"):
    """An uninitialised Parameter of ``shape`` (filled by the layer's ``reset_parameters``);
    a negative dimension is a RuntimeError naming ``op`` (the layer) and ``name``."""
    d = backend.to_dtype(dtype) or backend.get_default_dtype()
    xp = backend.device_module(device if device is not None else "cpu")
    return Parameter(xp.zeros(_new_size(op, (shape,), name), dtype=d))


def weight_and_bias(module, weight_shape, bias_shape, device=None, dtype=None):
    """Register ``module.weight`` and ``module.bias`` as uninitialised Parameters of the given
    shapes, or as None where a shape is None (no bias, or no affine part)."""
    for name, shape in (("weight", weight_shape), ("bias", bias_shape)):
        if shape is None:
            module.register_parameter(name, None)
        else:
            setattr(module, name, empty_param(shape, device, dtype, type(module).__name__,
                                              f"{name} shape"))


__all__ = ["Parameter", "Buffer", "UninitializedParameter", "UninitializedBuffer", "is_lazy"]
