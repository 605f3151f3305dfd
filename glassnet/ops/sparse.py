"""Sparse COO arithmetic on arrays: index bookkeeping, the sparse-dense matrix product, aliases.

A sparse COO tensor stores nnz entries: an index column ``indices[:, e]`` (one row per sparse
dim) and a value ``values[e]`` (a scalar, or a dense block for hybrid tensors). It stands for
the dense tensor ``A = sum_e values[e] at position indices[:, e]``; repeated positions add up.

* Positions are numbered row-major (``linear_index``), so that converting to dense is a
  scatter-sum of the values into the flattened tensor and reading a dense tensor on a sparsity
  pattern is a gather: the pair of glassnet/ops/segment.py, each the other's adjoint.
* For a matrix A (M, K) with entries (r_e, c_e, v_e) and a dense X (K, N):

      (A X)[r] = sum_{e: r_e = r} v_e X[c_e]
      dL/dX    = A^T G                    (the same product with rows and columns swapped)
      dL/dv_e  = <G[r_e], X[c_e]>          (G X^T read on A's pattern only)

  so the values' gradient has exactly A's sparsity pattern. The product runs on SciPy's CSR
  kernels when SciPy is installed (the ``sparse`` extra) and as a gather and a segment sum over
  the rows otherwise.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..autograd.variable import Variable
from ..backend import array_module
from .segment import segments

__all__ = ["SparseMM", "SparseValues", "linear_index", "spmm", "unique_positions"]


def linear_index(indices, sizes):
    """The row-major position of every index column: (sparse_dim, nnz) -> (nnz,) int64."""
    xp = array_module(indices)
    if math.prod(sizes) >= 2 ** 63:
        raise RuntimeError(f"sparse: a sparse tensor of size {tuple(sizes)} has more positions "
                           "than an int64 can number")
    key = xp.zeros(indices.shape[1], dtype=backend.int64)
    for d, n in enumerate(sizes):
        key *= n
        key += indices[d]
    return key


def unique_positions(indices, sizes):
    """``(unique indices, inverse, count)``: the distinct positions in row-major order (the
    order of a coalesced tensor) and, for every entry, which of them it is."""
    xp = array_module(indices)
    key = linear_index(indices, sizes)
    uniq, inverse = xp.unique(key, return_inverse=True)
    cols = xp.stack(xp.unravel_index(uniq, tuple(sizes))) if len(sizes) else \
        xp.zeros((0, uniq.shape[0]), backend.int64)
    return cols.astype(backend.int64, copy=False).reshape(len(sizes), -1), \
        inverse.reshape(-1), int(uniq.shape[0])


def _scipy_sparse():
    """scipy.sparse, or None when SciPy is not installed."""
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return sp


def _csr(rows, cols, vals, shape):
    """A SciPy CSR matrix for (rows, cols, vals), or None where SciPy cannot serve: not
    installed, a GPU array, or a dtype its kernels lack."""
    if array_module(vals).__name__ != "numpy" or vals.dtype not in (backend.float32,
                                                                    backend.float64):
        return None
    sp = _scipy_sparse()
    if sp is None:
        return None
    return sp.csr_matrix((vals, (rows, cols)), shape=shape)


def spmm(rows, cols, vals, n_rows, x, csr=None):
    """(A x) for the matrix A (n_rows, x.shape[0]) with entries (rows, cols, vals); x (K, N).

    ``csr``: the same A as a SciPy matrix when one was built already (or None)."""
    if csr is not None:
        return backend.array_module(x).asarray(csr @ x, dtype=x.dtype)
    return segments(rows, n_rows).sum(vals[:, None] * x[cols])


class SparseMM(Function):
    """A @ X for a sparse COO matrix A (its ``values`` (nnz,) and ``indices`` (2, nnz), raw) and
    a dense matrix X (K, N); gradients for both (the values' on A's pattern)."""

    @staticmethod
    def forward(ctx, values, dense, indices, n_rows):
        rows, cols = indices[0], indices[1]
        csr = _csr(rows, cols, values, (n_rows, dense.shape[0]))
        ctx.indices, ctx.n_rows, ctx.csr = indices, n_rows, csr
        ctx.save_for_backward(values, dense)
        return spmm(rows, cols, values, n_rows, dense, csr)

    @staticmethod
    def backward(ctx, g):
        values, dense = ctx.saved_tensors
        nv, nd = ctx.needs_input_grad[:2]
        rows, cols = ctx.indices[0], ctx.indices[1]
        xp = array_module(g)
        gv = xp.einsum("ij,ij->i", g[rows], dense[cols]) if nv else None
        gd = None
        if nd:
            csr_t = None if ctx.csr is None else ctx.csr.T
            gd = spmm(cols, rows, values, dense.shape[0], g, csr_t)
        return gv, gd, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        values, dense = ctx.saved_tensors
        nv, nd = ctx.needs_input_grad[:2]
        V, D = ctx.input_tensor(0, values), ctx.input_tensor(1, dense)
        ind = ctx.indices
        gv = gd = None
        if nv:
            rows, cols = Variable._make(ind[0], False), Variable._make(ind[1], False)
            gv = (g[rows] * D[cols]).sum(-1)
        if nd:
            gd = SparseMM.apply(V, g, ind[::-1], dense.shape[0])
        return gv, gd, None, None


class SparseValues(Function):
    """The identity on a sparse tensor's values: marks a new sparse tensor in the graph (built
    from values that require grad, a transpose, ``values()``) so that it has a ``grad_fn`` and
    its gradient reaches the values it came from."""

    @staticmethod
    def forward(ctx, values):
        return values

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def differentiable_backward(ctx, g):
        return g
