"""``glassnet.sparse``: PyTorch's ``torch.sparse`` functions on sparse COO tensors.

The tensors themselves are glassnet/tensor/sparse_coo.py (``glassnet.sparse_coo_tensor``,
``dense.to_sparse()``); this module holds the functional forms: the sparse-dense product
(``mm``, ``addmm``), the sum over stored entries, and the softmax over stored entries.

A graph convolution in the form tutorials write it (Kipf & Welling 2017),

    adj = glassnet.sparse_coo_tensor(edge_index, weights, (N, N))   # D^-1/2 (A + I) D^-1/2
    h = glassnet.sparse.mm(adj, x @ W)

costs O(E F) rather than the O(N^2 F) of a dense adjacency, with gradients for ``x``, ``W`` and
(when they require grad) the edge weights.
"""

from __future__ import annotations

from .backend import array_module
from .ops.reduce import normalize_dim
from .ops.segment import Gather, ScatterSum, segments
from .ops.sparse import linear_index
from .tensor import Tensor
from .tensor.sparse_coo import _wrap

__all__ = ["addmm", "log_softmax", "mm", "softmax", "spmm", "sum"]


def _need_sparse(t, op):
    if not getattr(t, "is_sparse", False):
        raise RuntimeError(f"{op} expected sparse coordinate tensor layout but got Strided")


def mm(mat1, mat2, reduce="sum"):
    """mat1 @ mat2 with a sparse COO matrix on either side and a dense one on the other.

    (A X)[r] = sum_{e: row_e = r} v_e X[col_e]. Gradients: the dense matrix's is A^T G; the
    sparse values' is G X^T read on A's pattern (a sparse gradient for a sparse leaf).

    Shape: (M, K) sparse @ (K, N) dense -> (M, N) dense; also dense @ sparse.
    """
    if reduce != "sum":
        raise NotImplementedError(f"sparse.mm: reduce={reduce!r} is for sparse CSR tensors; "
                                  "glassnet supports reduce='sum'")
    if getattr(mat1, "is_sparse", False):
        return mat1.mm(mat2)
    if getattr(mat2, "is_sparse", False):
        if mat1.ndim != 2:
            raise RuntimeError(f"sparse.mm: mat1 must be a 2-D matrix, got shape "
                               f"{tuple(mat1.shape)}")
        return mat2.__rmatmul__(mat1)
    return mat1.mm(mat2)


spmm = mm


def addmm(mat, mat1, mat2, beta=1.0, alpha=1.0):
    """beta * mat + alpha * (mat1 @ mat2), mat1 sparse (M, K), mat2 and mat dense."""
    _need_sparse(mat1, "sparse.addmm")
    return mat.addmm(mat1, mat2, beta=beta, alpha=alpha)


def sum(input, dim=None, dtype=None):
    """The sum of the stored entries: a dense 0-d tensor with ``dim=None``; over ``dim`` a
    sparse tensor (dense once every sparse dim is summed). Its gradient is sparse, on the
    input's pattern."""
    _need_sparse(input, "sparse.sum")
    return input.sum(dim, dtype=dtype)


def _softmax(input, dim, dtype, log, op):
    _need_sparse(input, op)
    x = input.coalesce()
    if dtype is not None:
        x = x.to(dtype)
    k, n = x.sparse_dim(), x.ndim
    d = normalize_dim(dim, n, op)
    v = x._v
    if d >= k:  # along a dense dim: an ordinary softmax of every stored block
        fn = v.log_softmax if log else v.softmax
        return _wrap(x._ind, fn(d - k + 1), x._sz, True)
    # Along a sparse dim the entries sharing every other sparse index form one group; the
    # positions not stored count as -inf (they get probability 0 and stay unstored).
    others = [i for i in range(k) if i != d]
    key = linear_index(x._ind[others], [x._sz[i] for i in others])
    groups, inverse = array_module(key).unique(key, return_inverse=True)
    seg = segments(inverse.reshape(-1), int(groups.shape[0]))
    top = Tensor._make(seg.extreme(v._data, "max"), False)  # a constant shift, for stability
    shifted = v - Gather.apply(top, seg.index, seg)
    e = shifted.exp()
    total = Gather.apply(ScatterSum.apply(e, seg), seg.index, seg)
    out = shifted - total.log() if log else e / total
    return _wrap(x._ind, out, x._sz, True)


def softmax(input, dim, dtype=None):
    """softmax over the stored entries along ``dim`` (missing entries count as -inf, so they
    stay missing): out_e = exp(v_e) / sum_{f in group(e)} exp(v_f), a group being the entries
    that share every index but the one along ``dim``. Returns a coalesced sparse tensor."""
    return _softmax(input, dim, dtype, False, "sparse.softmax")


def log_softmax(input, dim, dtype=None):
    """log of ``softmax``: v_e - log sum_{f in group(e)} exp(v_f), on the stored entries."""
    return _softmax(input, dim, dtype, True, "sparse.log_softmax")
