"""Parameter: a Tensor that a Module learns, and Buffer's plain-tensor counterpart.

A ``Parameter`` is an ordinary tensor with ``requires_grad=True`` whose only extra meaning is
*registration*: assigning one to a Module attribute (``self.weight = Parameter(...)``) adds it to
``module.parameters()``, which is what an optimiser updates. Ops on a Parameter return plain
Tensors, exactly like PyTorch.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..tensor import Tensor, _to_array


class Parameter(Tensor):
    """A learnable tensor: ``Parameter(data, requires_grad=True)``.

    ``data`` may be a Tensor (its array is shared, not copied, as in PyTorch), a NumPy array or
    nested Python numbers. ``Parameter()`` is an empty float tensor.
    """

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


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    ``self.running_mean = Buffer(gn.zeros(3))`` is the same as
    ``self.register_buffer('running_mean', gn.zeros(3))``; ``persistent=False`` keeps it out of
    the ``state_dict``. The registered buffer is a plain Tensor sharing the same array.
    """

    def __init__(self, data, persistent: bool = True):
        super().__init__(data._data if isinstance(data, Tensor) else _to_array(data))
        self.persistent = persistent


def __getattr__(name):
    # the placeholders of lazy modules live in lazy.py (which imports this file)
    if name in ("UninitializedParameter", "UninitializedBuffer", "is_lazy"):
        from . import lazy

        return getattr(lazy, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def is_parameter(x) -> bool:
    return isinstance(x, Parameter)


__all__ = ["Parameter", "Buffer"]
