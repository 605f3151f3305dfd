"""Randomised low-rank SVD and PCA: ``torch.svd_lowrank`` and ``torch.pca_lowrank``.

For a matrix A (m x n) of (approximate) rank at most q, a random Gaussian R (n x q) gives
X = A R, whose columns span (almost) the range of A; Q = qr(X).Q is an orthonormal basis of
it. ``niter`` power iterations (Q <- qr(A^H Q).Q, then Q <- qr(A Q).Q) sharpen the basis
towards the top singular vectors when the spectrum decays slowly. Then B = Q^H A is small
(q x n), its exact SVD B = U_B S V^H gives A ~ (Q U_B) S V^H (Halko, Martinsson and Tropp,
"Finding structure with randomness", SIAM Review 2011, algorithms 4.4 and 5.1; PyTorch's
steps). Everything is made of matmul, QR and SVD, so it is differentiable.

``pca_lowrank`` centres the columns first (A - mean over rows) and returns the same triple:
V's columns are the principal directions, S^2 / (m - 1) the explained variances.
"""

from __future__ import annotations

from . import linalg
from .functions import randn
from .tensor import Tensor

__all__ = ["pca_lowrank", "svd_lowrank"]


def _floating(A):
    return A if A.dtype.kind in "fc" else A.float()


def get_approximate_basis(A, q, niter=2, M=None):
    """An orthonormal (m x q) basis Q of the approximate range of A - M (M: optional, like A),
    from a random projection and ``niter`` power iterations."""
    niter = 2 if niter is None else niter
    R = randn(A.shape[-1], q, dtype=A.dtype if A.dtype.kind == "c" else _floating(A).dtype)
    X = A @ R
    if M is not None:
        X = X - M @ R
    Q = linalg.qr(X).Q
    for _ in range(niter):
        X = A.mH @ Q
        if M is not None:
            X = X - M.mH @ Q
        Q = linalg.qr(X).Q
        X = A @ Q
        if M is not None:
            X = X - M @ Q
        Q = linalg.qr(X).Q
    return Q


def _svd_lowrank(A, q=6, niter=2, M=None):
    q = 6 if q is None else q
    m, n = A.shape[-2:]
    if M is not None:
        M = M.broadcast_to(A.shape)
    if m < n:  # work with the taller of A and A^H, so that B = Q^H A stays small
        A = A.mH
        if M is not None:
            M = M.mH
    Q = get_approximate_basis(A, q, niter=niter, M=M)
    B = Q.mH @ A
    if M is not None:
        B = B - Q.mH @ M
    U, S, Vh = linalg.svd(B, full_matrices=False)
    V = Vh.mH
    U = Q @ U
    if m < n:
        U, V = V, U
    return U, S, V


def svd_lowrank(A, q=6, niter=2, M=None):
    """(U, S, V) with A - M ~ U diag(S) V^H of rank ``q`` (see the module docstring): U
    (..., m, q), S (..., q), V (..., n, q). Random: seed with ``glassnet.manual_seed`` for
    repeatable results; exact (up to the signs of singular pairs) when rank(A - M) <= q.

    Shape: A (..., m, n); M broadcastable to A.
    """
    if not isinstance(A, Tensor):
        raise TypeError(f"svd_lowrank: A must be a Tensor, got {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"svd_lowrank: expected a matrix or a batch of matrices, got shape "
                           f"{tuple(A.shape)}")
    return _svd_lowrank(_floating(A), q=q, niter=niter, M=M)


def pca_lowrank(A, q=None, center=True, niter=2):
    """(U, S, V) of the low-rank SVD of A with its columns centred (``center=True``): the
    principal directions are V's columns, the projections of the data A V[:, :k], and
    S^2 / (m - 1) the variances along them. ``q`` defaults to min(6, m, n).

    Shape: A (..., m, n) -> U (..., m, q), S (..., q), V (..., n, q).
    """
    if not isinstance(A, Tensor):
        raise TypeError(f"pca_lowrank: A must be a Tensor, got {type(A).__name__}")
    if A.ndim < 2:
        raise RuntimeError(f"pca_lowrank: expected a matrix or a batch of matrices, got shape "
                           f"{tuple(A.shape)}")
    m, n = A.shape[-2:]
    if q is None:
        q = min(6, m, n)
    elif not (0 <= q <= min(m, n)):
        raise ValueError(f"q(={q}) must be non-negative integer and not greater than "
                         f"min(m, n)={min(m, n)}")
    if not niter >= 0:
        raise ValueError(f"niter(={niter}) must be non-negative integer")
    A = _floating(A)
    if not center:
        return _svd_lowrank(A, q, niter=niter, M=None)
    return _svd_lowrank(A - A.mean(dim=(-2,), keepdim=True), q, niter=niter, M=None)
