"""The matrix exponential exp(A) = sum_k A^k / k! of a batch of square matrices.

Forward: PyTorch's algorithm (Bader, Blanes and Casas, "Computing the matrix exponential with an
optimized Taylor polynomial approximation", Mathematics 7 (2019) 1174). The 1-norm of A (the
largest column sum of |a_ij|) picks the cheapest Taylor polynomial T_m accurate to the working
precision, m in {1, 2, 4, 8, 12, 18}; T_8, T_12 and T_18 are evaluated with 3, 4 and 5 matrix
products instead of 7, 11 and 17, through the paper's coefficients. A matrix whose norm exceeds
the degree-18 bound theta_18 is scaled first: exp(A) = exp(A / 2^s)^(2^s) with the smallest s
that brings ||A / 2^s|| below theta_18, then squared s times. Fewer squarings than a plain
Taylor series needs keep float32 rounding small, and the same steps as PyTorch's give the same
rounding.

Backward: for a function f of a matrix, the adjoint of its derivative in direction G is the
upper-right block of f applied to the block matrix [[A^H, G], [0, A^H]] (Mathias 1996), so
grad_A = exp([[A^H, G], [0, A^H]])[:n, n:]: one matrix exponential of twice the size. Written
with ``MatrixExp`` itself, so it is differentiable again (``create_graph=True``).
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function
from ..backend import array_module
from .complex import conj
from .shape import Cat

# Norm bounds theta_m below which T_m is accurate to the unit roundoff (degrees 1, 2, 4, 8,
# 12, 18), for single (float32, complex64) and double precision.
_THETAS = {
    4: (1.192092800768788e-07, 5.978858893805233e-04, 5.116619363445086e-02,
        5.800524627688768e-01, 1.461661507209034e+00, 3.010066362817634e+00),
    8: (2.220446049250313e-16, 2.580956802971767e-08, 3.397168839976962e-04,
        4.991228871115323e-02, 2.996158913811580e-01, 1.090863719290036e+00),
}

_SQRT_177 = 0.1330413469565007072504e+2
_X3 = 2.0 / 3.0
_T8 = {"x1": _X3 * ((1.0 + _SQRT_177) / 88.0), "x2": _X3 * ((1.0 + _SQRT_177) / 352.0),
       "x4": (-271.0 + 29.0 * _SQRT_177) / (315.0 * _X3),
       "x5": (-11.0 + 11.0 * _SQRT_177) / (1260.0 * _X3),
       "x6": (-99.0 + 11.0 * _SQRT_177) / (5040.0 * _X3),
       "x7": (89.0 - _SQRT_177) / (5040.0 * _X3), "y2": (857.0 - 58.0 * _SQRT_177) / 630.0}
# T_12 and T_18: B_i = sum_j b[i][j] P_j over the powers P = (I, A, A^2, A^3[, A^6]).
_B12 = ((9.0198e-16, 0.46932117595418237389, -0.20099424927047284052, -0.04623946134063071740),
        (5.31597895759871264183, 1.19926790417132231573, 0.01179296240992997031,
         0.01108844528519167989),
        (0.18188869982170434744, 0.05502798439925399070, 0.09351590770535414968,
         0.00610700528898058230),
        (-2.0861320e-13, -0.13181061013830184015, -0.02027855540589259079,
         -0.00675951846863086359))
_B18 = ((0.0, -1.00365581030144618291e-01, -8.02924648241156932449e-03,
         -8.92138498045729985177e-04, 0.0),
        (0.0, 3.97849749499645077844e-01, 1.36783778460411720168e+00,
         4.98289622525382669416e-01, -6.37898194594723280150e-04),
        (-1.09676396052962061844e+01, 1.68015813878906206114e+00, 5.71779846478865511061e-02,
         -6.98210122488052056106e-03, 3.34975017086070470649e-05),
        (-9.04316832390810593223e-02, -6.76404519071381882256e-02, 6.75961301770459654925e-02,
         2.95552570429315521194e-02, -1.39180257516060693404e-05),
        (0.0, 0.0, -9.23364619367118555360e-02, -1.69364939002081722752e-02,
         -1.40086798182036094347e-05))


def _combine(powers, coefs, real):
    """sum_j coefs[j] * powers[j], accumulated left to right in the working precision."""
    out = 0
    for p, c in zip(powers, coefs):
        out = out + p * real(c)
    return out


def _taylor(a, degree, real):
    """T_degree(a) for a batch (B, n, n) of matrices (the paper's evaluation schemes)."""
    xp = array_module(a)
    eye = xp.broadcast_to(xp.eye(a.shape[-1], dtype=a.dtype), a.shape)
    if degree == 1:
        return eye + a
    a2 = a @ a
    if degree == 2:
        return eye + a + a2 / real(2)
    if degree == 4:
        inner = _combine((eye, a, a2), (1 / 2.0, 1 / 6.0, 1 / 24.0), real)
        return _combine((eye, a, a2, a2 @ inner), (1.0, 1.0, 0.0, 1.0), real)
    if degree == 8:
        c = _T8
        a4 = a2 @ _combine((a, a2), (c["x1"], c["x2"]), real)
        a8 = _combine((a2, a4), (_X3, 1.0), real) @ _combine(
            (eye, a, a2, a4), (c["x4"], c["x5"], c["x6"], c["x7"]), real)
        return _combine((eye, a, a2, a4, a8), (1.0, 1.0, c["y2"], 0.0, 1.0), real)
    a3 = a2 @ a
    if degree == 12:
        b = [_combine((eye, a, a2, a3), row, real) for row in _B12]
        b[2] = b[2] + b[3] @ b[3]
        return b[0] + (b[1] + b[2]) @ b[2]
    a6 = a3 @ a3
    b = [_combine((eye, a, a2, a3, a6), row, real) for row in _B18]
    b[3] = b[3] + b[0] @ b[4]
    return b[1] + (b[2] + b[3]) @ b[3]


def expm(a):
    """exp(a) for an array of square matrices (..., n, n) of a floating or complex dtype."""
    xp = array_module(a)
    n = a.shape[-1]
    if n == 0 or a.size == 0:
        return a.copy()
    if n == 1:
        return xp.exp(a)
    batch = a.reshape((-1, n, n))
    real = np.float64 if np.dtype(a.dtype).itemsize >= (16 if a.dtype.kind == "c" else 8) \
        else np.float32  # the precision of the coefficients and of the norm bounds
    thetas = _THETAS[np.dtype(real).itemsize]
    norm = xp.abs(batch).sum(-2).max(-1)  # the 1-norm: the largest column sum
    out = xp.full(batch.shape, np.nan, dtype=a.dtype)  # NaN norms (NaN entries) stay NaN
    # One matrix gets the cheapest adequate degree; a batch gets degree 18 (with scaling where
    # needed) for every matrix, as PyTorch does.
    lower, low_degrees = -1.0, (1, 2, 4, 8, 12) if batch.shape[0] == 1 else ()
    for degree, theta in zip(low_degrees, thetas[:-1]):
        sel = xp.nonzero((norm > lower) & (norm <= theta))[0]
        if sel.size:
            out[sel] = _taylor(batch[sel], degree, real)
        lower = theta
    sel = xp.nonzero(norm > lower)[0]
    if sel.size:
        s = xp.maximum(0, xp.ceil(xp.log2(norm[sel] / real(thetas[-1])))).astype(np.int64)
        scaled = batch[sel] / (2.0 ** s).astype(real)[:, None, None]
        res = _taylor(scaled, 18, real)
        for k in range(int(s.max()) if s.size else 0):
            sq = s > k  # squared s_i times each
            res[sq] = res[sq] @ res[sq]
        out[sel] = res
    return out.reshape(a.shape)


class MatrixExp(Function):
    """exp(A) of a batch of square matrices (see the module docstring)."""

    @staticmethod
    def forward(ctx, a):
        ctx.save_for_backward(a)
        return expm(a)

    @staticmethod
    def backward(ctx, g):
        (a,) = ctx.saved_tensors
        xp = array_module(g)
        n = a.shape[-1]
        ah = conj(xp.swapaxes(a, -1, -2))
        block = xp.concatenate([xp.concatenate([ah, g.astype(a.dtype, copy=False)], -1),
                                xp.concatenate([xp.zeros_like(ah), ah], -1)], -2)
        return expm(block)[..., :n, n:]

    @staticmethod
    def differentiable_backward(ctx, g):
        (a,) = ctx.saved_tensors
        n = a.shape[-1]
        ah = ctx.input_tensor(0, a).mH
        last = ah.ndim - 1
        block = Cat.apply(last - 1, Cat.apply(last, ah, g.to(ah.dtype)),
                          Cat.apply(last, ah.new_zeros(ah.shape), ah))
        return MatrixExp.apply(block)[..., :n, n:]
