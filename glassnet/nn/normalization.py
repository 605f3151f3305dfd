"""Normalisation layers: BatchNorm1d/2d/3d, LayerNorm, GroupNorm, InstanceNorm1d/2d/3d, RMSNorm,
LocalResponseNorm.

Batch normalisation (lectures: "making it work — normalisation") standardises each channel with
the statistics of the current mini-batch while training and with running averages of them at
evaluation time, so ``train()`` / ``eval()`` matter. The running averages are *buffers*: saved in
the state_dict, moved by ``to()``, never touched by the optimiser.
"""

from __future__ import annotations

import warnings

from .. import backend
from ..tensor import Tensor
from . import functional as F
from . import init
from .linear import empty_param, weight_and_bias
from .module import Module

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "LayerNorm", "GroupNorm",
           "InstanceNorm1d", "InstanceNorm2d", "InstanceNorm3d", "RMSNorm", "LocalResponseNorm"]


def _buffer(shape, fill, device, dtype):
    xp = backend.device_module(device if device is not None else "cpu")
    d = backend.to_dtype(dtype) or backend.get_default_dtype()
    return Tensor._make(xp.full(shape, fill, dtype=d), False)


def _affine_params(module, affine, bias, shape, device, dtype):
    """``weight`` and ``bias`` of ``shape`` when ``affine`` (the bias only with ``bias``), else
    None."""
    shape = shape if affine else None
    weight_and_bias(module, shape, shape if bias else None, device, dtype)


def _reset_affine(module, affine):
    """The identity affine map: weight ones, bias zeros."""
    if affine:
        init.ones_(module.weight)
        if module.bias is not None:
            init.zeros_(module.bias)


class _NormBase(Module):
    _version = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        _affine_params(self, affine, bias, (num_features,), device, dtype)
        if track_running_stats:
            self.register_buffer("running_mean", _buffer((num_features,), 0.0, device, dtype))
            self.register_buffer("running_var", _buffer((num_features,), 1.0, device, dtype))
            self.register_buffer("num_batches_tracked",
                                 _buffer((), 0, device, backend.int64))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean._data[...] = 0
            self.running_var._data[...] = 1
            self.num_batches_tracked._data[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        _reset_affine(self, self.affine)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        key = prefix + "num_batches_tracked"
        if self.track_running_stats and key not in state_dict:
            # Checkpoints from before num_batches_tracked existed: keep the current count.
            state_dict = dict(state_dict)
            state_dict[key] = self.num_batches_tracked
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys,
                                      unexpected_keys, error_msgs)


class _BatchNorm(_NormBase):
    _dims = ()
    _shapes = ""

    def _check_input_dim(self, input):
        if input.ndim not in self._dims:
            raise ValueError(f"{type(self).__name__}: expected {self._shapes} input, got "
                             f"{input.ndim}D input of shape {tuple(input.shape)}")
        if input.shape[1] != self.num_features:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels "
                             f"(dim 1), got input of shape {tuple(input.shape)}")

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            if self.momentum is None:  # cumulative moving average: mean of all batches so far
                factor = 1.0 / float(self.num_batches_tracked._data)
        # Batch statistics in training, and in eval when no running statistics are kept.
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        track = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if track else None,
                            self.running_var if track else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs, per channel C.

    y = (x - E[x]) / sqrt(Var[x] + eps) * gamma + beta, with batch statistics in training and
    running ones (momentum-averaged, or cumulative with ``momentum=None``) in eval.
    """

    _dims, _shapes = (2, 3), "2D or 3D"


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) inputs, per channel C (statistics over N, H, W)."""

    _dims, _shapes = (4,), "4D"


class BatchNorm3d(_BatchNorm):
    """Batch norm over (N, C, D, H, W) inputs, per channel C."""

    _dims, _shapes = (5,), "5D"


class _InstanceNorm(_NormBase):
    _nobatch = 2

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device, dtype,
                         bias=bias)

    def _apply_norm(self, input):
        return F.instance_norm(input, self.running_mean, self.running_var, self.weight,
                               self.bias, self.training or not self.track_running_stats,
                               self.momentum if self.momentum is not None else 0.0, self.eps)

    def forward(self, input):
        if input.ndim not in (self._nobatch, self._nobatch + 1):
            raise ValueError(f"{type(self).__name__}: expected {self._nobatch}D or "
                             f"{self._nobatch + 1}D input, got {input.ndim}D")
        fdim = input.ndim - self._nobatch
        if input.shape[fdim] != self.num_features:
            if self.affine:
                raise ValueError(f"expected input's size at dim={fdim} to match num_features "
                                 f"({self.num_features}), but got: {input.shape[fdim]}.")
            warnings.warn(f"input's size at dim={fdim} does not match num_features.",
                          stacklevel=2)
        if input.ndim == self._nobatch:
            return self._apply_norm(input.unsqueeze(0)).squeeze(0)
        return self._apply_norm(input)


class InstanceNorm1d(_InstanceNorm):
    """Normalise each (sample, channel) of (N, C, L) over L."""

    _nobatch = 2


class InstanceNorm2d(_InstanceNorm):
    """Normalise each (sample, channel) of (N, C, H, W) over H, W (style transfer's norm)."""

    _nobatch = 3


class InstanceNorm3d(_InstanceNorm):
    _nobatch = 4


class LayerNorm(Module):
    """Normalise each sample over its last dims ``normalized_shape`` (same in train and eval),
    then scale and shift elementwise (weight ones, bias zeros).

    Shape: (*, *normalized_shape) -> same.
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps = ns, eps
        self.elementwise_affine = elementwise_affine
        _affine_params(self, elementwise_affine, bias, ns, device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self, self.elementwise_affine)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalise each sample over groups of ``num_channels // num_groups`` channels (and space);
    GroupNorm(1, C) is LayerNorm over (C, *), GroupNorm(C, C) is InstanceNorm.

    Shape: (N, C, *) -> same.
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError("num_channels must be divisible by num_groups")
        self.num_groups, self.num_channels, self.eps, self.affine = (
            num_groups, num_channels, eps, affine)
        _affine_params(self, affine, bias, (num_channels,), device, dtype)
        self.reset_parameters()

    def reset_parameters(self):
        _reset_affine(self, self.affine)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """y = x / sqrt(mean(x^2 over normalized_shape) + eps) * weight (no centring).
    ``eps=None`` uses the dtype's machine epsilon, as PyTorch does."""

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
        self.normalized_shape, self.eps, self.elementwise_affine = ns, eps, elementwise_affine
        if elementwise_affine:
            self.weight = empty_param(ns, device, dtype)
            init.ones_(self.weight)
        else:
            self.register_parameter("weight", None)

    def forward(self, input):
        import numpy as np

        dims = tuple(range(input.ndim - len(self.normalized_shape), input.ndim))
        eps = self.eps if self.eps is not None else float(np.finfo(input.dtype).eps)
        out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
        return out * self.weight if self.weight is not None else out

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")


class LocalResponseNorm(Module):
    """AlexNet's normalisation across neighbouring channels (see F.local_response_norm)."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"
