"""Tensor linear algebra: fused multiply-adds (addmm, baddbmm, ...), outer/inner/kron/cross
products, triangles and diagonals, and the matrix functions (det, inverse, cholesky, ...).

The products and triangles compose differentiable ops (matmul, where, indexing); the matrix
functions apply the Functions of ``glassnet.ops.decomp``.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from .. import return_types as RT
from ..autograd.variable import Variable
from ..ops import decomp as D
from ..ops import householder as householder_ops
from ..ops import lu as lu_ops
from ..ops.reduce import normalize_dim
from .arith import _matmul, _SetItem, _where
from .convert import _as_tensor
from .reduce import vector_norm
from .shape import _cat


def _scaled(t, s):
    return t if s == 1 else t * s


def _fma(inp, prod, beta, alpha):
    """beta * input + alpha * prod; with beta == 0 the input is ignored (NaN does not spread)."""
    p = _scaled(prod, alpha)
    return p if beta == 0 else _scaled(inp, beta) + p


class LinalgMixin:
    """Linear-algebra methods of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ products
    def addmm(self, mat1, mat2, *, beta=1, alpha=1):
        """beta * self + alpha * (mat1 @ mat2) (mat1 (n, m), mat2 (m, p))."""
        _need(mat1, 2, "addmm", "mat1")
        _need(mat2, 2, "addmm", "mat2")
        return _fma(self, _matmul(mat1, mat2), beta, alpha)

    def addmv(self, mat, vec, *, beta=1, alpha=1):
        """beta * self + alpha * (mat @ vec)."""
        _need(mat, 2, "addmv", "mat")
        _need(vec, 1, "addmv", "vec")
        return _fma(self, _matmul(mat, vec), beta, alpha)

    def addbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * sum_b batch1[b] @ batch2[b]."""
        _need(batch1, 3, "addbmm", "batch1")
        _need(batch2, 3, "addbmm", "batch2")
        return _fma(self, _matmul(batch1, batch2).sum(0), beta, alpha)

    def baddbmm(self, batch1, batch2, *, beta=1, alpha=1):
        """beta * self + alpha * (batch1 @ batch2), batch by batch."""
        _need(batch1, 3, "baddbmm", "batch1")
        _need(batch2, 3, "baddbmm", "batch2")
        return _fma(self, _matmul(batch1, batch2), beta, alpha)

    def addr(self, vec1, vec2, *, beta=1, alpha=1):
        """beta * self + alpha * outer(vec1, vec2)."""
        return _fma(self, vec1.outer(vec2), beta, alpha)

    def mv(self, vec):
        _need(self, 2, "mv", "input")
        _need(vec, 1, "mv", "vec")
        return _matmul(self, vec, "mv")

    def outer(self, vec2):
        """out[i, j] = self[i] * vec2[j]."""
        _need(self, 1, "outer", "input")
        _need(vec2, 1, "outer", "vec2")
        return self.reshape(-1, 1) * vec2.reshape(1, -1)

    ger = outer

    def inner(self, other):
        """Sum over the last dims: out[..i, ..j] = sum_k self[..i, k] other[..j, k]."""
        other = _as_tensor(other, self)
        if self.ndim == 0 or other.ndim == 0:
            return self * other
        k = self.shape[-1]
        if other.shape[-1] != k:
            raise RuntimeError(f"inner: last dimensions must match, got {tuple(self.shape)} and "
                               f"{tuple(other.shape)}")
        out = _matmul(self.reshape(-1, k), other.reshape(-1, k).t())
        return out.reshape(self.shape[:-1] + other.shape[:-1])

    def vdot(self, other):
        return self.dot(other)

    def kron(self, other):
        """The Kronecker product: block (i, j) of the result is self[i, j] * other."""
        n = max(self.ndim, other.ndim)
        a = self.reshape((1,) * (n - self.ndim) + tuple(self.shape))
        b = other.reshape((1,) * (n - other.ndim) + tuple(other.shape))
        ash = [s for d in a.shape for s in (d, 1)]
        bsh = [s for d in b.shape for s in (1, d)]
        out = a.reshape(ash) * b.reshape(bsh)
        return out.reshape(tuple(x * y for x, y in zip(a.shape, b.shape)))

    def cross(self, other, dim=None):
        """The cross product of 3-vectors along ``dim`` (default: the first dim of size 3)."""
        other = _as_tensor(other, self)
        if dim is None:
            dims = [i for i, s in enumerate(np.broadcast_shapes(self.shape, other.shape)) if s == 3]
            if not dims:
                raise RuntimeError(f"cross: no dimension of size 3 in input of shape "
                                   f"{tuple(self.shape)}")
            dim = dims[0]
        d = normalize_dim(dim, max(self.ndim, other.ndim), "cross")
        if self.shape[d] != 3 or other.shape[d] != 3:
            raise RuntimeError(f"cross: dimension {dim} must have size 3, got "
                               f"{self.shape[d]} and {other.shape[d]}")
        a = [self.narrow(d, i, 1) for i in range(3)]
        b = [other.narrow(d, i, 1) for i in range(3)]
        return _cat([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                    a[0] * b[1] - a[1] * b[0]], d)

    # ------------------------------------------------------------------ triangles, diagonals
    def tril(self, diagonal=0):
        """The lower triangle (j <= i + diagonal) of the last two dims; the rest set to 0."""
        return _where(_tri_mask(self, diagonal, lower=True), self, self.new_zeros(()))

    def triu(self, diagonal=0):
        """The upper triangle (j >= i + diagonal) of the last two dims; the rest set to 0."""
        return _where(_tri_mask(self, diagonal, lower=False), self, self.new_zeros(()))

    def diagonal(self, offset=0, dim1=0, dim2=1):
        """The elements x[.., i, .., i + offset, ..] of dims (dim1, dim2), as a new last dim."""
        d1, d2 = normalize_dim(dim1, self.ndim, "diagonal"), normalize_dim(dim2, self.ndim, "diagonal")
        if d1 == d2:
            raise RuntimeError(f"diagonal: dim1 and dim2 cannot be equal, got {dim1} and {dim2}")
        x = self.movedim(d1, -1).movedim(d2 - (d2 > d1), -1)
        n, m = x.shape[-2], x.shape[-1]
        rows = np.arange(max(0, -offset), n)
        cols = rows + offset
        keep = cols < m
        rows, cols = rows[keep], cols[keep]
        return x[..., rows, cols]

    def diag(self, diagonal=0):
        """1-D input: the square matrix with it on the given diagonal. 2-D: that diagonal."""
        if self.ndim == 2:
            return self.diagonal(diagonal)
        if self.ndim != 1:
            raise RuntimeError(f"diag: expected a 1-D or 2-D tensor, got {self.ndim} dims")
        return self.diag_embed(diagonal)

    def diag_embed(self, offset=0, dim1=-2, dim2=-1):
        """Matrices (in dims dim1, dim2) whose ``offset`` diagonal holds the last dim of self."""
        n = self.shape[-1] + abs(offset)
        xp = backend.array_module(self._data)
        out = Variable._make(xp.zeros(tuple(self.shape[:-1]) + (n, n), self.dtype), False)
        i = np.arange(self.shape[-1])
        r, c = (i, i + offset) if offset >= 0 else (i - offset, i)
        out = _set(out, (Ellipsis, r, c), self)
        nd = out.ndim
        d1, d2 = dim1 % nd, dim2 % nd
        if (d1, d2) != (nd - 2, nd - 1):
            perm = [d for d in range(nd - 2)]
            for pos, src in sorted(((d1, nd - 2), (d2, nd - 1))):
                perm.insert(pos, src)
            out = out.permute(*perm)
        return out

    def diagflat(self, offset=0):
        return self.reshape(-1).diag_embed(offset)

    def trace(self):
        _need(self, 2, "trace", "input")
        return self.diagonal().sum()

    def fill_diagonal_(self, fill_value, wrap=False):
        """Write ``fill_value`` on the main diagonal (all dims equal, or a tall 2-D matrix)."""
        self._data_inplace("fill_diagonal_")
        xp = backend.array_module(self._data)
        if self.ndim == 2:
            n, m = self.shape
            end = self._data.size if wrap else min(n, m) * m
            flat = np.arange(0, end, m + 1)  # row-major steps of m + 1 walk down the diagonal
            self._data[flat // m, flat % m] = fill_value
        else:
            if len(set(self.shape)) != 1:
                raise RuntimeError("fill_diagonal_: all dimensions of input must be of equal "
                                   f"length, got {tuple(self.shape)}")
            i = xp.arange(self.shape[0])
            self._data[(i,) * self.ndim] = fill_value
        return self

    # ------------------------------------------------------------------ matrix functions
    def det(self):
        _square(self, "det")
        return D.Det.apply(self._f())

    def logdet(self):
        sign, logabs = self.slogdet()
        return _where(sign < 0, float("nan"), logabs.masked_fill(sign == 0, float("-inf")))

    def slogdet(self):
        _square(self, "slogdet")
        return RT.slogdet(*D.SlogDet.apply(self._f()))

    def inverse(self):
        _square(self, "inverse")
        return D.Inv.apply(self._f())

    def pinverse(self, rcond=1e-15):
        return D.Pinv.apply(self._f(), rcond, False)

    def cholesky(self, upper=False):
        _square(self, "cholesky")
        return D.Cholesky.apply(self._f(), upper)

    def matrix_power(self, n):
        """self @ self @ ... (n times); n = 0 the identity, n < 0 powers of the inverse."""
        _square(self, "matrix_power")
        if n == 0:
            xp = backend.array_module(self._data)
            eye = xp.broadcast_to(xp.eye(self.shape[-1], dtype=self.dtype), self.shape)
            return Variable._make(eye.copy(), False)
        base = self if n > 0 else self.inverse()
        out = None
        p, k = base, abs(n)
        while k:  # exponentiation by squaring
            if k & 1:
                out = p if out is None else _matmul(out, p)
            k >>= 1
            if k:
                p = _matmul(p, p)
        return out

    def cholesky_solve(self, L, upper=False):
        """X with (L L^T) X = self, for a Cholesky factor L (``upper``: U^T U)."""
        A = L.mT @ L if upper else L @ L.mT
        return _solve(A, self)

    def cholesky_inverse(self, upper=False):
        """(L L^T)^-1 for the Cholesky factor self (``upper``: (U^T U)^-1)."""
        A = self.mT @ self if upper else self @ self.mT
        return A.inverse()

    def triangular_solve(self, A, upper=True, transpose=False, unitriangular=False):
        """(X, A) with op(T) X = self, T the triangle of A (``upper`` or lower, with a unit
        diagonal when ``unitriangular``), op(T) = T^T with ``transpose``."""
        T = A.triu() if upper else A.tril()
        if unitriangular:
            xp = backend.array_module(A._data)
            eye = Variable._make(xp.eye(A.shape[-1], dtype=bool), False)
            T = _where(eye, 1.0, T).to(A.dtype)
        if transpose:
            T = T.mT
        return RT.triangular_solve(_solve(T, self), A.clone())

    def renorm(self, p, dim, maxnorm):
        """Rescale each slice along ``dim`` whose p-norm exceeds ``maxnorm`` to that norm."""
        d = normalize_dim(dim, self.ndim, "renorm")
        others = tuple(i for i in range(self.ndim) if i != d)
        n = vector_norm(self, p, others, True)
        factor = _where(n > maxnorm, maxnorm / (n + 1e-7), 1.0).to(self.dtype)
        return self * factor

    def qr(self, some=True):
        return _qr(self, "reduced" if some else "complete")

    def svd(self, some=True, compute_uv=True):
        """torch.svd: (U, S, V) with V (not V^T); see ``glassnet.linalg.svd``."""
        u, s, vh = _svd(self, full_matrices=not some)
        return RT.svd(u, s, vh.mT)

    # ------------------------------------------------------------------ LU and Householder
    def lu(self, pivot=True, get_infos=False):
        """torch.lu (deprecated by PyTorch for ``linalg.lu_factor``): (LU, pivots), and the
        infos too with ``get_infos``; without it a singular matrix raises."""
        out = lu_ops.LuFactor.apply(self._f(), bool(pivot), op="lu", check_errors=not get_infos)
        return out if get_infos else out[:2]

    def lu_solve(self, LU_data, LU_pivots):
        """X with A X = self, A = P L U given by ``lu``'s (LU_data, LU_pivots)."""
        return lu_ops.LuSolve.apply(LU_data._f(), LU_pivots, self._f(), True, False,
                                    op="lu_solve")

    def geqrf(self):
        """(a, tau): the QR factorization in LAPACK's compact form (R on and above the
        diagonal of a, Householder reflectors below it; see ``glassnet.ops.householder``)."""
        return RT.geqrf(*householder_ops.Geqrf.apply(self._f()))

    def ormqr(self, input2, input3, left=True, transpose=False):
        """op(Q) input3 (``left``) or input3 op(Q), Q the product of the Householder
        reflectors (self, tau=input2) from ``geqrf``; op(Q) = Q^T with ``transpose``."""
        return householder_ops.Ormqr.apply(self._f(), input2._f(), input3._f(), bool(left),
                                           bool(transpose))

    def orgqr(self, input2):
        """The Q of ``geqrf``'s reflectors: ``glassnet.linalg.householder_product``."""
        return householder_ops.HouseholderProduct.apply(self._f(), input2._f(), op="orgqr")


def _need(t, nd, op, name):
    if not isinstance(t, Variable) or t.ndim != nd:
        got = t.ndim if isinstance(t, Variable) else type(t).__name__
        raise RuntimeError(f"{op}: {name} must be a {nd}-D tensor, got {got}")


def _square(t, op):
    if t.ndim < 2 or t.shape[-1] != t.shape[-2]:
        raise RuntimeError(f"{op}: expected a batch of square matrices (..., n, n), got shape "
                           f"{tuple(t.shape)}")


def _tri_mask(t, k, lower):
    if t.ndim < 2:
        raise RuntimeError(f"{'tril' if lower else 'triu'}: input must have at least 2 "
                           f"dimensions, got shape {tuple(t.shape)}")
    n, m = t.shape[-2], t.shape[-1]
    xp = backend.array_module(t._data)
    mask = xp.tri(n, m, k, dtype=bool) if lower else ~xp.tri(n, m, k - 1, dtype=bool)
    return Variable._make(mask, False)


def _set(base, idx, value):
    """base with base[idx] = value, differentiable in value."""
    return _SetItem.apply(base, idx, value)


# ----------------------------------------------------------------------------- glassnet.linalg's
# The bodies of linalg.solve, qr and svd, with their argument checks: Tensor methods use them too.
def _linalg_square(A, op):
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise RuntimeError(f"linalg.{op}: A must be a batch of square matrices (..., n, n), got "
                           f"shape {tuple(A.shape)}")


def _linalg_matrix(A, op):
    if A.ndim < 2:
        raise RuntimeError(f"linalg.{op}: A must have at least 2 dimensions, got shape "
                           f"{tuple(A.shape)}")


def _solve(A, B, left=True):
    """X with A X = B (``left=False``: X A = B). B is a batch of vectors when it has one dim
    fewer than A and matches A's leading shape, otherwise a batch of matrices."""
    _linalg_square(A, "solve")
    A, B = A._f(), _as_tensor(B, A)._f()
    if not left:
        return _solve(A.mT, B.mT).mT
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    if vec:
        B = B.unsqueeze(-1)
    if B.shape[-2] != A.shape[-1]:
        raise RuntimeError(f"linalg.solve: A {tuple(A.shape)} and B {tuple(B.shape)} have "
                           "incompatible shapes")
    try:
        X = D.Solve.apply(A, B)
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.solve: the matrix A is singular") from None
    return X.squeeze(-1) if vec else X


def _svd(A, full_matrices=True):
    """A = U diag(S) Vh. Gradients flow through S only (see ``glassnet.linalg``)."""
    _linalg_matrix(A, "svd")
    return RT.svd(*D.Svd.apply(A._f(), full_matrices))


def _qr(A, mode="reduced"):
    """A = Q R with orthonormal Q and upper-triangular R (``mode``: 'reduced', 'complete' or
    'r'). Forward only."""
    _linalg_matrix(A, "qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"linalg.qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    return RT.qr(*D.Qr.apply(A._f(), mode))
