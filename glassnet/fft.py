"""``glassnet.fft``: discrete Fourier transforms with PyTorch's names, arguments and gradients.

The DFT of a signal x of n points is X_k = sum_t x_t exp(-2 pi i k t / n); ``ifft`` inverts it.
``norm`` says where the 1/n goes: "backward" (the default: on the inverse), "forward" (on the
forward transform) or "ortho" (1/sqrt(n) on both, which makes the transform unitary).

* ``fft``/``ifft``, ``fft2``/``ifft2``, ``fftn``/``ifftn``: complex to complex (a real input is
  taken as complex);
* ``rfft``/``irfft`` (and 2-D, n-D): a real signal's spectrum is Hermitian,
  X_{n-k} = conj(X_k), so only its first n//2 + 1 bins are kept, and ``irfft`` rebuilds the
  real signal from them (give ``n`` to get an odd length back);
* ``hfft``/``ihfft`` (and 2-D, n-D): the same pair the other way round, for a signal that is
  Hermitian in time and so has a real spectrum;
* ``fftfreq``/``rfftfreq``: the frequency of each bin; ``fftshift``/``ifftshift`` move
  frequency 0 to the middle and back.

``n`` (or ``s`` for several dims) pads the input with zeros or trims it first; ``dim`` picks
the dims. Every transform is differentiable: the three ops underneath and their adjoints are in
glassnet/ops/fft.py; docs/complex-and-fft.md shows them at work.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from .ops import fft as F
from .tensor import Tensor

_NORMS = ("backward", "forward", "ortho")


def _norm(norm, op):
    if norm is None:
        return "backward"
    if norm not in _NORMS:
        raise ValueError(f"{op}: invalid normalization mode {norm!r} (expected 'backward', "
                         f"'forward', 'ortho' or None)")
    return norm


def _dual(norm):
    return F._DUAL[norm]


def _check_tensor(x, op):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}(): argument 'input' must be Tensor, not {type(x).__name__}")


def _as_complex(x):
    """The input of a complex transform: integers become the default float, then complex
    (real inputs keep the real part of their gradient)."""
    if x.dtype.kind == "c":
        return x
    if not backend.is_floating(x.dtype):
        x = x.to(backend.get_default_dtype())
    return x.to(backend.to_complex(x.dtype))


def _as_real(x, op):
    if x.dtype.kind == "c":
        raise RuntimeError(f"{op} expects a real input tensor, but got {x.dtype}")
    if not backend.is_floating(x.dtype) or backend.is_reduced_precision(x.dtype):
        x = x.to(backend.get_default_dtype())
    return x


def _wrap_dim(d, ndim, op):
    if not -max(ndim, 1) <= d < max(ndim, 1) or ndim == 0:
        raise IndexError(f"{op}: dimension out of range (expected to be in range of "
                         f"[{-ndim}, {ndim - 1}], but got {d})")
    return d % ndim


def _check_n(n, op):
    if n < 1:
        raise RuntimeError(f"{op}: Invalid number of data points ({n}) specified")
    return n


def _dims_and_sizes(x, s, dim, op):
    """PyTorch's rules for (s, dim): dim defaults to the last len(s) dims when s is given and
    to every dim otherwise; -1 in s keeps that dim's size."""
    if dim is not None:
        dims = (dim,) if isinstance(dim, (builtins.int, np.integer)) else tuple(dim)
        dims = tuple(_wrap_dim(d, x.ndim, op) for d in dims)
        if len(set(dims)) != len(dims):
            raise RuntimeError(f"{op}: dims must be unique, got {tuple(dim)}")
        if s is not None and len(s) != len(dims):
            raise RuntimeError(f"{op}: when given, dim and shape arguments must have the same "
                               f"length, got s={tuple(s)} and dim={tuple(dim)}")
    elif s is not None:
        if len(s) > x.ndim:
            raise RuntimeError(f"{op}: got shape with {len(s)} values but input tensor only "
                               f"has {x.ndim} dimensions")
        dims = tuple(range(x.ndim - len(s), x.ndim))
    else:
        dims = tuple(range(x.ndim))
    if s is None:
        sizes = [x.shape[d] for d in dims]
    else:
        sizes = [x.shape[d] if builtins.int(n) == -1 else _check_n(builtins.int(n), op)
                 for d, n in zip(dims, s)]
    return dims, sizes


def _c2c(x, s, dim, norm, inverse, op):
    _check_tensor(x, op)
    norm = _norm(norm, op)
    x = _as_complex(x)
    dims, sizes = _dims_and_sizes(x, s, dim, op)
    if not dims:
        return x.clone()
    for n in sizes:
        _check_n(n, op)
    return F.C2C.apply(x, dims, sizes, norm, inverse)


def _one(n):
    return None if n is None else (n,)


# ----------------------------------------------------------------------------- complex <-> complex
def fft(input, n=None, dim=-1, norm=None):
    """The 1-D DFT along ``dim``: X_k = sum_t x_t exp(-2 pi i k t / n), input padded or trimmed
    to ``n`` points first. Shape: the input's, with ``dim`` of size n."""
    return _c2c(input, _one(n), (dim,), norm, False, "fft")


def ifft(input, n=None, dim=-1, norm=None):
    """The inverse 1-D DFT: x_t = (1/n) sum_k X_k exp(2 pi i k t / n) (with norm='backward')."""
    return _c2c(input, _one(n), (dim,), norm, True, "ifft")


def fft2(input, s=None, dim=(-2, -1), norm=None):
    """The 2-D DFT over ``dim`` (the last two by default)."""
    return _c2c(input, s, dim, norm, False, "fft2")


def ifft2(input, s=None, dim=(-2, -1), norm=None):
    """The inverse 2-D DFT over ``dim``."""
    return _c2c(input, s, dim, norm, True, "ifft2")


def fftn(input, s=None, dim=None, norm=None):
    """The N-D DFT over ``dim`` (every dim, or the last len(s) when only ``s`` is given)."""
    return _c2c(input, s, dim, norm, False, "fftn")


def ifftn(input, s=None, dim=None, norm=None):
    """The inverse N-D DFT over ``dim``."""
    return _c2c(input, s, dim, norm, True, "ifftn")


# ----------------------------------------------------------------------------- real <-> one-sided
def rfftn(input, s=None, dim=None, norm=None):
    """The N-D DFT of a real input, keeping n//2 + 1 bins of the last transformed dim (the
    others are Hermitian copies). Shape: the last dim of ``dim`` has s[-1]//2 + 1 entries."""
    return _rfftn(input, s, dim, norm, "rfftn")


def _rfftn(x, s, dim, norm, op):
    _check_tensor(x, op)
    norm = _norm(norm, op)
    x = _as_real(x, op)
    dims, sizes = _dims_and_sizes(x, s, dim, op)
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    for n in sizes:
        _check_n(n, op)
    out = F.R2C.apply(x, dims[-1], sizes[-1], norm)
    if len(dims) > 1:
        out = F.C2C.apply(out, dims[:-1], sizes[:-1], norm, False)
    return out


def irfftn(input, s=None, dim=None, norm=None):
    """The inverse of ``rfftn``: a real output whose last transformed dim has s[-1] points
    (default 2 (m - 1) for m input bins, so give s for an odd length)."""
    return _irfftn(input, s, dim, norm, "irfftn")


def _irfftn(x, s, dim, norm, op):
    _check_tensor(x, op)
    norm = _norm(norm, op)
    x = _as_complex(x)
    dims, sizes = _dims_and_sizes(x, s, dim, op)
    if not dims:
        raise RuntimeError(f"{op} must transform at least one axis")
    last = dims[-1]
    if s is None or builtins.int(s[-1]) == -1:
        sizes[-1] = 2 * (x.shape[last] - 1)
    _check_n(sizes[-1], op)
    for n in sizes[:-1]:
        _check_n(n, op)
    if len(dims) > 1:
        x = F.C2C.apply(x, dims[:-1], sizes[:-1], norm, True)
    return F.C2R.apply(x, last, sizes[-1], norm)


def rfft(input, n=None, dim=-1, norm=None):
    """The 1-D DFT of a real signal, keeping its n//2 + 1 non-negative frequencies."""
    return _rfftn(input, _one(n), (dim,), norm, "rfft")


def irfft(input, n=None, dim=-1, norm=None):
    """The real signal of ``n`` points (default 2 (m - 1)) whose one-sided spectrum is the
    input (imaginary parts of bin 0, and of bin n/2 for even n, are ignored)."""
    return _irfftn(input, _one(n), (dim,), norm, "irfft")


def rfft2(input, s=None, dim=(-2, -1), norm=None):
    return _rfftn(input, s, dim, norm, "rfft2")


def irfft2(input, s=None, dim=(-2, -1), norm=None):
    return _irfftn(input, s, dim, norm, "irfft2")


# ----------------------------------------------------------------------------- Hermitian signals
# A signal that is Hermitian in time has a real spectrum: hfft(x) = irfft(conj x) with the dual
# normalisation (the same sums, scaled the other way), and ihfft(x) = conj(rfft(x)) likewise.
def hfftn(input, s=None, dim=None, norm=None):
    """The N-D DFT of a signal given by the first half of its Hermitian-symmetric last dim: a
    real output of s[-1] points (default 2 (m - 1)) along it."""
    _check_tensor(input, "hfftn")
    return _irfftn(_as_complex(input).conj(), s, dim, _dual(_norm(norm, "hfftn")), "hfftn")


def ihfftn(input, s=None, dim=None, norm=None):
    """The inverse of ``hfftn``: the N-D inverse DFT of a real input, one-sided along the last
    transformed dim."""
    _check_tensor(input, "ihfftn")
    return _rfftn(input, s, dim, _dual(_norm(norm, "ihfftn")), "ihfftn").conj()


def hfft(input, n=None, dim=-1, norm=None):
    """The DFT of a Hermitian-symmetric signal given by its first half: a real spectrum of
    ``n`` points (default 2 (m - 1))."""
    return hfftn(input, _one(n), (dim,), norm)


def ihfft(input, n=None, dim=-1, norm=None):
    """The inverse DFT of a real signal, one-sided (the n//2 + 1 first bins)."""
    return ihfftn(input, _one(n), (dim,), norm)


def hfft2(input, s=None, dim=(-2, -1), norm=None):
    return hfftn(input, s, dim, norm)


def ihfft2(input, s=None, dim=(-2, -1), norm=None):
    return ihfftn(input, s, dim, norm)


# ----------------------------------------------------------------------------- helpers
def fftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None,
            pin_memory=False):
    """The frequency of each bin of an n-point DFT with sample spacing ``d``:
    [0, 1, ..., (n-1)//2, -(n//2), ..., -1] / (d n)."""
    return _freqs(np.fft.fftfreq(n, d), dtype, device, requires_grad)


def rfftfreq(n, d=1.0, *, dtype=None, device=None, requires_grad=False, layout=None,
             pin_memory=False):
    """The frequencies of ``rfft``'s n//2 + 1 bins: [0, 1, ..., n//2] / (d n)."""
    return _freqs(np.fft.rfftfreq(n, d), dtype, device, requires_grad)


def _freqs(f, dtype, device, requires_grad):
    arr = f.astype(backend.to_dtype(dtype) or backend.get_default_dtype())
    if device is not None:
        arr = backend.to_device(arr, device)
    t = Tensor._make(arr, False)
    return t.requires_grad_(True) if requires_grad else t


def fftshift(input, dim=None):
    """Move frequency 0 to the centre: roll every dim in ``dim`` (all by default) by n//2."""
    dims = _shift_dims(input, dim)
    if not dims:
        return input.clone()
    return input.roll(tuple(input.shape[d] // 2 for d in dims), dims)


def ifftshift(input, dim=None):
    """Undo ``fftshift``: roll every dim in ``dim`` (all by default) by -(n//2)."""
    dims = _shift_dims(input, dim)
    if not dims:
        return input.clone()
    return input.roll(tuple(-(input.shape[d] // 2) for d in dims), dims)


def _shift_dims(x, dim):
    if dim is None:
        return tuple(range(x.ndim))
    dims = [dim] if isinstance(dim, (builtins.int, np.integer)) else list(dim)
    return tuple(_wrap_dim(d, x.ndim, "fftshift") for d in dims)


__all__ = ["fft", "fft2", "fftfreq", "fftn", "fftshift", "hfft", "hfft2", "hfftn", "ifft",
           "ifft2", "ifftn", "ifftshift", "ihfft", "ihfft2", "ihfftn", "irfft", "irfft2",
           "irfftn", "rfft", "rfft2", "rfftfreq", "rfftn"]
