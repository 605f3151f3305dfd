"""Autocast's policy: inside ``glassnet.amp.autocast``, which ops run in lower precision, which
in float32, and the cast each applies to its Tensor arguments.

Mixed precision keeps the parameters in float32 and runs the ops that tolerate it in a 2-byte
float: matrix products and convolutions (most of a network's arithmetic) in bfloat16 or
float16, while the ops whose results lose too much in 2 bytes (losses, products of many
numbers, inverses) run in float32. PyTorch's CPU autocast lists, which glassnet follows:

* lower precision (``lower_precision``): matmul, mm, bmm, mv, addmm, baddbmm, addbmm, linear,
  conv1d/2d/3d, conv_transpose1d/2d/3d, prelu, scaled_dot_product_attention. Their floating
  Tensor arguments other than float64 are cast to the autocast dtype.
* float32 (``float32``): the losses (mse, l1, smooth_l1, huber, nll, cross_entropy,
  binary_cross_entropy[_with_logits], kl_div, poisson_nll, the margin and embedding losses,
  ctc), prod, cdist. Their float16/bfloat16 Tensor arguments are cast to float32.
* every other op runs in its inputs' dtype, with the usual promotion: a bfloat16 activation
  plus a float32 tensor is float32. Softmax, layer norm and batch norm are not on the CPU's
  float32 list: they run in the dtype they are given.

The casts are ``Cast`` Functions, so gradients flow back through them: a float32 weight used
in bfloat16 receives its gradient in float32. The state is per thread, like grad mode, and
every op checks one flag when autocast is off.
"""

from __future__ import annotations

import functools
import threading

from .. import backend
from ..autograd.variable import Variable
from .arithmetic import Cast


class _AutocastState(threading.local):
    on = False  # any device type enabled (the one flag every listed op reads)
    cpu = None  # the dtype of the lower-precision ops on the CPU, or None when disabled
    cuda = None


state = _AutocastState()


def dtype_for(device_type):
    """The active autocast dtype for ``device_type`` ('cpu' or 'cuda'), or None."""
    return getattr(state, device_type, None)


def set_dtype(device_type, dtype):
    """Enable autocast for ``device_type`` with ``dtype`` (None disables it); returns the
    previous dtype. Used by ``glassnet.amp.autocast`` on entry and exit."""
    prev = getattr(state, device_type)
    setattr(state, device_type, dtype)
    state.on = state.cpu is not None or state.cuda is not None
    return prev


def _device_dtype(t):
    cp = backend._cupy
    return state.cuda if cp is not None and isinstance(t._data, cp.ndarray) else state.cpu


def _lower(a):
    if isinstance(a, Variable):
        d = a._data.dtype
        target = _device_dtype(a)
        if target is not None and d != target and backend.is_floating(d) and d != backend.float64:
            return Cast.apply(a, target)
    return a


def _to_float32(a):
    if isinstance(a, Variable) and backend.is_reduced_precision(a._data.dtype) \
            and _device_dtype(a) is not None:
        return Cast.apply(a, backend.float32)
    return a


def _wrap(fn, cast):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if not state.on:
            return fn(*args, **kwargs)
        return fn(*[cast(a) for a in args], **{k: cast(v) for k, v in kwargs.items()})

    return wrapper


def lower_precision(fn):
    """Decorator for an op of autocast's lower-precision list: inside autocast, its floating
    Tensor arguments (float64 excepted) run in the autocast dtype."""
    return _wrap(fn, _lower)


def float32(fn):
    """Decorator for an op of autocast's float32 list: inside autocast, its float16 and
    bfloat16 Tensor arguments are cast to float32."""
    return _wrap(fn, _to_float32)
