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
from ..backend import array_module, to_complex
from .shape import Cat


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


class Eig(Function):
    """Eigenvalues and unit eigenvectors of a general square matrix, A V = V diag(L), complex
    even for a real A (as PyTorch's ``linalg.eig``).

    With PyTorch's convention for complex gradients (ops/complex.py), its backward is
    grad_A = V^-H (diag(grad_L) + (V^H grad_V - V^H V diag(Re diag(V^H grad_V))) / E*) V^H,
    E_ij = L_j - L_i off the diagonal and 1 on it (eigenvalues must be distinct). The result
    does not depend on the arbitrary phase of each eigenvector only if the loss does not either;
    a real A keeps the real part of its gradient.
    """

    @staticmethod
    def forward(ctx, a):
        xp = array_module(a)
        w, v = xp.linalg.eig(a)
        dt = to_complex(a.dtype)
        w, v = w.astype(dt, copy=False), v.astype(dt, copy=False)
        ctx.real_input = a.dtype.kind != "c"
        ctx.save_for_backward(w, v)
        return w, v

    @staticmethod
    def backward(ctx, gw, gv):
        w, v = ctx.saved_tensors
        xp = array_module(w)
        n = w.shape[-1]
        idx = xp.arange(n)
        vh = _T(v).conj()
        if gv is not None:
            vhgv = vh @ gv
            d = vhgv[..., idx, idx].real
            inner = vhgv - vh @ (v * d[..., None, :])
            wc = w.conj()
            e = wc[..., None, :] - wc[..., :, None]  # e_ij = conj(w_j - w_i)
            e[..., idx, idx] = 1
            inner = inner / e
        else:
            inner = xp.zeros(v.shape, v.dtype)
        if gw is not None:
            inner[..., idx, idx] += gw
        ga = xp.linalg.solve(vh, inner @ vh)
        return ga.real.copy() if ctx.real_input else ga

    differentiable_backward = None  # second derivatives of eig are not provided


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


def _rows(v):
    """(..., k) -> (..., 1, k), for arrays and Tensors alike."""
    return v.reshape(tuple(v.shape[:-1]) + (1, v.shape[-1]))


def _cols(v):
    """(..., k) -> (..., k, 1), for arrays and Tensors alike."""
    return v.reshape(tuple(v.shape) + (1,))


def _svd_grad(u, s, vh, gu, gs, gvh, eye, T):
    """grad_A of the thin SVD A = U diag(S) Vh (U m x k, Vh k x n, k = min(m, n)), written once
    for arrays (backward) and Tensors (differentiable_backward); ``T`` transposes the last two
    dims, ``eye`` is I_k, a missing gradient is None. PyTorch's formula (real case):

        grad_A = U [(skew(U^T gU) S + S skew(V^T gV)) / E + diag(gS)] Vh
                 (+ (I - U U^T) gU S^-1 Vh when m > n; + U S^-1 gVh (I - V V^T) when m < n)

    with skew(X) = X - X^T and E_ij = s_j^2 - s_i^2. U and V are defined up to the sign of each
    singular pair, and only for distinct singular values: a loss that depends on those signs,
    or repeated singular values, give no meaningful gradient (PyTorch's rule too)."""
    if gu is None and gvh is None:
        return (u * _rows(gs)) @ vh
    m, n = u.shape[-2], vh.shape[-1]
    s2 = s * s
    e = _rows(s2) - _cols(s2) + eye
    if gu is not None:
        ugu = T(u) @ gu
        ugu = ugu - T(ugu)
    if gvh is not None:
        vgv = vh @ T(gvh)
        vgv = vgv - T(vgv)
    if gu is not None and gvh is not None:
        inner = (ugu * _rows(s) + _cols(s) * vgv) / e
    elif gu is not None:
        inner = ugu * (_rows(s) / e)
    else:
        inner = _cols(s) * (vgv / e)
    if gs is not None:
        inner = inner + _rows(gs) * eye
    if m > n and gu is not None:
        gus = gu / _rows(s)
        return (u @ inner + gus - u @ (T(u) @ gus)) @ vh
    if m < n and gvh is not None:
        sgvh = gvh / _cols(s)
        return u @ (inner @ vh + sgvh - (sgvh @ T(vh)) @ vh)
    return u @ inner @ vh


class Svd(Function):
    """A = U diag(S) Vh (``full``: U and Vh square). The gradient through U, S and Vh is
    ``_svd_grad``; with full matrices only the first min(m, n) columns of U and rows of Vh,
    the ones A depends on, carry gradient (PyTorch's rule)."""

    @staticmethod
    def forward(ctx, a, full):
        xp = array_module(a)
        u, s, vh = xp.linalg.svd(a, full_matrices=full)
        u, s, vh = (u.astype(a.dtype, copy=False), s.astype(a.dtype, copy=False),
                    vh.astype(a.dtype, copy=False))
        ctx.save_for_backward(u, s, vh)
        return u, s, vh

    @staticmethod
    def backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        xp = array_module(s)
        k = s.shape[-1]
        # An all-zero gradient is no gradient (and must not meet 1 / E at repeated values).
        gu = gu[..., :, :k] if gu is not None and bool(xp.any(gu)) else None
        gvh = gvh[..., :k, :] if gvh is not None and bool(xp.any(gvh)) else None
        gs = gs if gs is not None else xp.zeros_like(s)
        eye = xp.eye(k, dtype=s.dtype)
        return _svd_grad(u[..., :, :k], s, vh[..., :k, :], gu, gs, gvh, eye, _T), None

    @staticmethod
    def differentiable_backward(ctx, gu, gs, gvh):
        u, s, vh = ctx.saved_tensors
        U, S, Vh = ctx.output_tensor(u, 0), ctx.output_tensor(s, 1), ctx.output_tensor(vh, 2)
        k = s.shape[-1]
        gu = gu[..., :, :k] if gu is not None and bool(array_module(gu._data).any(gu._data)) \
            else None
        gvh = gvh[..., :k, :] if gvh is not None and \
            bool(array_module(gvh._data).any(gvh._data)) else None
        if gs is None:
            gs = S * 0
        eye = ctx.constant(array_module(s).eye(k), S.dtype)
        return _svd_grad(U[..., :, :k], S, Vh[..., :k, :], gu, gs, gvh, eye,
                         lambda x: x.mT), None


def _qr_grad(q, r, gq, gr, T, tril, solve, cat):
    """grad_A of A = Q R (reduced; arrays or Tensors alike, with ``tril(x, k)``,
    ``solve(a, b)`` = a^-1 b and ``cat(parts)`` along the last dim given). For m >= n (Q m x n, R n x n): with
    M = R gR^T - gQ^T Q and copyltu(M) = tril(M) + tril(M, -1)^T,

        grad_A = (gQ + Q copyltu(M)) R^-T.

    For m < n, A = [X | Y] with X = Q R1 square: grad_Y = Q gR2, and grad_X is the square case
    with gQ + Y gR2^T in place of gQ (Walter & Lehmann 2018; PyTorch computes the same)."""
    m, n = q.shape[-2], r.shape[-1]
    if m < n:
        r1, r2 = r[..., :, :m], r[..., :, m:]
        y = q @ r2
        gr1 = gr[..., :, :m] if gr is not None else None
        gq1, gy = gq, y * 0
        if gr is not None:
            gr2 = gr[..., :, m:]
            gq1 = y @ T(gr2) if gq1 is None else gq1 + y @ T(gr2)
            gy = q @ gr2
        return cat([_qr_grad(q, r1, gq1, gr1, T, tril, solve, cat), gy])
    if gr is not None and gq is not None:
        mm = r @ T(gr) - T(gq) @ q
    elif gr is not None:
        mm = r @ T(gr)
    else:
        mm = -(T(gq) @ q)
    b = q @ (tril(mm, 0) + T(tril(mm, -1)))
    if gq is not None:
        b = b + gq
    return T(solve(r, T(b)))  # b R^-T


class Qr(Function):
    """A = Q R with orthonormal Q and upper-triangular R; the gradient is ``_qr_grad``
    (not for mode 'r', which has no Q, nor for 'complete' with more rows than columns, where
    Q is not determined by A: PyTorch's rules)."""

    @staticmethod
    def forward(ctx, a, mode):
        xp = array_module(a)
        ctx.mode = mode
        if mode == "r":
            r = xp.linalg.qr(a, mode="r")
            return xp.zeros(0, a.dtype), r.astype(a.dtype, copy=False)
        q, r = xp.linalg.qr(a, mode=mode)
        q, r = q.astype(a.dtype, copy=False), r.astype(a.dtype, copy=False)
        ctx.save_for_backward(q, r)
        return q, r

    @staticmethod
    def _check(ctx, q, r):
        if ctx.mode == "r":
            raise RuntimeError("linalg.qr: the derivative of linalg.qr depends on Q, which is "
                               "not computed when mode='r'; use mode='reduced' to "
                               "differentiate through linalg.qr")
        if ctx.mode == "complete" and q.shape[-2] > r.shape[-1]:
            raise RuntimeError("linalg.qr: the QR decomposition is not differentiable when "
                               "mode='complete' and nrows > ncols")

    @staticmethod
    def backward(ctx, gq, gr):
        q, r = ctx.saved_tensors if ctx.mode != "r" else (None, None)
        Qr._check(ctx, q, r)
        xp = array_module(q)
        if gq is None and gr is None:
            return xp.zeros(q.shape[:-1] + r.shape[-1:], q.dtype), None
        return _qr_grad(q, r, gq, gr, _T, lambda x, k: xp.tril(x, k),
                        lambda a, b: xp.linalg.solve(a, b),
                        lambda parts: xp.concatenate(parts, axis=-1)), None

    @staticmethod
    def differentiable_backward(ctx, gq, gr):
        q, r = ctx.saved_tensors if ctx.mode != "r" else (None, None)
        Qr._check(ctx, q, r)
        Q, R = ctx.output_tensor(q, 0), ctx.output_tensor(r, 1)
        return _qr_grad(Q, R, gq, gr, lambda x: x.mT, lambda x, k: x.tril(k), Solve.apply,
                        lambda parts: Cat.apply(parts[0].ndim - 1, *parts)), None
