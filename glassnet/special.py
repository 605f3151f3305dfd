"""``glassnet.special``: PyTorch's ``torch.special`` functions, differentiable.

The error and gamma families apply primitive Functions (``glassnet.ops.special``); the rest are
compositions: ``ndtr(x) = (1 + erf(x / sqrt 2)) / 2``, ``i0`` as its power series
sum_k (x^2 / 4)^k / (k!)^2, and so on. Where a formula overflows or underflows far out (i0e and
i1e for |x| > 30, log_ndtr for x < -10), an asymptotic series takes over, picked by ``where``
with each branch fed only the inputs where it is finite (so no NaN reaches the gradient).
"""

from __future__ import annotations

import math

from .functions import where
from .ops import special as _S
from .tensor import Tensor, _as_tensor, tensor
from .tensor.math import _bessel_series, no_grad_special


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


# Below this x, log_ndtr uses the asymptotic series of the lower tail (erfc would underflow).
_LOG_NDTR_TAIL = -10.0


def log_ndtr(input):
    """log of the standard normal CDF: log(erfc(-x / sqrt 2) / 2), and for x < -10 the
    asymptotic series of the lower tail, log ndtr(x) = -x^2/2 - log(-x) - log(2 pi)/2
    + log(1 + sum_k (-1)^k (2k-1)!! / x^(2k)) (finite where erfc underflows)."""
    x = _t(input)._f()
    tail = x < _LOG_NDTR_TAIL
    # each branch sees only inputs where it is finite, so the unused one adds 0 (not nan)
    xc = where(tail, 0.0, x)
    xt = where(tail, x, _LOG_NDTR_TAIL - 1.0)
    body = (0.5 * (xc * (-1 / math.sqrt(2))).erfc()).log()
    r = 1 / (xt * xt)
    series, term = 1.0, 1.0
    for k in range(1, 12):  # terms fall below 1e-12 for |x| >= 10
        term = term * r * (-(2 * k - 1))
        series = series + term
    lower = -0.5 * xt * xt - (-xt).log() - 0.5 * math.log(2 * math.pi) + series.log()
    return where(tail, lower, body)


def i0(input):
    """The modified Bessel function of the first kind, order 0 (its power series)."""
    return _t(input).i0()


# Above this |x|, the scaled Bessel functions use their asymptotic series.
_BESSEL_TAIL = 30.0


def _scaled_bessel(x, order):
    """exp(-|x|) I_order(x) for order 0 or 1: the power series for |x| <= 30, and for larger
    |x| the asymptotic series exp(-a) I_n(a) = 1/sqrt(2 pi a) sum_k (-1)^k c_k / a^k with
    c_k = prod_{j<=k} (4 n^2 - (2j - 1)^2) / (k! 8^k), a = |x| (odd in x for order 1)."""
    a = x.abs()
    tail = a > _BESSEL_TAIL
    # each branch sees only inputs where it is finite, so the unused one adds 0 (not nan)
    xs = where(tail, 0.0, x)
    at = where(tail, a, _BESSEL_TAIL + 1.0)
    near = _bessel_series(xs, order) * (-xs.abs()).exp()
    total, term = 1.0, 1.0
    for k in range(1, 30):  # the terms shrink until k ~ 2a > 60
        term = term * (-(4 * order * order - (2 * k - 1) ** 2) / (k * 8.0)) / at
        total = total + term
    far = total / (2 * math.pi * at).sqrt()
    if order == 1:
        far = far * x.sign()
    return where(tail, far, near)


def i0e(input):
    """exp(-|x|) i0(x), finite for every x (the asymptotic series for |x| > 30)."""
    return _scaled_bessel(_t(input)._f(), 0)


def i1(input):
    """The modified Bessel function of the first kind, order 1 (its power series)."""
    return _bessel_series(_t(input)._f(), 1)


def i1e(input):
    """exp(-|x|) i1(x), finite for every x (the asymptotic series for |x| > 30)."""
    return _scaled_bessel(_t(input)._f(), 1)


def erfcx(input):
    """exp(x^2) erfc(x), finite where erfc underflows (differentiable)."""
    return _S.Erfcx.apply(_t(input)._f())


def _forward_only(name, doc):
    def fn(input):
        return no_grad_special(name, _t(input))
    fn.__name__, fn.__doc__ = name, doc + " No gradient (none in PyTorch either)."
    return fn


def _polynomial(name, doc):
    def fn(input, n):
        return no_grad_special(name, _t(input), n)
    fn.__name__ = name
    fn.__doc__ = (doc + " of degree ``n`` (a number or a tensor, truncated to an integer; 0 "
                  "for n < 0), by its three-term recurrence. No gradient (none in PyTorch "
                  "either).")
    return fn


bessel_j0 = _forward_only("bessel_j0", "The Bessel function of the first kind J_0.")
bessel_j1 = _forward_only("bessel_j1", "The Bessel function of the first kind J_1.")
bessel_y0 = _forward_only("bessel_y0", "The Bessel function of the second kind Y_0.")
bessel_y1 = _forward_only("bessel_y1", "The Bessel function of the second kind Y_1.")
modified_bessel_i0 = _forward_only("modified_bessel_i0", "The modified Bessel function I_0.")
modified_bessel_i1 = _forward_only("modified_bessel_i1", "The modified Bessel function I_1.")
modified_bessel_k0 = _forward_only("modified_bessel_k0", "The modified Bessel function K_0.")
modified_bessel_k1 = _forward_only("modified_bessel_k1", "The modified Bessel function K_1.")
scaled_modified_bessel_k0 = _forward_only("scaled_modified_bessel_k0", "exp(x) K_0(x).")
scaled_modified_bessel_k1 = _forward_only("scaled_modified_bessel_k1", "exp(x) K_1(x).")
spherical_bessel_j0 = _forward_only("spherical_bessel_j0", "sin(x) / x (1 at 0).")
airy_ai = _forward_only("airy_ai", "The Airy function Ai.")

chebyshev_polynomial_t = _polynomial("chebyshev_polynomial_t", "The Chebyshev polynomial T_n")
chebyshev_polynomial_u = _polynomial("chebyshev_polynomial_u", "The Chebyshev polynomial U_n")
chebyshev_polynomial_v = _polynomial("chebyshev_polynomial_v", "The Chebyshev polynomial V_n")
chebyshev_polynomial_w = _polynomial("chebyshev_polynomial_w", "The Chebyshev polynomial W_n")
shifted_chebyshev_polynomial_t = _polynomial("shifted_chebyshev_polynomial_t",
                                             "T_n(2x - 1), the Chebyshev polynomial on [0, 1],")
shifted_chebyshev_polynomial_u = _polynomial("shifted_chebyshev_polynomial_u",
                                             "U_n(2x - 1), the Chebyshev polynomial on [0, 1],")
shifted_chebyshev_polynomial_v = _polynomial("shifted_chebyshev_polynomial_v",
                                             "V_n(2x - 1), the Chebyshev polynomial on [0, 1],")
shifted_chebyshev_polynomial_w = _polynomial("shifted_chebyshev_polynomial_w",
                                             "W_n(2x - 1), the Chebyshev polynomial on [0, 1],")
hermite_polynomial_h = _polynomial("hermite_polynomial_h", "The (physicists') Hermite H_n")
hermite_polynomial_he = _polynomial("hermite_polynomial_he", "The (probabilists') Hermite He_n")
laguerre_polynomial_l = _polynomial("laguerre_polynomial_l", "The Laguerre polynomial L_n")
legendre_polynomial_p = _polynomial("legendre_polynomial_p", "The Legendre polynomial P_n")


def zeta(input, other):
    """The Hurwitz zeta function sum_k (k + other)^-input (no gradient, as in PyTorch)."""
    return no_grad_special("zeta", _t(input), other)


def gammainc(input, other):
    """The regularised lower incomplete gamma function P(input, other) (torch.igamma)."""
    return _t(input).igamma(other)


def gammaincc(input, other):
    """The regularised upper incomplete gamma function Q(input, other) (torch.igammac)."""
    return _t(input).igammac(other)


def softmax(input, dim, *, dtype=None):
    return _t(input).softmax(dim, dtype=dtype)


def log_softmax(input, dim, *, dtype=None):
    return _t(input).log_softmax(dim, dtype=dtype)


def logsumexp(input, dim, keepdim=False):
    return _t(input).logsumexp(dim, keepdim)


__all__ = [
    "airy_ai",
    "bessel_j0",
    "bessel_j1",
    "bessel_y0",
    "bessel_y1",
    "chebyshev_polynomial_t",
    "chebyshev_polynomial_u",
    "chebyshev_polynomial_v",
    "chebyshev_polynomial_w",
    "digamma",
    "entr",
    "erf",
    "erfc",
    "erfcx",
    "erfinv",
    "exp2",
    "expit",
    "expm1",
    "gammainc",
    "gammaincc",
    "gammaln",
    "hermite_polynomial_h",
    "hermite_polynomial_he",
    "i0",
    "i0e",
    "i1",
    "i1e",
    "laguerre_polynomial_l",
    "legendre_polynomial_p",
    "log1p",
    "log_ndtr",
    "log_softmax",
    "logit",
    "logsumexp",
    "modified_bessel_i0",
    "modified_bessel_i1",
    "modified_bessel_k0",
    "modified_bessel_k1",
    "multigammaln",
    "ndtr",
    "ndtri",
    "polygamma",
    "psi",
    "round",
    "scaled_modified_bessel_k0",
    "scaled_modified_bessel_k1",
    "shifted_chebyshev_polynomial_t",
    "shifted_chebyshev_polynomial_u",
    "shifted_chebyshev_polynomial_v",
    "shifted_chebyshev_polynomial_w",
    "sinc",
    "softmax",
    "spherical_bessel_j0",
    "xlog1py",
    "xlogy",
    "zeta",
]
