"""``glassnet.special``: PyTorch's ``torch.special`` functions, differentiable.

The error and gamma families apply primitive Functions (``glassnet.ops.special``); the rest are
compositions: ``ndtr(x) = (1 + erf(x / sqrt 2)) / 2``, ``i0`` as its power series
sum_k (x^2 / 4)^k / (k!)^2, and so on.
"""

from __future__ import annotations

import math

from .functions import where
from .tensor import Tensor, _as_tensor, tensor
from .tensor.math import _bessel_series


def _t(x):
    return x if isinstance(x, Tensor) else tensor(x)


def erf(input):
    return _t(input).erf()


def erfc(input):
    return _t(input).erfc()


def erfinv(input):
    return _t(input).erfinv()


def expit(input):
    """The logistic sigmoid 1 / (1 + exp(-x))."""
    return _t(input).sigmoid()


def logit(input, eps=None):
    return _t(input).logit(eps)


def exp2(input):
    return _t(input).exp2()


def expm1(input):
    return _t(input).expm1()


def log1p(input):
    return _t(input).log1p()


def sinc(input):
    return _t(input).sinc()


def round(input, decimals=0):
    return _t(input).round(decimals=decimals)


def gammaln(input):
    """log |Gamma(x)|."""
    return _t(input).lgamma()


def digamma(input):
    """psi(x) = d/dx log Gamma(x)."""
    return _t(input).digamma()


psi = digamma


def polygamma(n, input):
    return _t(input).polygamma(n)


def multigammaln(input, p):
    """log of the multivariate gamma function of dimension p:
    p (p - 1) / 4 log(pi) + sum_{j=1..p} lgamma(x + (1 - j) / 2)."""
    x = _t(input)
    out = x.lgamma()
    for j in range(2, p + 1):
        out = out + (x + (1 - j) / 2).lgamma()
    return out + p * (p - 1) / 4 * math.log(math.pi)


def xlogy(input, other):
    """x log(y), and 0 where x == 0."""
    return _t(input).xlogy(other)


def xlog1py(input, other):
    """x log(1 + y), and 0 where x == 0."""
    x = _t(input)._f()
    y = _as_tensor(other, x)._f()
    safe = where(x == 0, 0.0, y)
    return where(x == 0, 0.0, x * safe.log1p())


def entr(input):
    """The elementwise entropy -x ln x (0 at x = 0, -inf for x < 0)."""
    x = _t(input)._f()
    safe = where(x > 0, x, 1.0)
    return where(x > 0, -x * safe.log(), where(x == 0, 0.0, float("-inf")))


def ndtr(input):
    """The standard normal CDF: (1 + erf(x / sqrt 2)) / 2."""
    x = _t(input)._f()
    return (1 + (x * (1 / math.sqrt(2))).erf()) * 0.5


def ndtri(input):
    """The inverse of ndtr: sqrt(2) erfinv(2p - 1)."""
    p = _t(input)._f()
    return (2 * p - 1).erfinv() * math.sqrt(2)


def log_ndtr(input):
    """log of the standard normal CDF, via erfc in the lower tail (no log(0) for x << 0)."""
    x = _t(input)._f()
    return (0.5 * (x * (-1 / math.sqrt(2))).erfc()).log()


def i0(input):
    """The modified Bessel function of the first kind, order 0 (its power series)."""
    return _t(input).i0()


def i0e(input):
    """exp(-|x|) i0(x)."""
    x = _t(input)._f()
    return i0(x) * (-x.abs()).exp()


def i1(input):
    return _bessel_series(_t(input)._f(), 1)


def i1e(input):
    x = _t(input)._f()
    return i1(x) * (-x.abs()).exp()


def softmax(input, dim, *, dtype=None):
    return _t(input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _t(input).log_softmax(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    return _t(input).logsumexp(dim, keepdim)


__all__ = ["digamma", "entr", "erf", "erfc", "erfinv", "exp2", "expit", "expm1", "gammaln",
           "i0", "i0e", "i1", "i1e", "log1p", "log_ndtr", "log_softmax", "logit", "logsumexp",
           "multigammaln", "ndtr", "ndtri", "polygamma", "psi", "round", "sinc", "softmax",
           "xlog1py", "xlogy"]
