"""``glassnet.sparse``: PyTorch's ``torch.sparse`` functions on sparse COO and CSR tensors.

The tensors themselves are glassnet/tensor/sparse_coo.py (``glassnet.sparse_coo_tensor``,
``dense.to_sparse()``) and glassnet/tensor/sparse_csr.py (``glassnet.sparse_csr_tensor``,
``dense.to_sparse_csr()``); this module holds the functional forms: the products (``mm``, with
``reduce`` for CSR, ``addmm``, ``sampled_addmm``), the sum over stored entries, and the softmax
over stored entries (COO, as PyTorch).

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
from .ops.sparse import RefuseBackward, SampledMM, linear_index
from .tensor import Tensor
from .tensor.sparse import _wrong_layout, strided
from .tensor.sparse_coo import _wrap

__all__ = ["addmm", "log_softmax", "mm", "sampled_addmm", "softmax", "spmm", "sum"]


def _sparse(t):
    return getattr(t, "_sparse_layout", False)


def _need_coo(t, op, coalesces=False):
    """The functions PyTorch defines on COO tensors only (CSR gets PyTorch's errors: a
    RuntimeError where it fails coalescing the input on its way, ``coalesces``)."""
    if _sparse(t) and t.is_sparse_csr:
        if coalesces:
            raise _wrong_layout("coalesce", "coo", t.layout)
        raise NotImplementedError(f"{op}: not supported for sparse CSR tensors (PyTorch has "
                                  "no CSR kernel for it); convert with .to_sparse_coo()")
    if not getattr(t, "is_sparse", False):
        raise _wrong_layout(op, "coo", getattr(t, "layout", strided))


def mm(mat1, mat2, reduce=None):
    """mat1 @ mat2 with a sparse matrix (COO or CSR) on either side, a dense or sparse one on
    the other.

    (A X)[r] = sum_{e: row_e = r} v_e X[col_e]. Gradients: the dense matrix's is A^T G; the
    sparse values' is G X^T read on A's pattern (a sparse gradient, of A's layout, for a
    sparse leaf). Two sparse matrices of one layout give a sparse matrix of that layout: its
    gradients reach both operands for COO; for CSR PyTorch computes none, and backward raises
    its RuntimeError, as does the gradient of a CSR ``mat2`` with a dense ``mat1``.

    ``reduce`` ('sum', 'mean', 'amax', 'amin'; CSR ``mat1`` and dense ``mat2`` only) replaces
    the sum over each row's entries by that reduction.

    Shape: (M, K) sparse @ (K, N) dense -> (M, N) dense; dense @ sparse likewise; (M, K)
    sparse @ (K, N) sparse -> (M, N) sparse.
    """
    if reduce is not None:
        if not (_sparse(mat1) and mat1.is_sparse_csr):
            layout = getattr(mat1, "layout", strided)
            raise NotImplementedError(f"sparse.mm: reduce={reduce!r} needs a sparse CSR mat1 "
                                      f"(PyTorch has no other kernel), got layout {layout!r}")
        return mat1._mm_reduce(mat2, reduce)
    if _sparse(mat1):
        if mat1.is_sparse_csr and getattr(mat2, "ndim", 2) == 1:  # COO: mm's IndexError
            raise RuntimeError(f"sparse.mm: mat2 must be a matrix, got {mat2.ndim}-D tensor")
        return mat1.mm(mat2)
    if _sparse(mat2):
        if mat1.ndim != 2:
            raise RuntimeError(f"sparse.mm: mat1 must be a 2-D matrix, got shape "
                               f"{tuple(mat1.shape)}")
        if mat2.is_sparse_csr and mat2.requires_grad:  # PyTorch has no such backward
            mat2 = mat2._with_values(RefuseBackward.apply(
                mat2._v, "sparse_addmm_sparse_backward: unsupported combination of layouts, "
                "grad: Strided, mat1: SparseCsc, mat2: Strided (torch.sparse.mm(dense, csr) "
                "has no gradient for the CSR matrix; use dense @ csr)"))
        return mat2.__rmatmul__(mat1)
    return mat1.mm(mat2)


spmm = mm


def addmm(mat, mat1, mat2, beta=1.0, alpha=1.0):
    """beta * mat + alpha * (mat1 @ mat2), mat1 sparse (M, K) COO or CSR, mat2 and mat dense
    (a dense mat1 works too, as in PyTorch)."""
    return mat.addmm(mat1, mat2, beta=beta, alpha=alpha)


def sampled_addmm(input, mat1, mat2, *, beta=1.0, alpha=1.0, out=None):
    """beta * input + alpha * (mat1 @ mat2) read on the pattern of the sparse CSR ``input``:

        out_e = beta * input_e + alpha * sum_k mat1[r_e, k] mat2[k, c_e]

    for every stored entry e = (r_e, c_e); the product is never formed in full (O(nnz K),
    "SDDMM"). The result is a CSR matrix with ``input``'s pattern. Gradients: ``input``'s
    values get beta * G; mat1 gets alpha * S mat2^T and mat2 alpha * mat1^T S, S the sparse
    matrix of the output's gradient (the sparse-dense product again).

    Shape: input (M, N) CSR, mat1 (M, K), mat2 (K, N) -> (M, N) CSR.
    """
    op = "sampled_addmm"
    if out is not None:
        raise NotImplementedError(f"{op}: out= is not supported")
    if not (_sparse(input) and input.is_sparse_csr):
        layout = getattr(input, "layout", strided)
        raise NotImplementedError(f"{op}: input must be a sparse CSR tensor, got layout "
                                  f"{layout!r} (PyTorch has no other kernel)")
    for name, t in (("mat1", mat1), ("mat2", mat2)):
        if not isinstance(t, Tensor) or t._sparse_layout:
            raise RuntimeError(f"{op}: Expected {name} to have strided layout, but got "
                               f"{getattr(t, 'layout', type(t).__name__)!r}")
        if t.ndim != 2:
            raise RuntimeError(f"{op}: Expected {name} to be a matrix, got {t.ndim}-D tensor")
    if not input.is_floating_point() and not input.is_complex():
        raise RuntimeError(f"{op}: Expected self to be a floating-point or complex tensor, but "
                           f"got {input.dtype}")
    if mat1.dtype != mat2.dtype:
        raise RuntimeError(f"{op}: Expected mat1 and mat2 to have the same dtype, but got "
                           f"{mat1.dtype} and {mat2.dtype}")
    if mat1.dtype != input.dtype:
        raise RuntimeError(f"{op}: Expected mat1 and self to have the same dtype, but got "
                           f"{mat1.dtype} and {input.dtype}")
    (m, n), (m1, k), (k2, n2) = input.shape, mat1.shape, mat2.shape
    if k != k2:
        raise RuntimeError(f"{op}: mat1 and mat2 shapes cannot be multiplied ({m1}x{k} and "
                           f"{k2}x{n2})")
    if m != m1:
        raise RuntimeError(f"{op}: self.shape[-2] must match mat1.shape[-2] ({m} != {m1})")
    if n != n2:
        raise RuntimeError(f"{op}: self.shape[-1] must match mat2.shape[-1] ({n} != {n2})")
    v = SampledMM.apply(mat1, mat2, input._ind)
    if alpha != 1:
        v = v * alpha
    if beta != 0:
        v = v + (input._v if beta == 1 else input._v * beta)
    return input._with_values(v)


def sum(input, dim=None, dtype=None):
    """The sum of the stored entries of a COO tensor: a dense 0-d tensor with ``dim=None``;
    over ``dim`` a sparse tensor (dense once every sparse dim is summed). Its gradient is
    sparse, on the input's pattern. (PyTorch refuses CSR tensors here; ``csr.sum()`` works.)"""
    _need_coo(input, "sparse.sum", coalesces=dim is None)
    return input.sum(dim, dtype=dtype)


def _softmax(input, dim, dtype, log, op):
    _need_coo(input, op)
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
