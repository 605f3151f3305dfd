"""Dropout and its variants (Srivastava et al. 2014): randomly silence units while training.

Each unit is kept with probability 1 - p and *scaled by 1 / (1 - p)* ("inverted dropout"), so the
expected activation is unchanged and evaluation needs no rescaling: with ``training=False``
dropout is the identity. The lectures present it as training an ensemble of thinned networks that
share weights. Masks are drawn from glassnet's seeded generator, so the same seed gives the same
masks (PyTorch draws from its own generator, so the masks differ from PyTorch's).
"""

from __future__ import annotations

import math

import numpy as np

from ... import backend
from ...autograd import Function
from ...tensor import Tensor
from .piecewise_linear import _finish

__all__ = ["dropout", "dropout1d", "dropout2d", "dropout3d", "alpha_dropout",
           "feature_alpha_dropout"]


class _MulMask(Function):
    """out = x * m + c for a constant mask array m (and optional constant c); dL/dx = g * m."""

    @staticmethod
    def forward(ctx, x, m, c):
        ctx.save_for_backward(m)
        out = x * m
        if c is not None:
            out += c
        return out

    @staticmethod
    def backward(ctx, g):
        (m,) = ctx.saved_tensors
        return g * m, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g * ctx.constant(ctx.saved_tensors[0], g.dtype), None, None

    @staticmethod
    def to_onnx(g, rec):
        # Only a model exported in training mode reaches here: ONNX Dropout draws its own mask.
        x, _m, c = rec.args
        ratio = 1.0 - 1.0 / float(c) if c else 1.0
        dt = g.operand_dtype()
        y = g.op("Dropout", [g.value(x), g.scalar(ratio, dt), g.const(np.asarray(True))])
        g.out(y)


def _check_p(p):
    if not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _keep_mask(shape, keep, like):
    """A float mask of ``shape``: 1 with probability ``keep``, else 0 (glassnet's generator)."""
    r = backend.rng().random(shape, dtype="float32") if like.dtype.itemsize <= 4 else \
        backend.rng().random(shape)
    m = (r < keep).astype(like.dtype)
    return backend.to_device(m, backend.device_of(like))


def _apply(input, mask, const, inplace):
    return _finish(input, _MulMask.apply(input, mask, const), inplace, "dropout")


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1 / (1 - p) when ``training``;
    identity otherwise. p = 1 gives zeros.

    Shape: any; output has the input's shape.
    """
    _check_p(p)
    if not isinstance(input, Tensor):
        raise TypeError(f"dropout: expected a Tensor, got {type(input).__name__}")
    if not training or p == 0:
        return input
    x = input._data
    if p == 1:
        mask = backend.array_module(x).zeros(x.shape, x.dtype)
    else:
        mask = _keep_mask(x.shape, 1 - p, x)
        mask *= x.dtype.type(1 / (1 - p))
    return _apply(input, mask, None, inplace)


def _feature_mask_shape(op, input, batched_ndim):
    nd = input.ndim
    if nd == batched_ndim:
        return input.shape[:2] + (1,) * (nd - 2)
    if nd == batched_ndim - 1:
        return input.shape[:1] + (1,) * (nd - 1)
    raise RuntimeError(f"{op}: expected {batched_ndim - 1}-D or {batched_ndim}-D input, got "
                       f"{nd}-D input of shape {tuple(input.shape)}")


def _feature_dropout(op, input, p, training, inplace, batched_ndim):
    _check_p(p)
    if not training or p == 0:
        return input
    x = input._data
    shape = _feature_mask_shape(op, input, batched_ndim)
    if p == 1:
        mask = backend.array_module(x).zeros(shape, x.dtype)
    else:
        mask = _keep_mask(shape, 1 - p, x)
        mask *= x.dtype.type(1 / (1 - p))
    mask = backend.array_module(x).broadcast_to(mask, x.shape)
    return _apply(input, mask, None, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, L) or (C, L); each channel kept with prob. 1 - p."""
    return _feature_dropout("dropout1d", input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole feature maps (Tompson et al. 2015): input (N, C, H, W) or (C, H, W).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    regularises little; dropping the whole channel does. A 3-D input is read as (N, C, L), as
    PyTorch currently does.
    """
    if input.ndim == 3:
        return _feature_dropout("dropout2d", input, p, training, inplace, 3)
    return _feature_dropout("dropout2d", input, p, training, inplace, 4)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of volumes: input (N, C, D, H, W) or (C, D, H, W)."""
    return _feature_dropout("dropout3d", input, p, training, inplace, 5)


_ALPHA_PRIME = -1.7580993408473766  # -SELU scale * SELU alpha: the value SELU saturates to


def _alpha(input, p, training, inplace, mask_shape):
    _check_p(p)
    if not training or p == 0:
        return input
    x = input._data
    xp = backend.array_module(x)
    if p == 1:
        return _apply(input, xp.zeros(x.shape, x.dtype), None, inplace)
    keep = _keep_mask(mask_shape, 1 - p, x)
    # Dropped units are set to alpha' and the result is affinely rescaled, a (.) + b, so that mean
    # and variance stay those of the input (Klambauer et al. 2017, self-normalising networks).
    a = 1.0 / math.sqrt((1 - p) * (1 + p * _ALPHA_PRIME ** 2))
    b = -a * p * _ALPHA_PRIME
    m = xp.broadcast_to(keep * x.dtype.type(a), x.shape)
    c = xp.broadcast_to((1 - keep) * x.dtype.type(a * _ALPHA_PRIME) + x.dtype.type(b), x.shape)
    return _apply(input, m, c, inplace)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: keeps zero mean and unit variance (identity when not training)."""
    return _alpha(input, p, training, inplace, input.shape)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels (dim 1)."""
    shape = input.shape[:2] + (1,) * (input.ndim - 2)
    return _alpha(input, p, training, inplace, shape)
