"""``glassnet.linalg``: PyTorch's ``torch.linalg`` for real tensors.

Differentiable: ``norm``, ``vector_norm``, ``matrix_norm``, ``det``, ``slogdet``, ``inv``,
``solve``, ``cholesky``, ``pinv``, ``eigh``/``eigvalsh`` (distinct eigenvalues), ``svdvals``,
``lstsq`` (full-rank A, through the pseudo-inverse), ``matrix_power``, ``matrix_exp``, ``cross``,
``multi_dot``, ``vecdot``, the LU family (``lu_factor``, ``lu``, ``lu_solve``, ``solve_ex``),
``householder_product``, ``tensorinv``, ``tensorsolve``, ``vander``. Forward only (backward
raises): the factors of ``qr``, the singular vectors of ``svd`` (the singular values of ``svd``
are differentiable on their own) and the LDL^T factorization (``ldl_factor``, ``ldl_solve``).

Every function takes batches of matrices ``(..., m, n)``.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from . import backend
from . import return_types as RT
from .ops import decomp as D
from .ops import householder as H
from .ops import lu as LU_
from .ops import matrix_exp as ME
from .tensor import Tensor
from .tensor.arith import _matmul
from .tensor.linalg import _linalg_matrix as _matrix
from .tensor.linalg import _linalg_square as _square
from .tensor.linalg import _qr, _solve, _svd
from .tensor.reduce import matrix_norm as _matrix_norm
from .tensor.reduce import vector_norm as _vector_norm
from .tensor.shape import _cat


# ----------------------------------------------------------------------------- norms
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """||x||_ord = (sum |x_i|^ord)^(1/ord) over ``dim`` (all elements when None); ord = inf is
    max |x_i|, -inf min |x_i|, 0 the number of nonzeros. The gradient at x = 0 is 0."""
    if dtype is not None:
        x = x.to(dtype)
    return _vector_norm(x, ord, dim, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norms over the two dims ``dim``: 'fro' (sqrt of the sum of squares), 'nuc' (sum
    of singular values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column
    sum of |A|), inf / -inf (max / min row sum of |A|)."""
    return _matrix_norm(A, ord, dim, keepdim, dtype=dtype)


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """A vector norm (1-D input, or an int ``dim``) or a matrix norm (2-D input, or a pair of
    dims); with ord=None and dim=None, the 2-norm of all elements."""
    if dtype is not None:
        A = A.to(dtype)
    if isinstance(dim, builtins.int):
        dim = (dim,)
    if ord is None:
        if dim is not None and len(dim) == 2:
            return matrix_norm(A, "fro", dim, keepdim)
        return _vector_norm(A, 2, dim, keepdim)
    if dim is None:
        if A.ndim == 1:
            return _vector_norm(A, ord, None, keepdim)
        if A.ndim == 2:
            return matrix_norm(A, ord, (-2, -1), keepdim)
        raise RuntimeError(f"linalg.norm: with ord={ord!r}, input must be 1-D or 2-D or dim "
                           f"must be given, got shape {tuple(A.shape)}")
    if len(dim) == 1:
        return _vector_norm(A, ord, dim, keepdim)
    return matrix_norm(A, ord, dim, keepdim)


def cond(A, p=None):
    """The condition number ||A|| ||A^-1|| (p=None: the ratio of extreme singular values)."""
    if p is None or p in (2, -2):
        s = svdvals(A)
        return s.amax(-1) / s.amin(-1) if p != -2 else s.amin(-1) / s.amax(-1)
    return matrix_norm(A, p) * matrix_norm(inv(A), p)


# ----------------------------------------------------------------------------- inverses, solves
def det(A):
    _square(A, "det")
    return D.Det.apply(A._f())


def slogdet(A):
    """(sign, log|det A|): the log-determinant without overflow."""
    _square(A, "slogdet")
    return RT.slogdet(*D.SlogDet.apply(A._f()))


def inv(A):
    _square(A, "inv")
    try:
        return D.Inv.apply(A._f())
    except np.linalg.LinAlgError:
        raise RuntimeError("linalg.inv: the matrix is singular (not invertible)") from None


def inv_ex(A, *, check_errors=False):
    out = inv(A)
    return out, Tensor._make(np.zeros(A.shape[:-2], np.int32), False)


def solve(A, B, *, left=True):
    """X with A X = B (``left=False``: X A = B). B is a batch of vectors when it has one dim
    fewer than A and matches A's leading shape, otherwise a batch of matrices."""
    return _solve(A, B, left)


def solve_triangular(A, B, *, upper, left=True, unitriangular=False):
    """X with T X = B (``left=False``: X T = B), T the upper or lower triangle of A (with a
    unit diagonal when ``unitriangular``)."""
    _square(A, "solve_triangular")
    T = A.triu() if upper else A.tril()
    if unitriangular:
        xp = backend.array_module(A._data)
        eye = Tensor._make(xp.eye(A.shape[-1], dtype=bool), False)
        T = T.masked_fill(eye, 1.0)
    return solve(T, B, left=left) if B.ndim > 1 else solve(T, B.unsqueeze(-1)).squeeze(-1)


def pinv(A, *, atol=None, rtol=None, hermitian=False):
    """The Moore-Penrose pseudo-inverse (singular values below rtol * max are dropped)."""
    _matrix(A, "pinv")
    return D.Pinv.apply(A._f(), rtol, hermitian, atol=atol)


def lstsq(A, B, rcond=None, *, driver=None):
    """Least squares: X minimising ||A X - B||, the minimum-norm one when A is rank deficient
    (through the pseudo-inverse, singular values below ``rcond * s_max`` dropped; rcond
    defaults to eps * max(m, n)). Returns (solution, residuals, rank, singular_values) filled as
    PyTorch's CPU drivers fill them: ``rank`` for gelsy (the default), gelsd and gelss;
    ``singular_values`` for gelsd and gelss; for tall full-rank A, ``residuals`` (squared column
    norms of A X - B) for gels, gelsd and gelss."""
    if driver not in (None, "gels", "gelsy", "gelsd", "gelss"):
        raise RuntimeError(f"linalg.lstsq: parameter `driver` should be one of (gels, gelsy, "
                           f"gelsd, gelss), got {driver!r}")
    vec = B.ndim == A.ndim - 1
    Bm = B.unsqueeze(-1) if vec else B
    X = _matmul(pinv(A, rtol=rcond), Bm._f())
    empty = Tensor._make(np.zeros(0, A.dtype), False)
    residuals = sv = empty
    rank = matrix_rank(A.detach(), rtol=rcond) if driver != "gels" else \
        Tensor._make(np.zeros(0, np.int64), False)
    if driver in ("gelsd", "gelss"):
        sv = svdvals(A.detach())
    if driver in ("gels", "gelsd", "gelss"):
        m, n = A.shape[-2:]
        full = driver == "gels" or bool((rank == n).all())
        if m > n and full:
            residuals = (_matmul(A, X) - Bm).pow(2).sum(-2)
            if vec:
                residuals = residuals.squeeze(-1)
    if vec:
        X = X.squeeze(-1)
    return RT.lstsq(X, residuals, rank, sv)


def matrix_rank(A, *, atol=None, rtol=None, hermitian=False, tol=None):
    """The number of singular values above max(atol, rtol * largest)."""
    _matrix(A, "matrix_rank")
    s = backend.to_numpy(svdvals(A)._data)
    smax = s.max(-1, keepdims=True) if s.shape[-1] else np.zeros(s.shape[:-1] + (1,))
    if tol is not None:
        atol = tol

    def per_matrix(v):  # a number, or a tensor with one value per matrix of the batch
        v = backend.to_numpy(v._data) if isinstance(v, Tensor) else v
        return np.asarray(v, dtype=np.float64)[..., None]

    atol = per_matrix(0.0 if atol is None else atol)
    default = max(A.shape[-2:]) * np.finfo(s.dtype).eps
    # rtol defaults to eps * max(m, n), and to 0 where a positive atol is given.
    rtol = np.where(atol > 0, 0.0, default) if rtol is None else per_matrix(rtol)
    thresh = np.maximum(atol, rtol * smax)
    return Tensor._make((s > thresh).sum(-1).astype(np.int64), False)


def matrix_power(A, n):
    _square(A, "matrix_power")
    return A.matrix_power(n)


def matrix_exp(A):
    """exp(A) = sum_k A^k / k! of a batch of square matrices, by PyTorch's algorithm: an
    optimised Taylor polynomial of degree 1 to 18 chosen by the 1-norm of A, with scaling and
    squaring above degree 18's bound (see ``glassnet/ops/matrix_exp.py``). Differentiable, also
    twice: grad_A = exp([[A^H, G], [0, A^H]])[:n, n:]."""
    _square(A, "matrix_exp")
    return ME.MatrixExp.apply(A._f())


# ----------------------------------------------------------------------------- decompositions
def cholesky(A, *, upper=False):
    _square(A, "cholesky")
    return D.Cholesky.apply(A._f(), upper)


def cholesky_ex(A, *, upper=False, check_errors=False):
    return cholesky(A, upper=upper), Tensor._make(np.zeros(A.shape[:-2], np.int32), False)


def eigh(A, UPLO="L"):
    """Eigenvalues (ascending) and eigenvectors (columns) of symmetric matrices."""
    _square(A, "eigh")
    return RT.eigh(*D.Eigh.apply(A._f(), UPLO))


def eigvalsh(A, UPLO="L"):
    return eigh(A, UPLO)[0]


def eig(A):
    """Eigenvalues and eigenvectors (unit columns) of general square matrices, complex even for
    a real A: (eigenvalues (..., n), eigenvectors (..., n, n)) with A V = V diag(eigenvalues).
    Differentiable for distinct eigenvalues, with a loss that does not depend on each
    eigenvector's arbitrary phase (see ops/decomp.Eig)."""
    _square(A, "eig")
    return RT.eig(*D.Eig.apply(A if A.dtype.kind == "c" else A._f()))


def eigvals(A):
    """The eigenvalues of general square matrices (complex, in LAPACK's order)."""
    return eig(A)[0]


def svdvals(A):
    """Singular values in descending order (differentiable)."""
    _matrix(A, "svdvals")
    return D.SvdVals.apply(A._f())


def svd(A, full_matrices=True, *, driver=None):
    """A = U diag(S) Vh. Gradients flow through S only (see the module docstring)."""
    return _svd(A, full_matrices)


def qr(A, mode="reduced"):
    """A = Q R with orthonormal Q and upper-triangular R (``mode``: 'reduced', 'complete' or
    'r'). Forward only."""
    return _qr(A, mode)


# ----------------------------------------------------------------------------- LU, LDL^T, QR
def lu_factor_ex(A, *, pivot=True, check_errors=False):
    """(LU, pivots, info): P^T A = L U by Gaussian elimination with partial pivoting, packed
    as LAPACK's getrf packs it: L (unit diagonal implied) below the diagonal of LU, U on and
    above it; ``pivots`` (..., min(m, n)) 1-based int32 row swaps; ``info`` the 1-based index
    of the first zero pivot (0 if none). Differentiable through LU (see ``ops/lu.py``)."""
    return RT.linalg_lu_factor_ex(*LU_.LuFactor.apply(A._f(), bool(pivot), op="linalg.lu_factor_ex",
                                                      check_errors=check_errors))


def lu_factor(A, *, pivot=True):
    """(LU, pivots) of ``lu_factor_ex``; a zero pivot (a singular A) raises."""
    LU, piv, _ = LU_.LuFactor.apply(A._f(), bool(pivot), op="linalg.lu_factor",
                                    check_errors=True)
    return RT.linalg_lu_factor(LU, piv)


def lu(A, *, pivot=True):
    """(P, L, U) with A = P L U: P (..., m, m) a permutation, L (..., m, k) unit lower
    triangular, U (..., k, n) upper triangular, k = min(m, n). Differentiable in A."""
    LU, piv, _ = LU_.LuFactor.apply(A._f(), bool(pivot), op="linalg.lu")
    return RT.linalg_lu(*LU_.LuUnpack.apply(LU, piv, True, bool(pivot)))


def lu_solve(LU, pivots, B, *, left=True, adjoint=False):
    """X with A X = B for A = P L U given by ``lu_factor``'s (LU, pivots); ``adjoint`` solves
    with A^T, ``left=False`` solves X A = B. Batch dims broadcast. Differentiable in LU and B."""
    return LU_.LuSolve.apply(LU._f(), pivots, B._f(), bool(left), bool(adjoint))


def solve_ex(A, B, *, left=True, check_errors=False):
    """(result, info): ``solve`` through ``lu_factor_ex`` and ``lu_solve``, as PyTorch computes
    it; info > 0 marks a singular A (whose result then holds infs and NaNs), which raises only
    with ``check_errors``."""
    _square(A, "solve_ex")
    LU, piv, info = LU_.LuFactor.apply(A._f(), True, op="linalg.solve_ex",
                                       check_errors=check_errors)
    vec = B.ndim == 1 or (B.ndim == A.ndim - 1 and tuple(B.shape) == tuple(A.shape[:-1]))
    X = LU_.LuSolve.apply(LU, piv, B._f().unsqueeze(-1) if vec else B._f(), bool(left), False,
                          op="linalg.solve_ex")
    return RT.linalg_solve_ex(X.squeeze(-1) if vec else X, info)


def ldl_factor_ex(A, *, hermitian=False, check_errors=False):
    """(LD, pivots, info): the Bunch-Kaufman factorization A = L D L^T of symmetric A, read
    from its lower triangle, packed as LAPACK's sytrf packs it (D on the diagonal, and on the
    subdiagonal of each 2x2 block, marked by a pair of negative pivots). Forward only."""
    return RT.linalg_ldl_factor_ex(*LU_.LdlFactor.apply(
        A._f(), bool(hermitian), op="linalg.ldl_factor_ex", check_errors=check_errors))


def ldl_factor(A, *, hermitian=False):
    """(LD, pivots) of ``ldl_factor_ex``; a singular A raises."""
    LD, piv, _ = LU_.LdlFactor.apply(A._f(), bool(hermitian), op="linalg.ldl_factor",
                                     check_errors=True)
    return RT.linalg_ldl_factor(LD, piv)


def ldl_solve(LD, pivots, B, *, hermitian=False):
    """X with A X = B for A given by ``ldl_factor``'s (LD, pivots); batch dims broadcast.
    Forward only."""
    return LU_.LdlSolve.apply(LD._f(), pivots, B._f(), bool(hermitian))


def householder_product(A, tau):
    """The first n columns of Q = H_0 H_1 ... H_{k-1}, H_i = I - tau_i v_i v_i^T with v_i
    stored below the diagonal of column i of A (a unit on the diagonal implied), as ``geqrf``
    stores them; A (..., m, n), m >= n >= k. Differentiable in A and tau."""
    return H.HouseholderProduct.apply(A._f(), tau._f())


# ----------------------------------------------------------------------------- tensor solves
def tensorinv(A, ind=2):
    """The inverse of A for ``tensordot(., ., ind)``: A read as a square matrix (the product of
    its first ``ind`` dims by the product of the rest), inverted, shaped
    A.shape[ind:] + A.shape[:ind]."""
    if ind <= 0:
        raise RuntimeError(f"linalg.tensorinv: expected a strictly positive integer for "
                           f"'ind', got {ind}")
    rows, cols = math.prod(A.shape[:ind]), math.prod(A.shape[ind:])
    if rows != cols:
        raise RuntimeError(f"linalg.tensorinv: the product of A's first {ind} dims ({rows}) "
                           f"must equal the product of the rest ({cols}); shape "
                           f"{tuple(A.shape)}")
    return inv(A.reshape(rows, cols)).reshape(tuple(A.shape[ind:]) + tuple(A.shape[:ind]))


def tensorsolve(A, B, dims=None):
    """X with ``tensordot(A, X, X.ndim) = B``: A's first B.ndim dims index the equations (as
    many as B has elements), the rest give X's shape (``dims``: dims of A moved to the end
    first); solved as one square system."""
    if dims is not None:
        moved = [d % A.ndim for d in dims]
        A = A.permute(*([d for d in range(A.ndim) if d not in moved] + moved))
    xshape = tuple(A.shape[B.ndim:])
    rows, cols = B.numel(), math.prod(xshape)
    if rows != cols:
        raise RuntimeError(f"linalg.tensorsolve: expected prod(A.shape[B.ndim:]) == B.numel(), "
                           f"got {cols} != {rows} (A {tuple(A.shape)}, B {tuple(B.shape)})")
    return solve(A.reshape(rows, cols), B.reshape(rows)).reshape(xshape)


def vander(x, N=None):
    """The Vandermonde matrix (..., n, N) with columns x^0, x^1, ..., x^(N-1) (increasing
    powers, unlike ``numpy.vander``); N defaults to n. A cumulative product, differentiable."""
    if x.ndim == 0:
        x = x.reshape(1)
    N = x.shape[-1] if N is None else N
    if N <= 1:
        raise RuntimeError(f"linalg.vander: N must be greater than 1, got {N}")
    powers = x.unsqueeze(-1).expand(*x.shape, N - 1).cumprod(-1)
    xp = backend.array_module(x._data)
    ones = Tensor._make(xp.ones(tuple(x.shape) + (1,), x.dtype), False)
    return _cat([ones, powers], -1)


# ----------------------------------------------------------------------------- products
def cross(input, other, *, dim=-1):
    return input.cross(other, dim)


def vecdot(x, y, *, dim=-1):
    return (x * y).sum(dim)


def multi_dot(tensors):
    """A chain of matrix products; a 1-D first (last) tensor is a row (column) vector."""
    ts = list(tensors)
    if len(ts) < 2:
        raise RuntimeError(f"linalg.multi_dot: expected at least 2 tensors, got {len(ts)}")
    first_vec, last_vec = ts[0].ndim == 1, ts[-1].ndim == 1
    if first_vec:
        ts[0] = ts[0].unsqueeze(0)
    if last_vec:
        ts[-1] = ts[-1].unsqueeze(-1)
    out = ts[0]
    for t in ts[1:]:
        out = _matmul(out, t)
    if first_vec:
        out = out.squeeze(0)
    if last_vec:
        out = out.squeeze(-1)
    return out


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    return A.diagonal(offset, dim1, dim2)


def tensordot(a, b, dims=2):
    """Contract the last ``dims`` dims of a with the first ``dims`` of b (or the listed dims
    ``dims=([a dims], [b dims])``), as one matrix product."""
    if isinstance(dims, builtins.int):
        da, db = list(range(a.ndim - dims, a.ndim)), list(range(dims))
    elif isinstance(dims, Tensor):
        return tensordot(a, b, dims.tolist() if dims.ndim else builtins.int(dims.item()))
    else:
        da, db = dims
        da = [da] if isinstance(da, builtins.int) else list(da)
        db = [db] if isinstance(db, builtins.int) else list(db)
    da = [d % a.ndim for d in da]
    db = [d % b.ndim for d in db]
    for x, y in zip(da, db):
        if a.shape[x] != b.shape[y] and 1 in (a.shape[x], b.shape[y]):
            # a size-1 dim broadcasts against its partner, as in PyTorch
            if a.shape[x] == 1:
                a = a.expand(a.shape[:x] + (b.shape[y],) + a.shape[x + 1:])
            else:
                b = b.expand(b.shape[:y] + (a.shape[x],) + b.shape[y + 1:])
        if a.shape[x] != b.shape[y]:
            raise RuntimeError(f"tensordot: contracted dimensions need to match, but first has "
                               f"size {a.shape[x]} in dim {x} and second has size {b.shape[y]} "
                               f"in dim {y}")
    fa = [d for d in range(a.ndim) if d not in da]
    fb = [d for d in range(b.ndim) if d not in db]
    k = math.prod(a.shape[d] for d in da)
    am = a.permute(*(fa + da)).reshape(-1, k)
    bm = b.permute(*(db + fb)).reshape(k, -1)
    return _matmul(am, bm).reshape(tuple(a.shape[d] for d in fa) + tuple(b.shape[d] for d in fb))


__all__ = ["cholesky", "cholesky_ex", "cond", "cross", "det", "diagonal", "eig", "eigh", "eigvals",
           "eigvalsh", "householder_product", "inv", "inv_ex", "ldl_factor", "ldl_factor_ex",
           "ldl_solve", "lstsq", "lu", "lu_factor", "lu_factor_ex", "lu_solve", "matrix_exp",
           "matrix_norm", "matrix_power", "matrix_rank", "multi_dot", "norm", "pinv", "qr",
           "slogdet", "solve", "solve_ex", "solve_triangular", "svd", "svdvals", "tensordot",
           "tensorinv", "tensorsolve", "vander", "vecdot", "vector_norm"]
