"""Tensor pointwise maths: exp, log, trigonometric and hyperbolic functions, clamp, the special
functions (erf, lgamma, ...), the binary ones (atan2, fmod, hypot, logaddexp, ...) and the
logical and bitwise ops. Each method checks and normalises its arguments, then applies one
primitive Function from ``glassnet.ops`` or composes differentiable ones. Reductions are in
``reduce``."""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import backend
from ..autograd.variable import Variable
from ..ops import arithmetic as A
from ..ops import pointwise as P
from ..ops import softmax as SM
from ..ops import special as S
from ..ops.polynomials import orthogonal_polynomial
from .arith import _binary, _maximum, _minimum, _nograd_binary, _where
from .convert import _as_tensor
from .reduce import vector_norm


class PointwiseMixin:
    """Elementwise maths of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ pointwise math
    def exp(self):
        return P.Exp.apply(self._f())

    def log(self):
        return P.Log.apply(self._f())

    def log1p(self):
        return P.Log1p.apply(self._f())

    def expm1(self):
        return P.Expm1.apply(self._f())

    def exp2(self):
        return P.Exp2.apply(self._f())

    def log2(self):
        return P.Log2.apply(self._f())

    def log10(self):
        return P.Log10.apply(self._f())

    def sqrt(self):
        return P.Sqrt.apply(self._f())

    def rsqrt(self):
        return 1 / self.sqrt()

    def square(self):
        return self * self

    def reciprocal(self):
        return 1 / self._f()

    def abs(self):
        return P.Abs.apply(self)

    absolute = abs

    def sin(self):
        return P.Sin.apply(self._f())

    def cos(self):
        return P.Cos.apply(self._f())

    def tan(self):
        return P.Tan.apply(self._f())

    def asin(self):
        return P.Asin.apply(self._f())

    def acos(self):
        return P.Acos.apply(self._f())

    def atan(self):
        return P.Atan.apply(self._f())

    def sinh(self):
        return P.Sinh.apply(self._f())

    def cosh(self):
        return P.Cosh.apply(self._f())

    def asinh(self):
        return P.Asinh.apply(self._f())

    def acosh(self):
        return P.Acosh.apply(self._f())

    def atanh(self):
        return P.Atanh.apply(self._f())

    arcsin, arccos, arctan = asin, acos, atan
    arcsinh, arccosh, arctanh = asinh, acosh, atanh

    def atan2(self, other):
        """The angle of the point (other, self) in (-pi, pi]."""
        return _binary(P.Atan2, self._f(), other, "atan2", true_div=True)

    arctan2 = atan2

    def hypot(self, other):
        """sqrt(self^2 + other^2)."""
        return (self * self + other * other).sqrt()

    def fmod(self, other):
        """C's fmod: self - trunc(self / other) * other (the sign of self)."""
        if not _is_float(self) and not _is_float(other):
            return _nograd_binary(np.fmod, self, other)
        return _binary(A.Fmod, self._f(), other, "fmod")

    def remainder(self, other):
        """Python's %: self - floor(self / other) * other (the sign of other)."""
        if not _is_float(self) and not _is_float(other):
            return _nograd_binary(np.remainder, self, other)
        return _binary(A.Remainder, self._f(), other, "remainder")

    def floor_divide(self, other):
        return self // other

    def float_power(self, exponent):
        """self ** exponent computed in float64."""
        e = exponent.double() if isinstance(exponent, Variable) else exponent
        return self.double() ** e

    def xlogy(self, other):
        """self * log(other), and 0 where self == 0 (unless other is NaN); the gradients are
        PyTorch's (see ``ops.special.Xlogy``)."""
        x = self._f()
        y = _as_tensor(other, x)._f()
        if x.dtype != y.dtype:
            dt = backend.promote_types(x.dtype, y.dtype, x.ndim > 0, y.ndim > 0)
            x, y = x.to(dt), y.to(dt)
        return S.Xlogy.apply(x, y)

    def logaddexp(self, other):
        """log(exp(self) + exp(other)) without overflow: max + log1p(exp(-|self - other|))."""
        o = _as_tensor(other, self)
        m = _shift(_maximum(self, o).detach())
        return m + ((self - m).exp() + (o - m).exp()).log()

    def logaddexp2(self, other):
        """log2(2^self + 2^other)."""
        o = _as_tensor(other, self)
        m = _shift(_maximum(self, o).detach())
        return m + ((self - m).exp2() + (o - m).exp2()).log2()

    def copysign(self, other):
        """|self| with the sign of ``other`` (including the sign bit of -0.0)."""
        o = _as_tensor(other, self)
        neg = Variable._make(backend.array_module(o._data).signbit(o._data), False)
        a = self._f().abs()
        return _where(neg, -a, a)

    def heaviside(self, values):
        """0 where self < 0, 1 where self > 0, ``values`` where self == 0."""
        v = _as_tensor(values, self)
        return _where(self == 0, v, (self > 0).to(self.dtype))

    def fmax(self, other):
        """Elementwise max that ignores NaN (NaN only where both are NaN)."""
        o = _as_tensor(other, self)
        return _where((self >= o) | o.isnan(), self, o)

    def fmin(self, other):
        o = _as_tensor(other, self)
        return _where((self <= o) | o.isnan(), self, o)

    def sinc(self):
        return S.Sinc.apply(self._f())

    def erfc(self):
        return S.Erfc.apply(self._f())

    def erfinv(self):
        return S.Erfinv.apply(self._f())

    def lgamma(self):
        return S.Lgamma.apply(self._f())

    def digamma(self):
        return S.Digamma.apply(self._f())

    def polygamma(self, n):
        """psi^(n)(x), the n-th derivative of digamma (n = 0: digamma itself); its gradient is
        psi^(n+1)(x). n >= 2 needs SciPy."""
        if isinstance(n, Variable) or not isinstance(n, (int, np.integer)) or n < 0:
            raise RuntimeError(f"polygamma: n must be a non-negative int, got {n!r}")
        if n == 0:
            return self.digamma()
        return S.Polygamma.apply(self._f(), int(n))

    def logit(self, eps=None):
        """log(p / (1 - p)), with p clamped to [eps, 1 - eps] when ``eps`` is given."""
        x = self._f()
        if eps is not None:
            x = x.clamp(eps, 1 - eps)
        return (x / (1 - x)).log()

    def frac(self):
        """self - trunc(self) (the sign of self); gradient 1."""
        return self - self.trunc()

    def fix(self):
        return self.trunc()

    def deg2rad(self):
        return self._f() * (np.pi / 180)

    def rad2deg(self):
        return self._f() * (180 / np.pi)

    def positive(self):
        return self

    def signbit(self):
        return Variable._make(backend.array_module(self._data).signbit(self._data), False)

    def nan_to_num(self, nan=0.0, posinf=None, neginf=None):
        """NaN -> ``nan``, +inf -> ``posinf`` (the dtype's max), -inf -> ``neginf`` (its min);
        the gradient passes only through the finite elements."""
        if not self.is_floating_point():
            return self.clone()
        info = backend.finfo(self.dtype)
        hi = float(info.max) if posinf is None else posinf
        lo = float(info.min) if neginf is None else neginf
        xp = backend.array_module(self._data)
        out = _where(Variable._make(xp.isnan(self._data), False), nan, self)
        out = _where(Variable._make(xp.isposinf(self._data), False), hi, out)
        return _where(Variable._make(xp.isneginf(self._data), False), lo, out)

    def isposinf(self):
        return Variable._make(backend.array_module(self._data).isposinf(self._data), False)

    def isneginf(self):
        return Variable._make(backend.array_module(self._data).isneginf(self._data), False)

    def isreal(self):
        return Variable._make(backend.array_module(self._data).ones(self.shape, bool), False)

    def isclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        o = _as_tensor(other, self)
        xp = backend.array_module(self._data)
        return Variable._make(xp.isclose(self._data, o._data, rtol=rtol, atol=atol,
                                       equal_nan=equal_nan), False)

    def allclose(self, other, rtol=1e-05, atol=1e-08, equal_nan=False):
        return builtins.bool(self.isclose(other, rtol, atol, equal_nan).all())

    def equal(self, other):
        return self.shape == other.shape and builtins.bool((self._data == other._data).all())

    def addcmul(self, tensor1, tensor2, value=1):
        """self + value * tensor1 * tensor2."""
        return self + value * tensor1 * tensor2 if value != 1 else self + tensor1 * tensor2

    def addcdiv(self, tensor1, tensor2, value=1):
        """self + value * tensor1 / tensor2."""
        return self + value * (tensor1 / tensor2) if value != 1 else self + tensor1 / tensor2

    def dist(self, other, p=2):
        """The p-norm of self - other."""
        return vector_norm(self - other, p)

    def clamp_min(self, min):
        return self.clamp(min=min)

    def clamp_max(self, max):
        return self.clamp(max=max)

    def tanh(self):
        return P.Tanh.apply(self._f())

    def sigmoid(self):
        return P.Sigmoid.apply(self._f())

    def relu(self):
        return P.ReLU.apply(self)

    def softmax(self, dim, dtype=None):
        """softmax(x)_i = e^{x_i} / sum_j e^{x_j} along ``dim``, in ``dtype`` when given (see
        ``glassnet.nn.functional.softmax``)."""
        return _softmax(SM.Softmax, self, dim, dtype, "softmax")

    def log_softmax(self, dim, dtype=None):
        """log softmax(x)_i = x_i - logsumexp(x) along ``dim`` (see
        ``glassnet.nn.functional.log_softmax``)."""
        return _softmax(SM.LogSoftmax, self, dim, dtype, "log_softmax")

    def i0(self):
        """The modified Bessel function of the first kind of order 0 (its power series)."""
        return _bessel_series(self._f(), 0)

    def erf(self):
        return S.Erf.apply(self._f())

    def igamma(self, other):
        """The regularised lower incomplete gamma function P(self, other) (no gradient, as in
        PyTorch)."""
        return no_grad_special("gammainc", self, other)

    def igammac(self, other):
        """The regularised upper incomplete gamma function Q(self, other) = 1 - P."""
        return no_grad_special("gammaincc", self, other)

    def sign(self):
        return Variable._make(backend.array_module(self._data).sign(self._data), False)

    sgn = sign

    def floor(self):
        return _zero_grad_op(self, "floor")

    def ceil(self):
        return _zero_grad_op(self, "ceil")

    def round(self, decimals=0):
        if decimals:
            xp = backend.array_module(self._data)
            return Variable._make(xp.round(self._data, decimals), False)
        return _zero_grad_op(self, "round")

    def trunc(self):
        return _zero_grad_op(self, "trunc")

    def clamp(self, min=None, max=None):
        """min(max(self, min), max); ``min``/``max`` are numbers, tensors (broadcasting) or None.
        A tensor bound gets the gradient where it is the output (see ``ops.pointwise.Clamp``)."""
        if isinstance(min, Variable) or isinstance(max, Variable):
            return _clamp_tensor(self, min, max)
        if min is None and max is None:
            raise RuntimeError("clamp: at least one of 'min' or 'max' must not be None")
        x = self
        for bound in (min, max):  # an int tensor clamped to a float bound becomes float
            if bound is not None:
                dt = backend.scalar_dtype(x._data.dtype, bound)
                if dt != x._data.dtype:
                    x = x.to(dt)
        return P.Clamp.apply(x, min, max)

    clip = clamp

    def maximum(self, o):
        return _maximum(self, o)

    def minimum(self, o):
        return _minimum(self, o)

    def where(self, cond, o):
        return _where(cond, self, o)

    def masked_fill(self, mask, value):
        """``value`` where ``mask`` is True; mask and tensor broadcast together (the in-place
        ``masked_fill_`` keeps the tensor's shape)."""
        m, shape = tuple(getattr(mask, "shape", ())), tuple(self.shape)
        try:
            np.broadcast_shapes(m, shape)
        except ValueError:
            raise RuntimeError(f"masked_fill: the mask of shape {m} must broadcast with the "
                               f"tensor's shape {shape}") from None
        return _where(mask, _as_tensor(value, self).to(self.dtype), self)

    def isnan(self):
        return Variable._make(backend.array_module(self._data).isnan(self._data), False)

    def isinf(self):
        return Variable._make(backend.array_module(self._data).isinf(self._data), False)

    def isfinite(self):
        return Variable._make(backend.array_module(self._data).isfinite(self._data), False)

    def lerp(self, end, weight):
        return self + (end - self) * weight

    def _f(self):
        """Integer inputs to float functions are promoted to the default float (PyTorch)."""
        return self if backend.is_differentiable(self._data.dtype) else self.to(
            backend.get_default_dtype())


def no_grad_special(name, *inputs):
    """A torch.special function PyTorch gives no gradient either (Bessel, Airy, zeta, the
    incomplete gamma, the orthogonal polynomials), on the inputs' promoted float dtype:
    computed on arrays, returned as a tensor that does not require grad."""
    ts = [v for v in inputs if isinstance(v, Variable)]
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = backend.promote_types(dt, t.dtype)
    if not backend.is_differentiable(dt):
        dt = np.dtype(backend.get_default_dtype())
    arrays = [backend.to_numpy(v._data) if isinstance(v, Variable) else np.asarray(v)
              for v in inputs]
    if name.startswith("shifted_"):  # the shifted polynomial at x is the plain one at 2x - 1
        x = arrays[0].astype(dt)
        name, arrays[0] = name[len("shifted_"):], x + x - dt.type(1)
    if name in _POLYNOMIALS:
        out = orthogonal_polynomial(_POLYNOMIALS[name], arrays[0].astype(dt), arrays[1])
    else:
        out = S.forward_only(name, np, *(a.astype(np.float64) for a in arrays))
    out = np.asarray(out).astype(dt, copy=False)
    return Variable._make(backend.to_device(out, ts[0].device), False)


# torch.special's orthogonal polynomials and their families in ops/polynomials.py.
_POLYNOMIALS = {"chebyshev_polynomial_t": "t", "chebyshev_polynomial_u": "u",
                "chebyshev_polynomial_v": "v", "chebyshev_polynomial_w": "w",
                "hermite_polynomial_h": "h", "hermite_polynomial_he": "he",
                "laguerre_polynomial_l": "l", "legendre_polynomial_p": "p"}


def _bessel_series(x, order):
    # I_order(x) = sum_k (x/2)^(2k + order) / (k! (k + order)!); the terms peak near k = |x|/2
    a = x.detach().abs()
    big = float(a.masked_fill(a.isnan(), 0).amax().item()) if x.numel() else 0.0
    terms = 30 + int(min(big, 1000.0) * 1.5)
    q = x * x * 0.25
    term = (x * 0.5) ** order / math.factorial(order) if order else x * 0 + 1
    out = term
    for k in range(1, terms):
        term = term * q / (k * (k + order))
        out = out + term
    return out


def _shift(m):
    """logaddexp's shift max(a, b), with 0 where it is infinite: both -inf gives log(0) = -inf
    and both +inf gives log(inf) = inf, where inf - inf would give nan."""
    return _where(m.isinf(), 0.0, m)


def _softmax(fn, x, dim, dtype, op):
    """``fn`` (Softmax or LogSoftmax) along ``dim`` of ``x`` cast to ``dtype``."""
    if dtype is not None:
        x = x.to(dtype)
    if not backend.is_floating(x._data.dtype):
        raise RuntimeError(f"{op}: expected a floating point input, got dtype {x._data.dtype} "
                           "(use .float())")
    if x.ndim == 0:
        return fn.apply(x.reshape(1), 0).reshape(())
    return fn.apply(x, SM.softmax_dim(x.ndim, dim, op))


def _zero_grad_op(t, name):
    xp = backend.array_module(t._data)
    return Variable._make(getattr(xp, name)(t._data), False)


def _is_float(o):
    if isinstance(o, Variable):
        return backend.is_floating(o.dtype)
    return isinstance(o, (builtins.float, np.floating))


def _clamp_tensor(x, lo, hi):
    """clamp with tensor bounds: x, lo and hi promoted to one dtype (tensors first, then the
    Python numbers, as PyTorch's result_type), then one Clamp."""
    dt, dim = x.dtype, x.ndim > 0
    for b in (lo, hi):
        if isinstance(b, Variable):
            dt, dim = backend.promote_types(dt, b.dtype, dim, b.ndim > 0), dim or b.ndim > 0
    for b in (lo, hi):
        if b is not None and not isinstance(b, Variable):
            dt = backend.scalar_dtype(dt, b)
    lo = None if lo is None else _as_tensor(lo, x).to(dt)
    hi = None if hi is None else _as_tensor(hi, x).to(dt)
    return P.Clamp.apply(x.to(dt), lo, hi)
