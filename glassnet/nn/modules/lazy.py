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
"""

from __future__ import annotations

import itertools

import numpy as np

from ... import backend
from ...autograd import no_grad
from ...tensor import Tensor
from ..parameter import UninitializedBuffer, UninitializedParameter, is_lazy
from .batchnorm import BatchNorm1d, BatchNorm2d, BatchNorm3d
from .conv import Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d, ConvTranspose3d
from .instancenorm import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from .linear import Linear
from .module import Module

__all__ = ["LazyModuleMixin", "LazyLinear", "LazyConv1d", "LazyConv2d", "LazyConv3d",
           "LazyConvTranspose1d", "LazyConvTranspose2d", "LazyConvTranspose3d", "LazyBatchNorm1d",
           "LazyBatchNorm2d", "LazyBatchNorm3d", "LazyInstanceNorm1d", "LazyInstanceNorm2d",
           "LazyInstanceNorm3d"]


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


# ----------------------------------------------------------------------------- Linear
class LazyLinear(LazyModuleMixin, Linear):
    """A Linear whose ``in_features`` is read from the first input (``input.shape[-1]``).

    Shape: (*, H_in) -> (*, out_features), H_in fixed by the first call.
    """

    cls_to_become = Linear

    def __init__(self, out_features, bias=True, device=None, dtype=None):
        super().__init__(0, 0, False, device, dtype)
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_features = out_features
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if self.has_uninitialized_params():
            self.in_features = int(input.shape[-1])
            self.weight.materialize((self.out_features, self.in_features))
            if self.bias is not None:
                self.bias.materialize((self.out_features,))
            self.reset_parameters()
        else:  # shapes came from a state_dict
            self.in_features = int(self.weight.shape[1])
# ----------------------------------------------------------------------------- convolutions
class _LazyConvMixin(LazyModuleMixin):
    """``in_channels`` from dimension 1 of a batched input (0 of an unbatched one)."""

    def _lazy_init(self, out_channels, bias, device, dtype):
        if out_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: out_channels ({out_channels}) must be "
                             f"divisible by groups ({self.groups})")
        self.weight = UninitializedParameter(device=device, dtype=dtype)
        self.out_channels = out_channels
        if bias:
            self.bias = UninitializedParameter(device=device, dtype=dtype)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.in_channels != 0:
            super().reset_parameters()

    def _get_in_channels(self, input):
        nd = len(self.kernel_size)
        if input.ndim not in (nd + 1, nd + 2):
            raise RuntimeError(f"{type(self).__name__}: expected {nd + 1}D (unbatched) or "
                               f"{nd + 2}D (batched) input, but got input of size: "
                               f"{list(input.shape)}")
        return int(input.shape[1] if input.ndim == nd + 2 else input.shape[0])

    def initialize_parameters(self, input, *args, **kwargs):
        if not self.has_uninitialized_params():
            w = self.weight.shape  # shapes came from a state_dict
            self.in_channels = int(w[0] if self.transposed else w[1] * self.groups)
            return
        self.in_channels = self._get_in_channels(input)
        if self.in_channels % self.groups:
            raise ValueError(f"{type(self).__name__}: in_channels ({self.in_channels}) must be "
                             f"divisible by groups ({self.groups})")
        if self.transposed:
            shape = (self.in_channels, self.out_channels // self.groups)
        else:
            shape = (self.out_channels, self.in_channels // self.groups)
        self.weight.materialize(shape + tuple(self.kernel_size))
        if self.bias is not None:
            self.bias.materialize((self.out_channels,))
        self.reset_parameters()


class _LazyConv(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, dilation=1, groups=1,
                 bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, dilation, groups, False,
                         padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class _LazyConvTranspose(_LazyConvMixin):
    def __init__(self, out_channels, kernel_size, stride=1, padding=0, output_padding=0,
                 groups=1, bias=True, dilation=1, padding_mode="zeros", device=None,
                 dtype=None):
        super().__init__(0, 0, kernel_size, stride, padding, output_padding, groups, False,
                         dilation, padding_mode, device, dtype)
        self._lazy_init(out_channels, bias, device, dtype)


class LazyConv1d(_LazyConv, Conv1d):
    """A Conv1d whose ``in_channels`` is read from the first input."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConv, Conv2d):
    """A Conv2d whose ``in_channels`` is read from the first input (N, C_in, H, W)."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConv, Conv3d):
    """A Conv3d whose ``in_channels`` is read from the first input."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTranspose, ConvTranspose1d):
    """A ConvTranspose1d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTranspose, ConvTranspose2d):
    """A ConvTranspose2d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTranspose, ConvTranspose3d):
    """A ConvTranspose3d whose ``in_channels`` is read from the first input."""

    cls_to_become = ConvTranspose3d


# ----------------------------------------------------------------------------- normalisation
class _LazyNorm(LazyModuleMixin):
    """``num_features`` from dimension 1 of the first input (PyTorch's rule)."""

    def __init__(self, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True,
                 device=None, dtype=None, *, bias=True):
        super().__init__(0, eps, momentum, False, False, device, dtype, bias=False)
        self.affine, self.track_running_stats = affine, track_running_stats
        if affine:
            self.weight = UninitializedParameter(device=device, dtype=dtype)
            if bias:
                self.bias = UninitializedParameter(device=device, dtype=dtype)
        if track_running_stats:
            self.running_mean = UninitializedBuffer(device=device, dtype=dtype)
            self.running_var = UninitializedBuffer(device=device, dtype=dtype)
            xp = backend.device_module(device if device is not None else "cpu")
            self.num_batches_tracked = Tensor._make(xp.zeros((), dtype=backend.int64), False)

    def reset_parameters(self):
        if not self.has_uninitialized_params() and self.num_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input, *args, **kwargs):
        if input.ndim < 2:
            raise ValueError(f"{type(self).__name__}: expected an input with a channel "
                             f"dimension (N, C, ...), got shape {tuple(input.shape)}")
        self.num_features = int(input.shape[1])
        if self.has_uninitialized_params():
            for t in (self.weight, self.bias, self.running_mean, self.running_var):
                if t is not None:
                    t.materialize((self.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNorm, BatchNorm1d):
    """A BatchNorm1d whose ``num_features`` is read from the first input (N, C) or (N, C, L)."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNorm, BatchNorm2d):
    """A BatchNorm2d whose ``num_features`` is read from the first input (N, C, H, W)."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNorm, BatchNorm3d):
    """A BatchNorm3d whose ``num_features`` is read from the first input (N, C, D, H, W)."""

    cls_to_become = BatchNorm3d


# PyTorch's lazy instance norms default to affine=True and track_running_stats=True, unlike
# the eager ones: so do these.
class LazyInstanceNorm1d(_LazyNorm, InstanceNorm1d):
    """An InstanceNorm1d whose ``num_features`` is read from the first input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyNorm, InstanceNorm2d):
    """An InstanceNorm2d whose ``num_features`` is read from the first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyNorm, InstanceNorm3d):
    """An InstanceNorm3d whose ``num_features`` is read from the first input."""

    cls_to_become = InstanceNorm3d
