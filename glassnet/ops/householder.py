"""Householder reflectors: the QR factorization in LAPACK's compact form (geqrf) and the
product of reflectors with a matrix (ormqr; householder_product / orgqr is its product with
the identity).

A reflector is H = I - tau v v^T. LAPACK stores reflector i in column i of a matrix below the
diagonal, with v_i[i] = 1 implied and v_i[:i] = 0, and its tau apart; Q = H_0 H_1 ... H_{k-1}.
``geqrf`` chooses each (v, tau) so that H maps the current column x onto beta e_1,
beta = -sign(x_0) ||x||, tau = (beta - x_0) / beta (LAPACK's dlarfg; tau = 0 when x is
already a multiple of e_1).

Applying H to X, X' = X - tau v (v^T X), has the gradients (with G the gradient of X')

    grad_X = G - tau v (v^T G),  grad_tau = -(v^T G) . (v^T X),
    grad_v = -tau (G X^T v + X G^T v),

so ``Ormqr`` walks the reflectors backwards, recomputing the intermediate X from the input.
"""

from __future__ import annotations

import math

from ..autograd.function import Function
from ..backend import array_module
from .lu import check_real


def _T(x):
    return x.swapaxes(-1, -2)


def geqrf(a):
    """(a, tau): the reflectors below the diagonal of a, R on and above it (LAPACK's geqr2)."""
    xp = array_module(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    nb = math.prod(batch)
    r = a.reshape((nb, m, n)).copy()
    tau = xp.zeros((nb, k), a.dtype)
    for i in range(k):
        alpha = r[:, i, i].copy()
        xnorm = xp.sqrt((r[:, i + 1:, i] ** 2).sum(-1))
        nz = xnorm != 0
        beta = -xp.copysign(xp.hypot(alpha, xnorm), alpha)
        safe = xp.where(nz, beta, 1)
        tau[:, i] = xp.where(nz, (beta - alpha) / safe, 0)
        r[:, i + 1:, i] /= xp.where(nz, alpha - beta, 1)[:, None]
        r[:, i, i] = xp.where(nz, beta, alpha)
        if i + 1 < n:  # apply H_i to the columns to the right
            v = r[:, i:, i:i + 1].copy()
            v[:, 0] = 1
            w = _T(v) @ r[:, i:, i + 1:]
            r[:, i:, i + 1:] -= tau[:, i, None, None] * (v @ w)
    return r.reshape(batch + (m, n)), tau.reshape(batch + (k,))


def _order(k, left, transpose):
    """The reflectors in the order they meet the matrix: Q C = H_0 (... (H_{k-1} C))."""
    return range(k - 1, -1, -1) if left != transpose else range(k)


def _check(op, a, tau):
    check_real(op, a, tau)
    if a.ndim < 2 or tau.ndim != a.ndim - 1:
        raise RuntimeError(f"{op}: expected input (..., m, n) and tau (..., k), got shapes "
                           f"{tuple(a.shape)} and {tuple(tau.shape)}")
    if tuple(tau.shape[:-1]) != tuple(a.shape[:-2]):
        raise RuntimeError(f"{op}: expected the batch dims of tau {tuple(tau.shape)} to equal "
                           f"input.shape[:-2] = {tuple(a.shape[:-2])}")
    if tau.shape[-1] > min(a.shape[-2:]):
        raise RuntimeError(f"{op}: tau.shape[-1] ({tau.shape[-1]}) must be at most "
                           f"min(input.shape[-2:]) = {min(a.shape[-2:])}")


class Geqrf(Function):
    """(a, tau) = geqrf(A); no derivative (none in PyTorch either)."""

    differentiable_backward = None  # no first derivative either

    @staticmethod
    def forward(ctx, a):
        if a.ndim < 2:
            raise RuntimeError(f"geqrf: input must have at least 2 dimensions, got shape "
                               f"{tuple(a.shape)}")
        check_real("geqrf", a)
        return geqrf(a)

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("the derivative for 'geqrf' is not implemented.")


class _Reflectors:
    """Reflector i of ``a`` and the constants the walk over reflectors needs, for arrays or
    (``const`` making graph constants) Tensors alike, so that the backward is written once."""

    def __init__(self, a_data, const, T):
        self.xp, self.const, self.T = array_module(a_data), const, T
        self.mn, self.ka = a_data.shape[-2], a_data.shape[-1]

    def below(self, i):  # (mn, 1): 1 strictly below row i
        return self.const(self.xp.arange(self.mn)[:, None] > i)

    def v(self, a, i):
        """v_i (..., mn, 1): column i of ``a`` below row i, a one at row i."""
        unit = self.const(self.xp.arange(self.mn)[:, None] == i)
        return a[..., :, i:i + 1] * self.below(i) + unit

    def onehot(self, i, n):  # (n,): e_i
        return self.const(self.xp.arange(n) == i)

    @staticmethod
    def col(tau, i):  # tau_i as (..., 1, 1)
        t = tau[..., i:i + 1]
        return t.reshape(tuple(t.shape) + (1,))

    def states(self, a, tau, c, left, transpose):
        """The matrix before each reflector meets it, then the result (C^T for a right
        product)."""
        y = c if left else self.T(c)
        states = []
        for i in _order(tau.shape[-1], left, transpose):
            states.append(y)
            v = self.v(a, i)
            y = y - self.col(tau, i) * (v @ (self.T(v) @ y))
        return states, y

    def grads(self, a, tau, c, g, left, transpose):
        """(grad_a, grad_tau, grad_c), walking the reflectors backwards (module docstring)."""
        T = self.T
        states = self.states(a, tau, c, left, transpose)[0]
        order = list(_order(tau.shape[-1], left, transpose))
        gy = g if left else T(g)
        ga = gtau = None
        for i, x in zip(reversed(order), reversed(states)):
            v, t = self.v(a, i), self.col(tau, i)
            vg, vx = T(v) @ gy, T(v) @ x
            gt = -(vg * vx).sum(-1) * self.onehot(i, tau.shape[-1])
            gv = -t * (gy @ T(vx) + x @ T(vg))
            gai = (gv * self.below(i)) @ self.onehot(i, self.ka).reshape((1, self.ka))
            ga = gai if ga is None else ga + gai
            gtau = gt if gtau is None else gtau + gt
            gy = gy - t * (v @ vg)
        if ga is None:  # no reflectors
            ga, gtau = a * 0, tau * 0
        return ga, gtau, (gy if left else T(gy))


class Ormqr(Function):
    """op(Q) C (``left``) or C op(Q), Q = H_0 ... H_{k-1} from the reflectors in ``a``
    (..., mn, >= k) and ``tau`` (..., k); op(Q) = Q^T with ``transpose``. A right product is
    a left one on C^T: C Q = (Q^T C^T)^T. The backward recomputes the intermediate products
    (``_Reflectors``); the differentiable backward is the same walk on Tensors."""

    @staticmethod
    def forward(ctx, a, tau, c, left, transpose, op="ormqr"):
        _check(op, a, tau)
        check_real(op, c)
        side = -2 if left else -1
        if c.ndim != a.ndim or tuple(c.shape[:-2]) != tuple(a.shape[:-2]) \
                or c.shape[side] != a.shape[-2]:
            want = f"(..., {a.shape[-2]}, n)" if left else f"(..., n, {a.shape[-2]})"
            raise RuntimeError(f"{op}: with left={left}, other must have input's batch dims "
                               f"and shape {want}, got {tuple(c.shape)}")
        ctx.left, ctx.transpose = left, transpose
        ctx.save_for_backward(a, tau, c)
        y = Ormqr._arrays(a).states(a, tau, c, left, transpose)[1]
        return y if left else _T(y).copy()

    @staticmethod
    def _arrays(a):
        return _Reflectors(a, lambda m: m.astype(a.dtype), _T)

    @staticmethod
    def backward(ctx, g):
        a, tau, c = ctx.saved_tensors
        return Ormqr._arrays(a).grads(a, tau, c, g, ctx.left, ctx.transpose) + (None, None)

    @staticmethod
    def differentiable_backward(ctx, g):
        a, tau, c = ctx.saved_tensors
        ops = _Reflectors(a, lambda m: ctx.constant(m, g.dtype), lambda x: x.mT)
        A, TAU, C = (ctx.input_tensor(i, d) for i, d in enumerate((a, tau, c)))
        return ops.grads(A, TAU, C, g, ctx.left, ctx.transpose) + (None, None)


class HouseholderProduct(Function):
    """The first n columns of Q = H_0 ... H_{k-1} for A (..., m, n), m >= n >= k: ``Ormqr``
    applied to the identity (LAPACK's orgqr)."""

    @staticmethod
    def forward(ctx, a, tau, op="linalg.householder_product"):
        _check(op, a, tau)
        m, n = a.shape[-2:]
        if m < n:
            raise RuntimeError(f"{op}: input.shape[-2] ({m}) must be greater than or equal to "
                               f"input.shape[-1] ({n})")
        xp = array_module(a)
        eye = xp.broadcast_to(xp.eye(m, n, dtype=a.dtype), a.shape).copy()
        return Ormqr.forward(ctx, a, tau, eye, True, False, op)

    @staticmethod
    def backward(ctx, g):
        return Ormqr.backward(ctx, g)[:2]

    @staticmethod
    def differentiable_backward(ctx, g):
        return Ormqr.differentiable_backward(ctx, g)[:2]
