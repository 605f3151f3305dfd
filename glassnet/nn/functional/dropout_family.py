"""Dropout and its variants (Srivastava et al. 2014): randomly silence units while training.

Each unit is kept with probability 1 - p and *scaled by 1 / (1 - p)* ("inverted dropout"), so the
expected activation is unchanged and evaluation needs no rescaling: with ``training=False``
dropout is the identity. The lectures present it as training an ensemble of thinned networks that
share weights. Masks are drawn from glassnet's seeded generator, so the same seed gives the same
masks (PyTorch draws from its own generator, so the masks differ from PyTorch's).
"""

from __future__ import annotations

import math
import warnings

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
        # Only a model exported in training mode reaches here: ONNX Dropout draws its own
        # elementwise mask, so the mask recorded at export (kept entries scaled by 1 / (1 - p))
        # gives only p. Channel-wise and alpha dropout have no ONNX equivalent.
        x, m, c = rec.args
        if c is not None or 0 in getattr(m, "strides", (1,)):
            g.unsupported("channel-wise or alpha dropout in training mode (export in eval mode, "
                          "where dropout is the identity)")
        scale = float(np.max(m)) if m.size else 1.0
        dt = g.operand_dtype()
        if scale == 0.0:  # p = 1: every element dropped
            g.out(g.op("Mul", [g.value(x), g.scalar(0.0, dt)]))
            return
        ratio = min(max(1.0 - 1.0 / scale, 0.0), float(np.nextafter(np.float32(1), 0)))
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


def _warn_dims(op, nd, expected, spatial):
    """PyTorch's warning for an input of the wrong rank to dropout2d / dropout3d (it still runs)."""
    lo, hi = expected
    warnings.warn(
        f"{op}: Received a {nd}-D input to {op}, which is deprecated and will result in an "
        "error in a future release. To retain the behavior and silence this warning, please "
        f"use dropout instead. Note that {op} exists to provide channel-wise dropout on inputs "
        f"with {spatial} spatial dimensions, a channel dimension, and an optional batch "
        f"dimension (i.e. {lo}D or {hi}D inputs).", UserWarning, stacklevel=3)


def _feature_dropout(op, input, p, training, inplace, batched):
    """Channel-wise dropout: one keep/drop draw per (sample, channel) of a batched input
    ``(N, C, *)``, or per channel of a single sample ``(C, *)`` (``batched=False``), the rest
    of the axes broadcast. PyTorch's ``feature_dropout``: a batched input needs 2 dimensions."""
    _check_p(p)
    if not training or p == 0:
        return input
    nd = input.ndim
    if nd + (not batched) < 2:
        raise RuntimeError(f"{op}: Feature dropout requires at least 2 dimensions in the input, "
                           f"got a {nd}-D input of shape {tuple(input.shape)}")
    x = input._data
    lead = 2 if batched else 1
    shape = input.shape[:lead] + (1,) * (nd - lead)
    if p == 1:
        mask = backend.array_module(x).zeros(shape, x.dtype)
    else:
        mask = _keep_mask(shape, 1 - p, x)
        mask *= x.dtype.type(1 / (1 - p))
    mask = backend.array_module(x).broadcast_to(mask, x.shape)
    return _apply(input, mask, None, inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels: input (N, C, L) or (C, L); each channel kept with prob. 1 - p."""
    _check_p(p)
    if input.ndim not in (2, 3):
        raise RuntimeError(
            f"dropout1d: Expected 2D or 3D input, but received a {input.ndim}D input of shape "
            f"{tuple(input.shape)}. Note that dropout1d exists to provide channel-wise dropout "
            "on inputs with 1 spatial dimension, a channel dimension, and an optional batch "
            "dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout("dropout1d", input, p, training, inplace, input.ndim == 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole feature maps (Tompson et al. 2015): input (N, C, H, W) or (C, H, W).

    Neighbouring pixels of a feature map are strongly correlated, so dropping single pixels
    regularises little; dropping the whole channel does. As in PyTorch, any input is read as
    batched ``(N, C, *)``: a 3-D input as (N, C, L), with a warning, and an input of another
    rank with a deprecation warning; a 2-D ``(N, C)`` input is then dropped element by element.
    """
    _check_p(p)
    nd = input.ndim
    if nd not in (3, 4):
        _warn_dims("dropout2d", nd, (3, 4), 2)
    if nd == 3:
        warnings.warn(
            "dropout2d: Received a 3D input to dropout2d and assuming that channel-wise 1D "
            "dropout behavior is desired - input is interpreted as shape (N, C, L), where C is "
            "the channel dim. This behavior will change in a future release to interpret the "
            "input as one without a batch dimension, i.e. shape (C, H, W). To maintain the 1D "
            "channel-wise dropout behavior, please switch to using dropout1d instead.",
            UserWarning, stacklevel=2)
    return _feature_dropout("dropout2d", input, p, training, inplace, True)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of volumes: input (N, C, D, H, W) or (C, D, H, W).

    As in PyTorch, an input of another rank is read as one sample ``(C, *)`` with a deprecation
    warning (a 2-D ``(N, C)`` input then loses whole rows).
    """
    _check_p(p)
    nd = input.ndim
    if nd not in (4, 5):
        _warn_dims("dropout3d", nd, (4, 5), 3)
    return _feature_dropout("dropout3d", input, p, training, inplace, nd == 5)


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
