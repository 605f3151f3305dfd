"""Building and taking apart complex tensors, with PyTorch's names: ``complex(real, imag)``,
``polar(abs, angle)``, ``view_as_real``, ``view_as_complex`` and ``is_complex``.

The ops (and their gradients) are in glassnet/ops/complex.py; the methods ``real``, ``imag``,
``conj``, ``angle`` and ``abs`` are on Tensor. See docs/complex-and-fft.md.
"""

from __future__ import annotations

from .ops import complex as C
from .tensor import Tensor


def _check_parts(op, a, b, names):
    for name, t in zip(names, (a, b)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}(): argument '{name}' must be Tensor, not {type(t).__name__}")
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: expected {names[0]} and {names[1]} to have the same dtype, "
                           f"but got {names[0]} dtype {a.dtype} and {names[1]} dtype {b.dtype}")
    if a.dtype.kind != "f":
        raise RuntimeError(f"{op}: expected both inputs to be float or double tensors, but got "
                           f"{a.dtype}")


def complex(real, imag):
    """real + i imag, broadcast together: float32 parts give complex64, float64 complex128.

    The gradient of each part is the matching part of the complex gradient."""
    _check_parts("complex", real, imag, ("real", "imag"))
    return C.Complex.apply(real, imag)


def polar(abs, angle):
    """abs (cos angle + i sin angle): the complex numbers with the given magnitudes and
    arguments, broadcast together."""
    _check_parts("polar", abs, angle, ("abs", "angle"))
    return C.Polar.apply(abs, angle)


def view_as_real(input):
    """A complex (...) tensor seen as a float (..., 2) tensor of (real, imag) pairs; it shares
    the memory, so writing one changes the other."""
    if input.dtype.kind != "c":
        raise RuntimeError(f"view_as_real is only supported for complex tensors, got "
                           f"{input.dtype}")
    return C.ViewAsReal.apply(input)


def view_as_complex(input):
    """A float (..., 2) tensor of (real, imag) pairs seen as a complex (...) tensor, sharing
    the memory. The last dimension must have size 2 and stride 1, and the other strides must
    be even (in elements)."""
    if input.dtype.kind != "f" or input.dtype.itemsize < 4:
        raise RuntimeError(f"view_as_complex is only supported for float and double tensors, "
                           f"but got a tensor of scalar type: {input.dtype}")
    if input.ndim == 0 or input.shape[-1] != 2:
        raise RuntimeError(f"view_as_complex: Tensor must have a last dimension of size 2, got "
                           f"shape {tuple(input.shape)}")
    strides = input.stride()
    if strides[-1] != 1:
        raise RuntimeError(f"view_as_complex: Tensor must have a last dimension with stride 1, "
                           f"got strides {strides}")
    if any(s % 2 for s in strides[:-1]):
        raise RuntimeError(f"view_as_complex: Tensor must have a stride divisible by 2 for all "
                           f"but last dimension, got strides {strides}")
    if input.storage_offset() % 2:
        raise RuntimeError("view_as_complex: Tensor must have a storage_offset divisible by 2")
    return C.ViewAsComplex.apply(input)


def is_complex(input):
    """True for a complex64 or complex128 tensor."""
    return input.is_complex()


__all__ = ["complex", "is_complex", "polar", "view_as_complex", "view_as_real"]
