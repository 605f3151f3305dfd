"""Lazy modules: layers that infer their input size from the first batch they see.

``nn.LazyLinear(10)`` is a Linear whose ``in_features`` is unknown until the first forward call;
its weight and bias are ``UninitializedParameter``s (``nn.parameter``), placeholders with no
shape. The first call reads the size from the input (``input.shape[-1]`` for Linear, the channel
dimension for convolutions and batch norm), gives the placeholders their shapes, initialises them
exactly as the eager layer would (same distributions, same generator), and turns the module into
the eager class (``type(m)`` becomes ``nn.Linear``), as PyTorch does. The Parameter objects stay
the same, so anything holding them keeps working; still, build the optimiser *after* a dry-run
forward, since it cannot know the shapes before (PyTorch asks the same)::

    net = nn.Sequential(nn.LazyConv2d(16, 3), nn.ReLU(), nn.Flatten(), nn.LazyLinear(10))
    net(gn.zeros(1, 3, 28, 28))            # dry run: every size is now known
    opt = gn.optim.SGD(net.parameters(), lr=0.1)

Loading a state_dict into a lazy module also gives its parameters their shapes.

This file holds the mixin; each lazy layer lives beside its eager class, as in PyTorch
(``LazyLinear`` in linear.py, ``LazyConv2d`` in conv.py, ``LazyBatchNorm2d`` in batchnorm.py,
``LazyInstanceNorm2d`` in instancenorm.py).
"""

from __future__ import annotations

import itertools

import numpy as np

from ...autograd import no_grad
from ...tensor import Tensor
from ..parameter import is_lazy
from .module import Module

__all__ = ["LazyModuleMixin"]


class LazyModuleMixin:
    """Mix into a layer (before the eager class) to infer its sizes at the first call.

    A lazy layer defines ``initialize_parameters(*args)`` (materialise and initialise) and
    ``cls_to_become`` (the eager class it turns into once nothing is uninitialised).
    """

    cls_to_become = None

    def has_uninitialized_params(self):
        """Whether any parameter or buffer still waits for its shape."""
        return any(is_lazy(t) for t in itertools.chain(self._parameters.values(),
                                                        self._buffers.values()))

    def initialize_parameters(self, *args, **kwargs):
        raise NotImplementedError(f"initialize_parameters is not implemented for "
                                  f"{type(self).__name__}")

    def _infer_parameters(self, args, kwargs):
        with no_grad():
            self.initialize_parameters(*args, **kwargs)
        if self.has_uninitialized_params():
            raise RuntimeError(f"module {self._get_name()} has not been fully initialized")
        if self.cls_to_become is not None:
            self.__class__ = self.cls_to_become

    def __call__(self, *args, **kwargs):
        self._infer_parameters(args, kwargs)
        # the class is the eager one now: call Module's machinery (hooks included) directly
        return Module.__call__(self, *args, **kwargs)

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        # placeholders go in as they are, so a lazy-to-lazy copy stays lazy
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            if t is None or name in self._non_persistent_buffers_set:
                continue
            if is_lazy(t) or keep_vars:
                destination[prefix + name] = t
            else:
                destination[prefix + name] = Tensor._make(t._data, False)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        # a checkpoint gives the shapes: materialise the placeholders it has values for
        for name, t in itertools.chain(self._parameters.items(), self._buffers.items()):
            key = prefix + name
            if key in state_dict and is_lazy(t) and not is_lazy(state_dict[key]):
                value = state_dict[key]
                arr = value._data if isinstance(value, Tensor) else np.asarray(value)
                with no_grad():
                    t.materialize(arr.shape)
        # (a placeholder loaded from a placeholder stays one: both hold an empty array)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)
