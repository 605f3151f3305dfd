"""Matrix functions with their own gradients: determinant, inverse, linear solve, Cholesky,
pseudo-inverse, symmetric eigendecomposition and singular values. All work on batches
(``(..., n, n)``).

The gradients are the classic matrix-calculus results (Giles, "An extended collection of
matrix derivative results", 2008): for C = A^-1, dA = -C^T dC C^T; for d = det A,
dA = d * grad * A^-T; and so on below. Each ``differentiable_backward`` (``create_graph=True``)
is the same result written on Tensors, differentiable again.
"""

from __future__ import annotations

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module


def _T(x):
    return x.swapaxes(-1, -2)


def _inv(A):
    """A^-1 of the Tensor ``A``, differentiable."""
    try:
        return Inv.apply(A)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.inv: the matrix is singular (not invertible)") from None


class Det(Function):
    """det(A); d det / dA = det(A) A^-T (Jacobi's formula)."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        out = xp.linalg.det(a).astype(a.dtype, copy=False)
        ctx.save_for_backward(a, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(g)
        # adj(A)^T = det(A) A^-T; via solve for stability: A^-T (g det) = solve(A^T, g det I)
        coef = (g * out)[..., None, None]
        return _T(xp.linalg.inv(a)) * coef

    @staticmethod
    def differentiable_backward(ctx, g):
        a, out = ctx.saved_tensors
        coef = (g * ctx.output_tensor(out)).unsqueeze(-1).unsqueeze(-1)
        return _inv(ctx.input_tensor(0, a)).mT * coef


class SlogDet(Function):
    """(sign, log|det A|); d log|det A| / dA = A^-T."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        sign, logabs = xp.linalg.slogdet(a)
        ctx.save_for_backward(a)
        return sign.astype(a.dtype, copy=False), logabs.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        xp = array_module(glog)
        return _T(xp.linalg.inv(a)) * glog[..., None, None]

    @staticmethod
    def differentiable_backward(ctx, gsign, glog):
        (a,) = ctx.saved_tensors
        return _inv(ctx.input_tensor(0, a)).mT * glog.unsqueeze(-1).unsqueeze(-1)


class Inv(Function):
    """A^-1; for C = A^-1, grad_A = -C^T grad_C C^T."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        out = xp.linalg.inv(a)
        ctx.save_for_backward(out)
        return out

    @staticmethod
    def backward(ctx, g):
        (c,) = ctx.saved_tensors
        ct = _T(c)
        return -(ct @ g @ ct)

    @staticmethod
    def differentiable_backward(ctx, g):
        c = ctx.output_tensor(ctx.saved_tensors[0]).mT  # d(A^-1) = -A^-1 dA A^-1
        return -(c @ g @ c)


class Solve(Function):
    """X = A^-1 B (B a matrix (..., n, k)); grad_B = A^-T grad_X, grad_A = -grad_B X^T.

    Batch dims broadcast, so both gradients are summed back over broadcast batch dims.
    """

    @staticmethod
    def forward(ctx, a, b):
        xp = array_module(a, b)
        batch = xp.broadcast_shapes(a.shape[:-2], b.shape[:-2])
        x = xp.linalg.solve(xp.broadcast_to(a, batch + a.shape[-2:]),
                            xp.broadcast_to(b, batch + b.shape[-2:]))
        ctx.save_for_backward(a, x)
        ctx.sa, ctx.sb = a.shape, b.shape
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        xp = array_module(g)
        at = xp.broadcast_to(_T(a), g.shape[:-2] + a.shape[-2:])
        gb = xp.linalg.solve(at, g)
        ga = -(gb @ _T(x)) if ctx.needs_input_grad[0] else None
        return (unbroadcast(ga, ctx.sa) if ga is not None else None,
                unbroadcast(gb, ctx.sb) if ctx.needs_input_grad[1] else None)

    @staticmethod
    def differentiable_backward(ctx, g):
        a, x = ctx.saved_tensors
        gb = Solve.apply(ctx.input_tensor(0, a).mT, g)
        ga = -(gb @ ctx.output_tensor(x).mT) if ctx.needs_input_grad[0] else None
        return (ga.sum_to_size(ctx.sa) if ga is not None else None,
                gb.sum_to_size(ctx.sb) if ctx.needs_input_grad[1] else None)


class Cholesky(Function):
    """A = L L^T with L lower triangular (``upper=True`` returns U = L^T).

    grad_A = sym(L^-T Phi(L^T grad_L) L^-1) where Phi keeps the lower triangle and halves the
    diagonal, and sym(X) = (X + X^T) / 2 (Murray, 2016).
    """

    @staticmethod
    def forward(ctx, a, upper):
        xp = array_module(a)
        try:
            low = xp.linalg.cholesky(a)
        except xp.linalg.LinAlgError:
            raise RuntimeError("cholesky: the input is not positive-definite (the leading minor "
                               "of some order is not positive)") from None
        ctx.upper = upper
        ctx.save_for_backward(low)
        return _T(low).copy() if upper else low

    @staticmethod
    def backward(ctx, g):
        (low,) = ctx.saved_tensors
        xp = array_module(g)
        if ctx.upper:
            g = _T(g)
        phi = xp.tril(_T(low) @ g)
        n = low.shape[-1]
        idx = xp.arange(n)
        phi[..., idx, idx] *= 0.5
        linv = xp.linalg.inv(low)
        s = _T(linv) @ phi @ linv
        return (s + _T(s)) / 2, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # gA = L^-T Phi(L^T gL) L^-1 with Phi the lower triangle, diagonal halved (symmetric).
        (low,) = ctx.saved_tensors
        L = ctx.output_tensor(_T(low).copy() if ctx.upper else low)
        if ctx.upper:
            L, g = L.mT, g.mT
        phi = (L.mT @ g).tril()
        phi = 0.5 * (phi + phi.tril(-1).mT)
        s = Solve.apply(L.mT, phi)  # L^-T Phi
        return Solve.apply(L.mT, s.mT).mT, None  # (L^-T Phi) L^-1


class Pinv(Function):
    """The Moore-Penrose pseudo-inverse X = A^+ (full rank A). With G = grad_X,
    grad_A = -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A) (Golub & Pereyra, 1973)."""

    @staticmethod
    def forward(ctx, a, rtol, hermitian, atol=None):
        # Singular values at or below max(atol, rtol * s_max) count as zero, PyTorch's rule:
        # rtol defaults to eps(dtype) * max(m, n) unless a positive atol is given.
        xp = array_module(a)
        if rtol is None:
            rtol = 0.0 if atol is not None and atol > 0 else \
                max(a.shape[-2:]) * float(xp.finfo(a.dtype).eps)
        if hermitian:
            w, v = xp.linalg.eigh(a)
            s, u, vt = xp.abs(w), v * xp.sign(w)[..., None, :], _T(v)
        else:
            u, s, vt = xp.linalg.svd(a, full_matrices=False)
        smax = s.max(-1, keepdims=True) if s.shape[-1] else xp.zeros(s.shape[:-1] + (1,), s.dtype)
        keep = s > xp.maximum(atol or 0.0, rtol * smax)
        inv = xp.where(keep, 1.0 / xp.where(keep, s, 1), 0).astype(a.dtype)
        x = (_T(vt) * inv[..., None, :]) @ _T(u)
        x = x.astype(a.dtype, copy=False)
        ctx.save_for_backward(a, x)
        return x

    @staticmethod
    def backward(ctx, g):
        a, x = ctx.saved_tensors
        xp = array_module(g)
        m, n = a.shape[-2], a.shape[-1]
        xt, gt = _T(x), _T(g)
        im = xp.eye(m, dtype=a.dtype)
        i_n = xp.eye(n, dtype=a.dtype)
        ga = -(xt @ g @ xt) + (im - a @ x) @ gt @ x @ xt + xt @ x @ gt @ (i_n - x @ a)
        return ga, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A), X = A^+ (Golub & Pereyra)
        a, x = ctx.saved_tensors
        A, X = ctx.input_tensor(0, a), ctx.output_tensor(x)
        xp = array_module(a)
        im = ctx.constant(xp.eye(a.shape[-2]), g.dtype)
        i_n = ctx.constant(xp.eye(a.shape[-1]), g.dtype)
        Xt, Gt = X.mT, g.mT
        return (-(Xt @ g @ Xt) + (im - A @ X) @ Gt @ X @ Xt + Xt @ X @ Gt @ (i_n - X @ A),
                None, None)


class Eigh(Function):
    """Eigenvalues (ascending) and orthonormal eigenvectors of a symmetric matrix, A = V W V^T.

    grad_A = V (diag(grad_W) + F o sym(V^T grad_V)) V^T, with F_ij = 1 / (w_j - w_i) off the
    diagonal (defined only for distinct eigenvalues), as PyTorch computes it.
    """

    @staticmethod
    def forward(ctx, a, uplo):
        xp = array_module(a)
        w, v = xp.linalg.eigh(a, UPLO=uplo)
        w, v = w.astype(a.dtype, copy=False), v.astype(a.dtype, copy=False)
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        xp = array_module(w)
        inner = xp.zeros(v.shape, v.dtype)
        if gv is not None:
            e = w[..., None, :] - w[..., :, None]  # e_ij = w_j - w_i
            n = w.shape[-1]
            idx = xp.arange(n)
            e[..., idx, idx] = 1
            vg = _T(v) @ gv
            inner = (vg - _T(vg)) / 2 / e
            inner[..., idx, idx] = 0
        if gw is not None:
            n = w.shape[-1]
            idx = xp.arange(n)
            inner[..., idx, idx] += gw
        return v @ inner @ _T(v), None

    @staticmethod
    def differentiable_backward(ctx, gw, gv):
        # gA = V (diag(gw) + skew(V^T gV) / E) V^T, E_ij = w_j - w_i (1 on the diagonal)
        w, v = ctx.saved_tensors
        W, V = ctx.output_tensor(w, 0), ctx.output_tensor(v, 1)
        eye = ctx.constant(array_module(w).eye(w.shape[-1]), gw.dtype)
        vg = V.mT @ gv
        E = W.unsqueeze(-2) - W.unsqueeze(-1) + eye
        inner = 0.5 * (vg - vg.mT) / E + gw.unsqueeze(-1) * eye
        return V @ inner @ V.mT, None


class SvdVals(Function):
    """Singular values (descending); grad_A = U diag(grad_S) V^T."""

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=False)
        ctx.save_for_backward(u, vh)
        return s.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        u, vh = ctx.saved_tensors
        return (u * g[..., None, :]) @ vh

    differentiable_backward = None  # not written on Tensors yet


class Svd(Function):
    """A = U diag(S) Vh; the gradient flows through S only (U and Vh: not implemented)."""

    @staticmethod
    def forward(ctx, a, full):
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full)
        ctx.save_for_backward(u, vh)
        ctx.k = s.shape[-1]
        return (u.astype(a.dtype, copy=False), s.astype(a.dtype, copy=False),
                vh.astype(a.dtype, copy=False))

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        xp = array_module(gs)
        if (gu is not None and bool(xp.any(gu))) or (gvh is not None and bool(xp.any(gvh))):
            raise NotImplementedError("linalg.svd: the gradient through U and Vh is not "
                                      "implemented; use linalg.svdvals for differentiable "
                                      "singular values")
        u, vh = ctx.saved_tensors
        k = ctx.k
        return (u[..., :, :k] * gs[..., None, :]) @ vh[..., :k, :], None

    differentiable_backward = None  # not written on Tensors yet


class Qr(Function):
    """A = Q R, forward only."""

    @staticmethod
    def forward(ctx, a, mode):
        xp = array_module(a)
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros(0, a.dtype), r.astype(a.dtype, copy=False)
        q, r = xp.linalg.qr(a, mode=mode)
        return q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)

    @staticmethod
    def backward(ctx, gq, gr):
        raise NotImplementedError("linalg.qr: backward is not implemented in glassnet")

    differentiable_backward = None  # no backward at all
