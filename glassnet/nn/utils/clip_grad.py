"""Gradient clipping: bound the size of a step when gradients explode.

Deep and recurrent networks can produce rare, huge gradients (the "exploding" side of the
lectures' vanishing-gradient problem): one such step throws the weights far from where training
was. Clipping keeps the direction and bounds the length: ``clip_grad_norm_`` rescales all
gradients together so that their joint norm is at most ``max_norm``; ``clip_grad_value_`` clamps
every entry to ``[-clip_value, clip_value]`` (which can change the direction).
"""

from __future__ import annotations

import math
import warnings

import numpy as np

from glassnet import backend
from glassnet.tensor import Tensor


def _grads(parameters):
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _tensors(tensors):
    if isinstance(tensors, Tensor):
        return [tensors]
    return [t for t in tensors if t is not None]


def _vector_norm(x, p):
    """||x||_p of an array as a NumPy scalar of its dtype (PyTorch's ``vector_norm``)."""
    xp = backend.array_module(x)
    x = x.reshape(-1)
    if x.size == 0:
        return x.dtype.type(0)
    if p == 2.0:
        r = xp.sqrt(xp.dot(x, x))
    elif p == math.inf:
        r = xp.abs(x).max()
    elif p == -math.inf:
        r = xp.abs(x).min()
    elif p == 0.0:
        r = xp.count_nonzero(x)
    elif p == 1.0:
        r = xp.abs(x).sum()
    else:
        r = (xp.abs(x) ** p).sum() ** (1.0 / p)
    return x.dtype.type(backend.to_numpy(r))


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""The ``norm_type``-norm of all the given tensors taken together, as a 0-d Tensor.

    :math:`\|(g_1, \dots, g_k)\|_p = \big\|(\|g_1\|_p, \dots, \|g_k\|_p)\big\|_p`, which for the
    2-norm is :math:`\sqrt{\sum_i \|g_i\|_2^2}`: the length of the concatenated vector.
    ``norm_type`` may be ``inf`` (largest absolute entry).
    """
    arrays = [t._data if isinstance(t, Tensor) else t for t in _tensors(tensors)]
    norm_type = float(norm_type)
    if len(arrays) == 0:
        return Tensor(np.array(0.0, dtype=backend.get_default_dtype()))
    dtype = np.result_type(*[a.dtype for a in arrays])
    norms = np.array([_vector_norm(a, norm_type) for a in arrays], dtype=dtype)
    total = _vector_norm(norms, norm_type)
    if error_if_nonfinite and not np.isfinite(total):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} for gradients "
                           "from `parameters` is non-finite, so it cannot be clipped. To disable "
                           "this error and scale the gradients by the non-finite norm anyway, "
                           "set `error_if_nonfinite=False`")
    return Tensor(np.array(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scale the gradients by ``min(1, max_norm / (total_norm + 1e-6))`` in place."""
    grads = _grads(parameters)
    if len(grads) == 0:
        return
    tn = total_norm._data if isinstance(total_norm, Tensor) else np.asarray(total_norm)
    tn = backend.to_numpy(tn)
    dtype = tn.dtype if backend.is_floating(tn.dtype) else np.dtype(np.float32)
    tn = dtype.type(tn)
    # the same float arithmetic as PyTorch's 0-d tensor ops
    coef = dtype.type(float(max_norm)) / (tn + dtype.type(1e-6))
    coef = min(coef, dtype.type(1.0)) if not np.isnan(coef) else coef
    with np.errstate(invalid="ignore", over="ignore"):  # inf norm: nan gradients, as PyTorch
        for g in grads:
            g._data *= g._data.dtype.type(coef)


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    r"""Rescale gradients in place so that their total norm is at most ``max_norm``.

    With :math:`N = \|(g_1, \dots, g_k)\|_p` the norm of all gradients together, every gradient is
    multiplied by :math:`\min(1, \text{max\_norm} / (N + 10^{-6}))`: the step keeps its direction
    and its length is bounded. Call it between ``loss.backward()`` and ``optimizer.step()``.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` is clipped.
        max_norm: the largest allowed total norm.
        norm_type: the p of the p-norm (default 2; ``float('inf')`` for the max norm).
        error_if_nonfinite: raise if the total norm is nan or inf (else the gradients are
            scaled by it anyway, as in PyTorch).

    Returns:
        The total norm of the gradients *before* clipping, a 0-d Tensor.
    """
    parameters = [parameters] if isinstance(parameters, Tensor) else list(parameters)
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(parameters, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """Deprecated alias of :func:`clip_grad_norm_` (PyTorch keeps it for old code)."""
    warnings.warn("`glassnet.nn.utils.clip_grad_norm` is now deprecated in favor of "
                  "`glassnet.nn.utils.clip_grad_norm_`.", FutureWarning, stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamp every gradient entry to ``[-clip_value, clip_value]`` in place."""
    clip_value = float(clip_value)
    for g in _grads(parameters):
        a = g._data
        backend.array_module(a).clip(a, -clip_value, clip_value, out=a)
