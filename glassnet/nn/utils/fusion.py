"""Folding an eval-mode batch norm into the convolution or linear layer before it
(``torch.nn.utils.fusion``).

In eval mode batch norm is a fixed affine map per channel,
``y = (x - mu) / sqrt(var + eps) * gamma + beta``; after a convolution ``x = W * in + b`` it can
be absorbed into the convolution itself::

    W' = W * gamma / sqrt(var + eps)          (per output channel)
    b' = (b - mu) * gamma / sqrt(var + eps) + beta

one layer instead of two at inference, with the same outputs.
"""

from __future__ import annotations

import copy

from glassnet import backend
from glassnet.nn.parameter import Parameter

__all__ = ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
           "fuse_linear_bn_weights"]


def _arr(t):
    return None if t is None else t._data


def _rsqrt(x):
    xp = backend.array_module(x)
    return xp.reciprocal(xp.sqrt(x))


def fuse_conv_bn_eval(conv, bn, transpose=False):
    """A new convolution equal to ``bn(conv(x))`` for eval-mode ``conv`` and ``bn``
    (``transpose=True`` for a transposed convolution, whose weight is (in, out, ...))."""
    if conv.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_conv = copy.deepcopy(conv)
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_conv.weight, fused_conv.bias = fuse_conv_bn_weights(
        fused_conv.weight, fused_conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight,
        bn.bias, transpose)
    return fused_conv


def fuse_conv_bn_weights(conv_w, conv_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b, transpose=False):
    """The fused ``(weight, bias)`` Parameters (see the module docstring).

    Shape: ``conv_w`` (C_out, C_in / groups, *kernel) (transposed: (C_in, C_out / groups, ...)),
    the batch-norm tensors (C_out,).
    """
    w, rm, rv = _arr(conv_w), _arr(bn_rm), _arr(bn_rv)
    xp = backend.array_module(w)
    b = xp.zeros_like(rm) if conv_b is None else _arr(conv_b)
    gamma = xp.ones_like(rm) if bn_w is None else _arr(bn_w)
    beta = xp.zeros_like(rm) if bn_b is None else _arr(bn_b)
    bias_dtype = w.dtype if conv_b is None else b.dtype
    var_rsqrt = _rsqrt(rv + bn_eps)
    shape = ([1, -1] if transpose else [-1, 1]) + [1] * (w.ndim - 2)
    fused_w = (w * (gamma * var_rsqrt).reshape(shape)).astype(w.dtype)
    fused_b = ((b - rm) * var_rsqrt * gamma + beta).astype(bias_dtype)
    return (Parameter(fused_w, conv_w.requires_grad),
            Parameter(fused_b, False if conv_b is None else conv_b.requires_grad))


def fuse_linear_bn_eval(linear, bn):
    """A new Linear equal to ``bn(linear(x))`` for eval-mode ``linear`` and ``bn``
    (``bn.num_features`` equal to ``linear.out_features``, or 1)."""
    if linear.training or bn.training:
        raise AssertionError("Fusion only for eval!")
    fused_linear = copy.deepcopy(linear)
    if linear.out_features != bn.num_features and bn.num_features != 1:
        raise AssertionError("To fuse, linear.out_features == bn.num_features or "
                             f"bn.num_features == 1, got linear.out_features="
                             f"{linear.out_features} and bn.num_features={bn.num_features}")
    if bn.running_mean is None or bn.running_var is None:
        raise AssertionError("bn.running_mean and bn.running_var must not be None")
    fused_linear.weight, fused_linear.bias = fuse_linear_bn_weights(
        fused_linear.weight, fused_linear.bias, bn.running_mean, bn.running_var, bn.eps,
        bn.weight, bn.bias)
    return fused_linear


def fuse_linear_bn_weights(linear_w, linear_b, bn_rm, bn_rv, bn_eps, bn_w, bn_b):
    """The fused Linear ``(weight, bias)`` Parameters: W' = W * scale[:, None],
    b' = (b - mu) * scale + beta with scale = gamma / sqrt(var + eps)."""
    w, rm, rv = _arr(linear_w), _arr(bn_rm), _arr(bn_rv)
    xp = backend.array_module(w)
    b = xp.zeros_like(rm) if linear_b is None else _arr(linear_b)
    bias_dtype = w.dtype if linear_b is None else b.dtype
    scale = _arr(bn_w) * _rsqrt(rv + bn_eps)
    fused_w = w * scale[..., None].astype(w.dtype)
    fused_b = ((b - rm) * scale + _arr(bn_b)).astype(bias_dtype)
    return (Parameter(fused_w, linear_w.requires_grad),
            Parameter(fused_b, False if linear_b is None else linear_b.requires_grad))
