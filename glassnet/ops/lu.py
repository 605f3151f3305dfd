"""Factorizations by Gaussian elimination: LU with partial pivoting (LAPACK's getrf), its
unpacking and solves, and the Bunch-Kaufman LDL^T of symmetric matrices (LAPACK's sytrf).

LU. ``P^T A = L U`` for A (..., m, n), k = min(m, n): L (m, k) unit lower triangular, U (k, n)
upper triangular, both packed into one (m, n) matrix ``LU`` (L below the diagonal, its unit
diagonal implied). Column j takes as pivot the entry of largest absolute value on or below
the diagonal (the first one on ties, as LAPACK's idamax), and ``pivots[j]`` (1-based, int32)
records that row ``j`` was swapped with row ``pivots[j] - 1``: P is the product of these
swaps. ``info`` is the 1-based index of the first zero pivot (0 if none); elimination goes
on past it, as LAPACK does.

The gradient of A = P L U, square case: with X = L^-1 P^T dA U^-1 = L^-1 dL + dU U^-1, whose
strictly lower part is L^-1 dL and whose upper part is dU U^-1,

    grad_A = P L^-T (tril_-1(L^T grad_L) + triu(grad_U U^T)) U^-T,

and for wide (m < n) and tall (m > n) A the extra block of U (or L) joins in through one more
triangular solve (``_lu_grad``; PyTorch's linalg_lu_backward computes the same).

LDL^T. ``A = L D L^T`` with L unit lower triangular times the row swaps recorded in
``pivots`` and D block diagonal with 1x1 and 2x2 blocks (Bunch & Kaufman, 1977): a positive
pivot k means a 1x1 block after swapping rows k and pivots[k] - 1; a negative pair marks a 2x2
block. Forward only, as in PyTorch.
"""

from __future__ import annotations

import math

import numpy as np

from ..autograd.function import Function, unbroadcast
from ..backend import array_module, to_numpy
from .decomp import Solve
from .shape import Cat


def _T(x):
    return x.swapaxes(-1, -2)


# ----------------------------------------------------------------------------- array kernels
def getrf(a, pivot=True):
    """(LU, pivots, info) of the matrices ``a`` (..., m, n): partial pivoting, one column at a
    time, every matrix of the batch at once (``pivot=False``: no row swaps)."""
    xp = array_module(a)
    m, n = a.shape[-2:]
    k = min(m, n)
    batch = a.shape[:-2]
    nb = math.prod(batch)
    lu = a.reshape((nb, m, n)).copy()
    piv = xp.broadcast_to(xp.arange(1, k + 1, dtype=xp.int32), (nb, k)).copy()
    info = xp.zeros(nb, xp.int32)
    rows = xp.arange(nb)
    for j in range(k):
        if pivot:
            p = xp.argmax(xp.abs(lu[:, j:, j]), axis=-1) + j
            piv[:, j] = p + 1
            top = lu[rows, j].copy()
            lu[rows, j] = lu[rows, p]
            lu[rows, p] = top
        d = lu[:, j, j]
        zero = d == 0
        info = xp.where((info == 0) & zero, j + 1, info).astype(xp.int32)
        # A zero pivot leaves its (then all-zero) column unscaled, as LAPACK does.
        lu[:, j + 1:, j] /= xp.where(zero, 1, d)[:, None]
        lu[:, j + 1:, j + 1:] -= lu[:, j + 1:, j:j + 1] * lu[:, j:j + 1, j + 1:]
    return (lu.reshape(batch + (m, n)), piv.reshape(batch + (k,)),
            info.reshape(batch))


def permutation(piv, m):
    """perm (..., m) with (P^T A)[i] = A[perm[i]]: the swaps of ``piv`` applied in order."""
    xp = array_module(piv)
    batch, k = piv.shape[:-1], piv.shape[-1]
    nb = math.prod(batch)
    perm = xp.broadcast_to(xp.arange(m), (nb, m)).copy()
    p = piv.reshape((nb, k)).astype(xp.int64) - 1
    rows = xp.arange(nb)
    for i in range(k):
        a, b = perm[:, i].copy(), perm[rows, p[:, i]]
        perm[:, i] = b
        perm[rows, p[:, i]] = a
    return perm.reshape(batch + (m,))


def perm_matrix(piv, m, dtype):
    """P (..., m, m) with A = P L U: P[perm[i], i] = 1."""
    xp = array_module(piv)
    perm = permutation(piv, m)
    return (perm[..., None, :] == xp.arange(m)[:, None]).astype(dtype)


def unpack(lu):
    """(L, U) of a packed ``LU`` (..., m, n): L (m, k) unit lower, U (k, n) upper."""
    xp = array_module(lu)
    m, n = lu.shape[-2:]
    k = min(m, n)
    low = xp.tril(lu[..., :, :k], -1) + xp.eye(m, k, dtype=lu.dtype)
    return low, xp.triu(lu[..., :k, :])


def tri_solve(t, b, lower, unit=False):
    """X with T X = B by substitution, T (..., n, n) read only in its lower (``lower``) or
    upper triangle (with a unit diagonal when ``unit``); batch dims broadcast."""
    xp = array_module(t, b)
    n = t.shape[-1]
    batch = xp.broadcast_shapes(t.shape[:-2], b.shape[:-2])
    x = xp.broadcast_to(b, batch + b.shape[-2:]).astype(xp.result_type(t, b))
    with np.errstate(divide="ignore", invalid="ignore"):  # a zero pivot gives inf / nan
        for i in (range(n) if lower else range(n - 1, -1, -1)):
            part = slice(0, i) if lower else slice(i + 1, n)
            xi = x[..., i:i + 1, :] - t[..., i:i + 1, part] @ x[..., part, :]
            x[..., i:i + 1, :] = xi if unit else xi / t[..., i:i + 1, i:i + 1]
    return x


def getrs(lu, piv, b, adjoint=False):
    """X with A X = B (``adjoint``: A^T X = B), A = P L U given as (``lu``, ``piv``); batch
    dims broadcast."""
    xp = array_module(lu, b)
    n = lu.shape[-1]
    batch = xp.broadcast_shapes(lu.shape[:-2], piv.shape[:-1], b.shape[:-2])
    perm = xp.broadcast_to(permutation(piv, n), batch + (n,))
    b = xp.broadcast_to(b, batch + b.shape[-2:])
    if not adjoint:  # X = U^-1 L^-1 P^T B
        x = xp.take_along_axis(b, perm[..., :, None], axis=-2)
        return tri_solve(lu, tri_solve(lu, x, lower=True, unit=True), lower=False)
    # A^T = U^T L^T P^T:  X = P L^-T U^-T B
    y = tri_solve(_T(lu), b, lower=True)
    y = tri_solve(_T(lu), y, lower=False, unit=True)
    inv = xp.argsort(perm, axis=-1)
    return xp.take_along_axis(y, inv[..., :, None], axis=-2)


# ----------------------------------------------------------------------------- gradients
class _Arrays:
    """The operations ``_lu_grad`` needs, on arrays."""

    T = staticmethod(_T)

    @staticmethod
    def tril(x, k=0):
        return array_module(x).tril(x, k)

    @staticmethod
    def triu(x, k=0):
        return array_module(x).triu(x, k)

    @staticmethod
    def cat(parts, axis):
        return array_module(*parts).concatenate(parts, axis=axis)

    @staticmethod
    def solve(t, b, lower, left=True, unit=False):
        """T^-T B (``left``) or B T^-T: the solves with the transposed triangle that the
        gradient needs (T read in its ``lower`` or upper triangle, unit diagonal if ``unit``)."""
        if left:  # T^T X = B, T^T has the other triangle
            return tri_solve(_T(t), b, not lower, unit)
        return _T(tri_solve(t, _T(b), lower, unit))  # X T^T = B  <=>  T X^T = B^T


class _Tensors:
    """The same operations on Tensors, differentiable (for ``differentiable_backward``)."""

    T = staticmethod(lambda x: x.mT)
    tril = staticmethod(lambda x, k=0: x.tril(k))
    triu = staticmethod(lambda x, k=0: x.triu(k))
    cat = staticmethod(lambda parts, axis: Cat.apply(axis % parts[0].ndim, *parts))

    @staticmethod
    def solve(t, b, lower, left=True, unit=False):  # as _Arrays.solve, through Solve
        tri = t.tril() if lower else t.triu()
        if unit:
            n = t.shape[-1]
            eye = t.__class__._make(array_module(t._data).eye(n, dtype=t.dtype), False)
            tri = tri - tri * eye + eye
        if left:
            return Solve.apply(tri.mT, b)
        return Solve.apply(tri, b.mT).mT


def _lu_grad(gl, gu, p, low, up, ops):
    """grad_A of A = P L U from grad_L and grad_U (arrays or Tensors, see ``_Arrays``); ``p``
    is None without pivoting."""
    T, tril, triu = ops.T, ops.tril, ops.triu
    m, n = low.shape[-2], up.shape[-1]
    k = min(m, n)
    if m == n:
        ga = tril(T(low) @ gl, -1) + triu(gu @ T(up))
        ga = ops.solve(up, ga, lower=False, left=False)
        ga = ops.solve(low, ga, lower=True, unit=True)
    elif m < n:  # U = [U1 | U2]: grad_A2 = P L^-T grad_U2
        ga = tril(T(low) @ gl - triu(gu) @ T(up), -1)
        ga = ops.solve(up[..., :, :k], ga, lower=False, left=False)
        ga = ops.cat([ga + triu(gu[..., :, :k]), gu[..., :, k:]], -1)
        ga = ops.solve(low, ga, lower=True, unit=True)
    else:  # L = [L1; L2]: grad_A2 = P grad_L2 U^-T
        ga = triu(gu @ T(up) - T(low) @ tril(gl, -1))
        ga = ops.solve(low[..., :k, :], ga, lower=True, unit=True)
        ga = ops.cat([ga + tril(gl[..., :k, :], -1), gl[..., k:, :]], -2)
        ga = ops.solve(up, ga, lower=False, left=False)
    return ga if p is None else p @ ga


def _lu_solve_grad_a(x, gb, left, adjoint, T):
    """grad_A of the solve X = op(A)^-1 B (``left``) or B op(A)^-1, given grad_B."""
    if left:
        return -(x @ T(gb)) if adjoint else -(gb @ T(x))
    return -(T(gb) @ x) if adjoint else -(T(x) @ gb)


def _lu_grad_from_a(ga, p, low, up, ops):
    """grad_LU of A = P L U (L, U packed in LU) from grad_A: dA = P (dL U + L dU), so grad_L
    is the strict lower part of P^T grad_A U^T and grad_U the upper part of L^T P^T grad_A."""
    pga = ga if p is None else ops.T(p) @ ga
    return ops.tril(pga @ ops.T(up), -1) + ops.triu(ops.T(low) @ pga)


# ----------------------------------------------------------------------------- checks
def _raise_singular(op, info, factor):
    """The error of a factorization that met a zero pivot (info > 0), naming the first one."""
    flat = to_numpy(info).reshape(-1)
    if flat.any():
        b = int(np.flatnonzero(flat)[0])
        where = f"(Batch element {b}): " if info.ndim else ""
        raise RuntimeError(f"{op}: {where}{factor}[{flat[b]},{flat[b]}] is zero: the matrix is "
                           "singular and solving with this factorization would divide by zero "
                           "(the _ex variant factorizes it without raising)")


def check_real(op, *arrays):
    """These factorizations are written for real matrices (LAPACK's complex routines pick
    pivots by |re| + |im| and use conjugate transposes)."""
    for a in arrays:
        if getattr(a, "dtype", None) is not None and a.dtype.kind == "c":
            raise RuntimeError(f"{op}: complex inputs are not supported (got {a.dtype})")


def _check_solve(op, f, piv, b, left):
    """Shapes and dtypes of a solve with factors ``f`` (..., n, n) and ``pivots`` (..., n)."""
    check_real(op, f, b)
    if f.ndim < 2 or f.shape[-1] != f.shape[-2]:
        raise RuntimeError(f"{op}: the factors must be a batch of square matrices (..., n, n), "
                           f"got shape {tuple(f.shape)}")
    n = f.shape[-1]
    dt = getattr(piv, "dtype", None)
    if dt != np.int32:
        raise RuntimeError(f"{op}: pivots should be a Tensor of dtype int32, got "
                           f"{dt if dt is not None else type(piv).__name__}")
    if tuple(piv.shape) != tuple(f.shape[:-1]):
        raise RuntimeError(f"{op}: pivots must have shape {tuple(f.shape[:-1])} (the factors' "
                           f"without the last dim), got {tuple(piv.shape)}")
    if b.ndim < 2 or b.shape[-2 if left else -1] != n:
        raise RuntimeError(f"{op}: incompatible shapes of A and B for the equation "
                           f"{'AX = B' if left else 'XA = B'} ({n}x{n} and {tuple(b.shape)})")
    try:
        np.broadcast_shapes(f.shape[:-2], b.shape[:-2])
    except ValueError:
        raise RuntimeError(f"{op}: the batch dims of the factors {tuple(f.shape)} and of B "
                           f"{tuple(b.shape)} do not broadcast") from None


# ----------------------------------------------------------------------------- Functions
class LuFactor(Function):
    """(LU, pivots, info) of A (see the module docstring); the gradient flows from LU (the
    pivots and info are integers) through ``_lu_grad``."""

    @staticmethod
    def forward(ctx, a, pivot, op="linalg.lu_factor_ex", check_errors=False):
        if a.ndim < 2:
            raise RuntimeError(f"{op}: A must have at least 2 dimensions, got shape "
                               f"{tuple(a.shape)}")
        check_real(op, a)
        lu, piv, info = getrf(a, pivot)
        if check_errors:
            _raise_singular(op, info, "U")
        ctx.pivot = pivot
        ctx.save_for_backward(lu, piv)
        return lu, piv, info

    @staticmethod
    def backward(ctx, g, gpiv, ginfo):
        lu, piv = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = min(m, n)
        low, up = unpack(lu)
        p = perm_matrix(piv, m, lu.dtype) if ctx.pivot else None
        return _lu_grad(g[..., :, :k], g[..., :k, :], p, low, up, _Arrays), None

    @staticmethod
    def differentiable_backward(ctx, g, gpiv, ginfo):
        lu, piv = ctx.saved_tensors
        m, n = lu.shape[-2:]
        k = min(m, n)
        LU = ctx.output_tensor(lu, 0)
        eye = ctx.constant(array_module(lu).eye(m, k), LU.dtype)
        low, up = LU[..., :, :k].tril(-1) + eye, LU[..., :k, :].triu()
        p = ctx.constant(perm_matrix(piv, m, lu.dtype), LU.dtype) if ctx.pivot else None
        return _lu_grad(g[..., :, :k], g[..., :k, :], p, low, up, _Tensors), None


class LuUnpack(Function):
    """(P, L, U) from (LU, pivots): A = P L U. P, or L and U, are empty (shape (0,)) when
    ``unpack_pivots``, or ``unpack_data``, is False. grad_LU = tril_-1(grad_L) + triu(grad_U),
    each placed where it came from."""

    @staticmethod
    def forward(ctx, lu, piv, unpack_data, unpack_pivots):
        if lu.ndim < 2 or getattr(piv, "dtype", None) != np.int32 \
                or tuple(piv.shape) != lu.shape[:-2] + (min(lu.shape[-2:]),):
            raise RuntimeError(f"lu_unpack: expected LU_data (..., m, n) and int32 LU_pivots "
                               f"(..., min(m, n)), got shapes {tuple(lu.shape)} and "
                               f"{tuple(getattr(piv, 'shape', ()))} "
                               f"(dtype {getattr(piv, 'dtype', type(piv).__name__)})")
        xp = array_module(lu)
        m = lu.shape[-2]
        empty = xp.zeros(0, lu.dtype)
        p = perm_matrix(piv, m, lu.dtype) if unpack_pivots else empty
        low, up = unpack(lu) if unpack_data else (empty, empty.copy())
        ctx.shape, ctx.unpack_data = lu.shape, unpack_data
        return p, low, up

    @staticmethod
    def _grad(gl, gu, shape, tril, triu, pad):
        m, n = shape[-2:]
        k = min(m, n)
        if m == n:
            return tril(gl, -1) + triu(gu)
        if m < n:  # L is m x m, U is m x n
            return pad(tril(gl, -1), n - k, -1) + triu(gu)
        return tril(gl, -1) + pad(triu(gu), m - k, -2)

    @staticmethod
    def backward(ctx, gp, gl, gu):
        xp = array_module(gl)
        if not ctx.unpack_data:
            return xp.zeros(ctx.shape, gl.dtype), None

        def pad(x, extra, axis):
            width = [(0, 0)] * x.ndim
            width[axis] = (0, extra)
            return xp.pad(x, width)

        return LuUnpack._grad(gl, gu, ctx.shape, _Arrays.tril, _Arrays.triu, pad), None

    @staticmethod
    def differentiable_backward(ctx, gp, gl, gu):
        if not ctx.unpack_data:
            return ctx.constant(array_module(gl._data).zeros(ctx.shape), gl.dtype), None

        def pad(x, extra, axis):
            shape = list(x.shape)
            shape[axis] = extra
            zeros = ctx.constant(array_module(x._data).zeros(shape), x.dtype)
            return Cat.apply(axis % x.ndim, x, zeros)

        return LuUnpack._grad(gl, gu, ctx.shape, _Tensors.tril, _Tensors.triu, pad), None


class LuSolve(Function):
    """X with A X = B (``adjoint``: A^T X = B; not ``left``: X A = B or X A^T = B) for A = P L U
    given by (LU, pivots); batch dims broadcast. grad_B is the solve with the adjoint flipped;
    grad_A is the solve's (-grad_B X^T, left and not adjoint), carried to LU by
    ``_lu_grad_from_a``."""

    @staticmethod
    def _solve(lu, piv, b, left, adjoint):
        if left:
            return getrs(lu, piv, b, adjoint)
        return _T(getrs(lu, piv, _T(b), not adjoint))  # X op(A) = B <=> op(A)^T X^T = B^T

    @staticmethod
    def forward(ctx, lu, piv, b, left, adjoint, op="linalg.lu_solve"):
        _check_solve(op, lu, piv, b, left)
        x = LuSolve._solve(lu, piv, b, left, adjoint)
        ctx.left, ctx.adjoint, ctx.sb = left, adjoint, b.shape
        ctx.save_for_backward(lu, piv, x)
        return x

    @staticmethod
    def backward(ctx, g):
        lu, piv, x = ctx.saved_tensors
        gb = LuSolve._solve(lu, piv, g, ctx.left, not ctx.adjoint)
        glu = None
        if ctx.needs_input_grad[0]:
            ga = _lu_solve_grad_a(x, gb, ctx.left, ctx.adjoint, _T)
            low, up = unpack(lu)
            p = perm_matrix(piv, lu.shape[-1], lu.dtype)
            glu = unbroadcast(_lu_grad_from_a(ga, p, low, up, _Arrays), lu.shape)
        return (glu, None, unbroadcast(gb, ctx.sb) if ctx.needs_input_grad[2] else None,
                None, None)

    @staticmethod
    def differentiable_backward(ctx, g):
        lu, piv, x = ctx.saved_tensors
        LU = ctx.input_tensor(0, lu)
        gb = LuSolve.apply(LU, ctx.input_tensor(1, piv), g, ctx.left, not ctx.adjoint)
        glu = None
        if ctx.needs_input_grad[0]:
            ga = _lu_solve_grad_a(ctx.output_tensor(x), gb, ctx.left, ctx.adjoint, _Tensors.T)
            n = lu.shape[-1]
            eye = ctx.constant(array_module(lu).eye(n), LU.dtype)
            p = ctx.constant(perm_matrix(piv, n, lu.dtype), LU.dtype)
            glu = _lu_grad_from_a(ga, p, LU.tril(-1) + eye, LU.triu(), _Tensors)
            glu = glu.sum_to_size(lu.shape)
        return (glu, None, gb.sum_to_size(ctx.sb) if ctx.needs_input_grad[2] else None,
                None, None)


# ----------------------------------------------------------------------------- LDL^T
_BK_ALPHA = (1 + math.sqrt(17)) / 8  # Bunch-Kaufman's threshold, minimising element growth


def _sytf2(a):
    """LAPACK's dsytf2 (lower) on one symmetric matrix, in place: returns (pivots, info)."""
    n = a.shape[-1]
    piv = np.zeros(n, np.int32)
    info = 0
    k = 0
    while k < n:
        kstep = 1
        absakk = abs(a[k, k])
        imax, colmax = k, 0.0
        if k < n - 1:
            imax = k + 1 + int(np.argmax(np.abs(a[k + 1:, k])))
            colmax = abs(a[imax, k])
        if max(absakk, colmax) == 0 or np.isnan(absakk):
            info = info or k + 1
            kp = k
        else:
            if absakk >= _BK_ALPHA * colmax:
                kp = k
            else:  # the largest off-diagonal entry in row/column imax
                rowmax = abs(a[imax, k + int(np.argmax(np.abs(a[imax, k:imax])))])
                if imax < n - 1:
                    rowmax = max(rowmax, float(np.max(np.abs(a[imax + 1:, imax]))))
                if absakk >= _BK_ALPHA * colmax * (colmax / rowmax):
                    kp = k
                elif abs(a[imax, imax]) >= _BK_ALPHA * rowmax:
                    kp = imax
                else:
                    kp, kstep = imax, 2
            kk = k + kstep - 1
            if kp != kk:  # swap rows and columns kk and kp of the trailing lower triangle
                a[kp + 1:, [kk, kp]] = a[kp + 1:, [kp, kk]]
                tmp = a[kk + 1:kp, kk].copy()
                a[kk + 1:kp, kk] = a[kp, kk + 1:kp]
                a[kp, kk + 1:kp] = tmp
                a[kk, kk], a[kp, kp] = a[kp, kp], a[kk, kk]
                if kstep == 2:
                    a[k + 1, k], a[kp, k] = a[kp, k], a[k + 1, k]
            if kstep == 1:  # A22 -= l d11 l^T, l = A21 / d11
                d11 = 1 / a[k, k]
                col = a[k + 1:, k].copy()
                a[k + 1:, k + 1:] -= d11 * np.outer(col, col)
                a[k + 1:, k] = col * d11
            elif k < n - 2:  # A22 -= [c0 c1] D^-1 [c0 c1]^T for the 2x2 block D
                d21 = a[k + 1, k]
                d11 = a[k + 1, k + 1] / d21
                d22 = a[k, k] / d21
                t = 1 / (d11 * d22 - 1)
                d21 = t / d21
                c0, c1 = a[k + 2:, k].copy(), a[k + 2:, k + 1].copy()
                wk = d21 * (d11 * c0 - c1)
                wkp1 = d21 * (d22 * c1 - c0)
                a[k + 2:, k + 2:] -= np.outer(c0, wk) + np.outer(c1, wkp1)
                a[k + 2:, k], a[k + 2:, k + 1] = wk, wkp1
        if kstep == 1:
            piv[k] = kp + 1
        else:
            piv[k] = piv[k + 1] = -(kp + 1)
        k += kstep
    return piv, info


def _sytrs(ld, piv, b):
    """LAPACK's dsytrs (lower): X with A X = B for A = L D L^T given by (ld, piv); in place."""
    n = ld.shape[-1]
    k = 0
    while k < n:  # L D Y = B
        if piv[k] > 0:
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            b[k + 1:] -= np.outer(ld[k + 1:, k], b[k])
            b[k] /= ld[k, k]
            k += 1
        else:
            kp = -piv[k] - 1
            b[[k + 1, kp]] = b[[kp, k + 1]]
            b[k + 2:] -= np.outer(ld[k + 2:, k], b[k]) + np.outer(ld[k + 2:, k + 1], b[k + 1])
            akm1k = ld[k + 1, k]
            akm1, ak = ld[k, k] / akm1k, ld[k + 1, k + 1] / akm1k
            denom = akm1 * ak - 1
            bkm1, bk = b[k] / akm1k, b[k + 1] / akm1k
            b[k], b[k + 1] = (ak * bkm1 - bk) / denom, (akm1 * bk - bkm1) / denom
            k += 2
    k = n - 1
    while k >= 0:  # L^T X = Y
        b[k] -= ld[k + 1:, k] @ b[k + 1:]
        if piv[k] > 0:
            kp = piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 1
        else:
            b[k - 1] -= ld[k + 1:, k - 1] @ b[k + 1:]
            kp = -piv[k] - 1
            b[[k, kp]] = b[[kp, k]]
            k -= 2
    return b


class LdlFactor(Function):
    """(LD, pivots, info): the Bunch-Kaufman factorization of the symmetric matrices A, read
    from their lower triangle (LAPACK's sytrf with uplo='L'); LD's strict upper triangle is
    zero. One matrix at a time. No derivative (none in PyTorch either)."""

    differentiable_backward = None  # no first derivative either

    @staticmethod
    def forward(ctx, a, hermitian, op="linalg.ldl_factor_ex", check_errors=False):
        if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
            raise RuntimeError(f"{op}: A must be a batch of square matrices (..., n, n), got "
                               f"shape {tuple(a.shape)}")
        check_real(op, a)
        xp = array_module(a)
        n = a.shape[-1]
        batch = a.shape[:-2]
        nb = math.prod(batch)
        ld = np.array(to_numpy(a).reshape((nb, n, n)), copy=True)
        piv = np.zeros((nb, n), np.int32)
        info = np.zeros(nb, np.int32)
        for i in range(nb):
            piv[i], info[i] = _sytf2(ld[i])
        ld = np.tril(ld)
        if check_errors:
            _raise_singular(op, info.reshape(batch), "D")
        return (xp.asarray(ld.reshape(batch + (n, n))), xp.asarray(piv.reshape(batch + (n,))),
                xp.asarray(info.reshape(batch)))

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("linalg.ldl_factor: the derivative of linalg.ldl_factor_ex is not "
                           "implemented")


class LdlSolve(Function):
    """X with A X = B for A = L D L^T given by (LD, pivots) (LAPACK's sytrs); batch dims
    broadcast. No derivative (none in PyTorch either)."""

    differentiable_backward = None  # no first derivative either

    @staticmethod
    def forward(ctx, ld, piv, b, hermitian):
        _check_solve("linalg.ldl_solve", ld, piv, b, True)
        xp = array_module(ld, b)
        ld, piv, b = to_numpy(ld), to_numpy(piv), to_numpy(b)
        n = ld.shape[-1]
        batch = np.broadcast_shapes(ld.shape[:-2], piv.shape[:-1], b.shape[:-2])
        nb = math.prod(batch)
        lds = np.broadcast_to(ld, batch + (n, n)).reshape((nb, n, n))
        pivs = np.broadcast_to(piv, batch + (n,)).reshape((nb, n))
        x = np.array(np.broadcast_to(b, batch + b.shape[-2:]), dtype=np.result_type(ld, b))
        flat = x.reshape((nb,) + b.shape[-2:])
        for i in range(nb):
            _sytrs(lds[i], pivs[i], flat[i])
        return xp.asarray(x)

    @staticmethod
    def backward(ctx, *grads):
        raise RuntimeError("linalg.ldl_solve: the derivative of linalg.ldl_solve is not "
                           "implemented")
