"""rms_norm: LayerNorm without the centring (Zhang and Sennrich, 2019).

y = x / sqrt(mean(x^2) + eps) * weight, the mean taken over the last ``len(normalized_shape)``
dimensions. Dropping the mean subtraction keeps LayerNorm's re-scaling invariance (the part that
stabilises training) at a lower cost; LLaMA-style transformers use it in place of LayerNorm.
"""

from __future__ import annotations

import numpy as np

from ...tensor import Tensor

__all__ = ["rms_norm"]


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """y = x * rsqrt(mean(x^2 over normalized_shape) + eps) * weight.

    ``eps=None`` uses the machine epsilon of the input's dtype (``torch.finfo(dtype).eps``), as
    PyTorch does.

    Shape: input (*, *normalized_shape); weight normalized_shape; output like input.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"rms_norm: input must be a Tensor, got {type(input).__name__}")
    ns = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != ns or input.ndim < k:
        raise RuntimeError(f"rms_norm: given normalized_shape={list(ns)}, expected input with "
                           f"shape [*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"rms_norm: weight of shape {tuple(weight.shape)} does not match "
                           f"normalized_shape {ns}")
    if input.dtype.kind != "f":
        raise RuntimeError(f"rms_norm: expected a floating input, got {input.dtype}")
    eps = float(np.finfo(input.dtype).eps) if eps is None else eps
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out
