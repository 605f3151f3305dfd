"""Normalisation layers over features: LayerNorm, GroupNorm, RMSNorm, LocalResponseNorm, and the
learnable affine map (weight, bias) that every normalisation layer ends with.

Unlike batch normalisation (``batchnorm.py``) these normalise each sample on its own, with the
same computation in training and evaluation, and keep no running statistics.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from .. import init
from ..parameter import empty_param, weight_and_bias
from .module import Module

__all__ = ["LayerNorm", "GroupNorm", "RMSNorm", "LocalResponseNorm"]


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
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
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
