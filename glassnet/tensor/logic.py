"""Tensor logical and bitwise ops, integer maths (gcd, lcm) and the float-format helpers
(ldexp, nextafter, frexp). Only the float-format helpers have gradients: ``ldexp`` is
composed from differentiable ops, ``nextafter`` (d/dself = 1) and ``frexp`` (d mantissa = 2^-e)
are Functions in ``ops/arithmetic.py``."""

from __future__ import annotations

import numpy as np

from .. import backend, return_types
from ..autograd.variable import Variable
from ..ops import arithmetic as A
from ..ops.complex import Angle as _Angle
from .arith import _binary, _check_bitwise, _nograd_binary, _where
from .convert import _as_tensor


class LogicMixin:
    """Logical, bitwise and bit-level methods of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ logical and bitwise
    def logical_and(self, other):
        return _nograd_binary(np.logical_and, self, other, compare=True)

    def logical_or(self, other):
        return _nograd_binary(np.logical_or, self, other, compare=True)

    def logical_xor(self, other):
        return _nograd_binary(np.logical_xor, self, other, compare=True)

    def logical_not(self):
        return Variable._make(backend.array_module(self._data).logical_not(self._data), False)

    def bitwise_and(self, other):
        return self & other

    def bitwise_or(self, other):
        return self | other

    def bitwise_xor(self, other):
        return self ^ other

    def bitwise_not(self):
        _check_bitwise("bitwise_not", self._data.dtype)
        return ~self

    def bitwise_left_shift(self, other):
        return _nograd_binary(np.left_shift, self, other)

    def bitwise_right_shift(self, other):
        return _nograd_binary(np.right_shift, self, other)

    __lshift__, __rshift__ = bitwise_left_shift, bitwise_right_shift

    def gcd(self, other):
        return _nograd_binary(np.gcd, self, other)

    def lcm(self, other):
        return _nograd_binary(np.lcm, self, other)

    def ldexp(self, other):
        """self * 2^other."""
        return self._f() * _as_tensor(other, self).to(self._f().dtype).exp2()

    def nextafter(self, other):
        """The next float after self towards other (gradient 1 for self, as in PyTorch)."""
        if self.is_floating_point() and (self.requires_grad or getattr(other, "requires_grad",
                                                                        False)):
            return _binary(A.NextAfter, self, other, "nextafter")
        return _nograd_binary(np.nextafter, self, other)

    def frexp(self):
        """(mantissa, exponent) with self = mantissa * 2^exponent, 0.5 <= |mantissa| < 1;
        the mantissa's gradient is 2^-exponent."""
        if not self.is_floating_point():
            raise RuntimeError(f"frexp: expected a floating-point input, got {self.dtype}")
        return return_types.frexp(*A.Frexp.apply(self))

    def angle(self):
        """The argument of a complex number, atan2(imag, real) in (-pi, pi]; of a real number,
        0 for x >= 0 and pi for x < 0 (NaN stays NaN)."""
        if self._data.dtype.kind == "c":
            return _Angle.apply(self)
        x = self._f()
        return _where(x < 0, float(np.pi), _where(x.isnan(), x, 0.0)).to(x.dtype)
