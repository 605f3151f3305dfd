"""The complex-number methods of Tensor: ``real`` and ``imag`` (views, as in PyTorch),
``conj``, ``angle``'s complex case, ``sgn``, the conjugate transposes ``H``/``mH``/``adjoint``,
the queries ``is_complex``/``is_conj`` and the casts ``cfloat()``/``cdouble()``.

A real tensor answers these trivially: it is its own conjugate and its own real part. glassnet
conjugates eagerly (``conj()`` computes a new tensor), so ``is_conj()`` is always False and
``resolve_conj()`` returns the tensor itself. The ops are in glassnet/ops/complex.py; the
gradient convention is explained there and in docs/complex-and-fft.md.
"""

from __future__ import annotations

import builtins

from .. import backend
from ..ops import complex as C


def _check_complex(t, what):
    if t._data.dtype.kind != "c":
        raise RuntimeError(f"{what} is not implemented for tensors with non-complex dtypes "
                           f"(got {t._data.dtype})")


class ComplexMixin:
    """Complex-number methods of Tensor."""

    __slots__ = ()

    def is_complex(self):
        """True for complex64 and complex128 tensors."""
        return self._data.dtype.kind == "c"

    def is_conj(self):
        """False: glassnet's ``conj()`` computes the conjugate at once (no lazy conj bit)."""
        return False

    def is_neg(self):
        return False

    def conj(self):
        """The complex conjugate x - iy (a new tensor); a real tensor is its own conjugate."""
        return C.Conj.apply(self) if self._data.dtype.kind == "c" else self

    def conj_physical(self):
        """The conjugate, always in new memory (a real tensor is copied)."""
        return C.Conj.apply(self) if self._data.dtype.kind == "c" else self.clone()

    def resolve_conj(self):
        """The tensor itself: glassnet never holds a pending conjugation to resolve."""
        return self

    resolve_neg = resolve_conj

    @property
    def real(self):
        """The real parts, sharing this tensor's memory (a view); a real tensor itself."""
        return C.Real.apply(self) if self._data.dtype.kind == "c" else self

    @real.setter
    def real(self, value):
        self.real.copy_(value)

    @property
    def imag(self):
        """The imaginary parts, sharing this tensor's memory (a view); complex tensors only."""
        _check_complex(self, "imag")
        return C.Imag.apply(self)

    @imag.setter
    def imag(self, value):
        self.imag.copy_(value)

    def sgn(self):
        """z / |z| for complex z (0 at 0); the sign (-1, 0, 1) of a real tensor."""
        if self._data.dtype.kind != "c":
            return self.sign()
        r = self.abs()
        nz = r != 0
        return (self / r.where(nz, 1.0)).where(nz, 0.0)

    @property
    def H(self):
        """The conjugate transpose of a matrix (2-D), or of a vector (1-D) its conjugate."""
        if self.ndim > 2:
            raise RuntimeError(f"H: tensor.H is only supported on matrices (2-D tensors), got "
                               f"{self.ndim}-D; use mH for batches of matrices")
        return self.conj().T

    @property
    def mH(self):
        """The conjugate transpose of the last two dimensions."""
        return self.conj().transpose(-2, -1)

    def adjoint(self):
        """The conjugate transpose of the last two dimensions (``mH``)."""
        return self.mH

    def cfloat(self, memory_format=None):
        return self.to(backend.complex64)

    def cdouble(self, memory_format=None):
        return self.to(backend.complex128)

    def __complex__(self):
        return builtins.complex(self.item())
