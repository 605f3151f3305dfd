"""The classifier head and its loss in one call: ``linear_cross_entropy``.

    loss = cross_entropy(input @ linear_weight^T + linear_bias, target, ...)

A network's last linear layer followed by cross-entropy. ``linear_weight`` (C, *out, in) may
carry extra output dims ``out`` (a K-dimensional loss: logits (N, C, *out)); ``target`` holds
class indices or, with the logits' shape, class probabilities.
"""

from __future__ import annotations

import math

from ...tensor import Tensor
from .affine import linear
from .classification_loss import cross_entropy

__all__ = ["linear_cross_entropy"]


def linear_cross_entropy(input, linear_weight, target, *, linear_bias=None, weight=None,
                         reduction="mean", ignore_index=None, label_smoothing=0.0,
                         options=None):
    """cross_entropy(linear(input, linear_weight, linear_bias), target, weight, ...) with
    PyTorch's arguments; ``ignore_index=None`` means -100 for class-index targets. ``options``
    (PyTorch's LinearCrossEntropyOptions, for its batch-chunked kernel) is accepted and does
    not change the result; glassnet computes the full logits either way.

    Shape: input (N, in) or (in,); linear_weight (C, *out, in); linear_bias (C, *out);
    target (N, *out) class indices or (N, C, *out) probabilities -> a scalar, or (N, *out)
    with ``reduction='none'``.
    """
    for name, t in (("input", input), ("linear_weight", linear_weight), ("target", target)):
        if not isinstance(t, Tensor):
            raise TypeError(f"linear_cross_entropy: {name} must be a Tensor, got "
                            f"{type(t).__name__}")
    if input.ndim < 1 or input.ndim > 2:
        raise RuntimeError(f"linear_cross_entropy: expected input with dimensionality 1 or 2, "
                           f"got {input.ndim}")
    if linear_weight.ndim < 2:
        raise RuntimeError(f"linear_cross_entropy: expected linear_weight with dimensionality "
                           f"at least 2, got {linear_weight.ndim}")
    batch, in_features = tuple(input.shape[:-1]), input.shape[-1]
    if in_features != linear_weight.shape[-1]:
        raise RuntimeError(f"linear_cross_entropy: expected equal input and linear_weight last "
                           f"dimensions (in_features), got {in_features} and "
                           f"{linear_weight.shape[-1]}, respectively")
    classes, out = linear_weight.shape[0], tuple(linear_weight.shape[1:-1])
    if linear_bias is not None and tuple(linear_bias.shape) != (classes, *out):
        raise RuntimeError(f"linear_cross_entropy: expected linear_bias shape "
                           f"{(classes, *out)}, got {tuple(linear_bias.shape)}")
    if out and not batch:
        raise RuntimeError(f"linear_cross_entropy: K-dimensional loss defined by linear_weight "
                           f"shape {tuple(linear_weight.shape)} requires batched input, "
                           f"(N, {in_features}), got unbatched input with shape "
                           f"{tuple(input.shape)}")
    logits_shape = (*batch, classes, *out)
    if tuple(target.shape) == logits_shape and ignore_index is not None:
        raise RuntimeError("linear_cross_entropy: ignore_index cannot be specified when target "
                           "contains probabilities")
    ignore_index = -100 if ignore_index is None else ignore_index
    if out:
        rows = math.prod(out, start=classes)
        linear_weight = linear_weight.reshape(rows, in_features)
        if linear_bias is not None:
            linear_bias = linear_bias.reshape(rows)
    logits = linear(input, linear_weight, linear_bias).reshape(logits_shape)
    return cross_entropy(logits, target, weight=weight, ignore_index=ignore_index,
                         reduction=reduction, label_smoothing=label_smoothing)
