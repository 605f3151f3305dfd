"""``torch.signal.windows``: the tapering windows of spectral analysis, as PyTorch defines them.

A window w_0 ... w_{M-1} multiplies a signal before a Fourier transform so that the ends meet
smoothly. ``sym=True`` (the default) gives the symmetric window used in filter design;
``sym=False`` the periodic one used before an FFT (the symmetric window of length M + 1 without
its last sample). Each function returns a 1-D float32 or float64 tensor of length M.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import get_default_dtype
from ..functions import ones
from ..special import i0
from ..tensor import tensor

__all__ = ["bartlett", "blackman", "cosine", "exponential", "gaussian", "general_cosine",
           "general_hamming", "hamming", "hann", "kaiser", "nuttall"]


def _checks(name, M, dtype, layout=None):
    dtype = np.dtype(get_default_dtype() if dtype is None else dtype)
    if M < 0:
        raise ValueError(f"{name} requires non-negative window length, got M={M}")
    if layout is not None and getattr(layout, "_name", str(layout)).split(".")[-1] != "strided":
        raise ValueError(f"{name} is implemented for strided tensors only, got: {layout}")
    if dtype not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ValueError(f"{name} expects float32 or float64 dtypes, got: {dtype}")
    return dtype


def _out(values, dtype, device, requires_grad):
    return tensor(np.asarray(values, np.float64).astype(dtype), device=device,
                  requires_grad=requires_grad)


def _positions(M, start, step):
    """start, start + step, ..., M values (PyTorch's linspace from start to start + (M-1) step)."""
    return start + step * np.arange(M, dtype=np.float64)


def _span(M, sym):
    """The denominator that makes the window symmetric (M - 1) or periodic (M)."""
    return M - 1 if sym else M


def exponential(M, *, center=None, tau=1.0, sym=True, dtype=None, layout=None, device=None,
                requires_grad=False):
    """w_n = exp(-|n - c| / tau), centred at c = (M - 1) / 2 unless ``center`` is given
    (only for ``sym=False``): the Poisson window."""
    dtype = _checks("exponential", M, dtype, layout)
    if tau <= 0:
        raise ValueError(f"Tau must be positive, got: {tau} instead.")
    if sym and center is not None:
        raise ValueError("Center must be None for symmetric windows")
    if center is None:
        center = (M if not sym and M > 1 else M - 1) / 2.0
    k = _positions(M, -center / tau, 1 / tau)
    return _out(np.exp(-np.abs(k)), dtype, device, requires_grad)


def cosine(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """w_n = sin(pi (n + 0.5) / M), the sine window (M + 1 in place of M for ``sym=False``)."""
    dtype = _checks("cosine", M, dtype, layout)
    c = math.pi / (M + 1 if not sym and M > 1 else M) if M else 0.0
    return _out(np.sin(_positions(M, 0.5 * c, c)), dtype, device, requires_grad)


def gaussian(M, *, std=1.0, sym=True, dtype=None, layout=None, device=None,
             requires_grad=False):
    """w_n = exp(-(n - (M - 1) / 2)^2 / (2 std^2))."""
    dtype = _checks("gaussian", M, dtype, layout)
    if std <= 0:
        raise ValueError(f"Standard deviation must be positive, got: {std} instead.")
    start = -(M if not sym and M > 1 else M - 1) / 2.0
    c = 1 / (std * math.sqrt(2))
    return _out(np.exp(-_positions(M, start * c, c) ** 2), dtype, device, requires_grad)


def kaiser(M, *, beta=12.0, sym=True, dtype=None, layout=None, device=None,
           requires_grad=False):
    """w_n = I_0(beta sqrt(1 - (2n / (M - 1) - 1)^2)) / I_0(beta): the Kaiser window (beta
    trades main-lobe width for side-lobe height)."""
    dtype = _checks("kaiser", M, dtype, layout)
    if beta < 0:
        raise ValueError(f"beta must be non-negative, got: {beta} instead.")
    if M <= 1:
        return ones(M, dtype=dtype, device=device, requires_grad=requires_grad)
    step = 2.0 * beta / _span(M, sym)
    k = np.minimum(_positions(M, -beta, step), beta)
    arg = tensor(np.sqrt(np.maximum(beta * beta - k * k, 0)).astype(dtype))
    w = i0(arg) / i0(tensor(np.asarray(beta, dtype)))
    return _out(w.numpy(), dtype, device, requires_grad)


def bartlett(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """w_n = 1 - |2n / (M - 1) - 1|, the triangular window."""
    dtype = _checks("bartlett", M, dtype, layout)
    if M <= 1:
        return ones(M, dtype=dtype, device=device, requires_grad=requires_grad)
    k = _positions(M, -1.0, 2 / _span(M, sym))
    return _out(1 - np.abs(k), dtype, device, requires_grad)


def general_cosine(M, *, a, sym=True, dtype=None, layout=None, device=None,
                   requires_grad=False):
    """w_n = sum_i (-1)^i a_i cos(2 pi i n / (M - 1)), the family of the Hann, Hamming,
    Blackman and Nuttall windows."""
    dtype = _checks("general_cosine", M, dtype, layout)
    if M <= 1:
        return ones(M, dtype=dtype, device=device, requires_grad=requires_grad)
    if not isinstance(a, (list, tuple)):
        raise TypeError("Coefficients must be a list/tuple")
    if not a:
        raise ValueError("Coefficients cannot be empty")
    k = _positions(M, 0.0, 2 * math.pi / _span(M, sym))
    w = sum((-1) ** i * c * np.cos(i * k) for i, c in enumerate(a))
    return _out(w, dtype, device, requires_grad)


def general_hamming(M, *, alpha=0.54, sym=True, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """w_n = alpha - (1 - alpha) cos(2 pi n / (M - 1))."""
    return general_cosine(M, a=[alpha, 1.0 - alpha], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def hamming(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hamming window, general_hamming with alpha = 0.54."""
    return general_hamming(M, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def hann(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The Hann window, general_hamming with alpha = 0.5: sin^2(pi n / (M - 1))."""
    return general_hamming(M, alpha=0.5, sym=sym, dtype=dtype, layout=layout, device=device,
                           requires_grad=requires_grad)


def blackman(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """0.42 - 0.5 cos(2 pi n / (M - 1)) + 0.08 cos(4 pi n / (M - 1))."""
    return general_cosine(M, a=[0.42, 0.5, 0.08], sym=sym, dtype=dtype, layout=layout,
                          device=device, requires_grad=requires_grad)


def nuttall(M, *, sym=True, dtype=None, layout=None, device=None, requires_grad=False):
    """The minimum 4-term Blackman-Harris window of Nuttall."""
    return general_cosine(M, a=[0.3635819, 0.4891775, 0.1365995, 0.0106411], sym=sym,
                          dtype=dtype, layout=layout, device=device, requires_grad=requires_grad)
