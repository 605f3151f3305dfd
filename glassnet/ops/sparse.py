"""Sparse arithmetic on arrays: index bookkeeping, the sparse products, aliases.

A sparse tensor stores nnz entries: an index column ``indices[:, e]`` (one row per sparse dim)
and a value ``values[e]`` (a scalar, or a dense block for hybrid tensors). It stands for the
dense tensor ``A = sum_e values[e] at position indices[:, e]``; repeated positions add up. The
COO layout keeps the index columns as they are; CSR keeps a matrix's entries sorted by row and
replaces the row indices by pointers, ``crow[i]:crow[i + 1]`` being the entries of row i
(``row_pointers`` and ``pointer_rows`` go from one to the other). Every kernel here takes the
row and column of every entry, so both layouts share them; CSR also hands over its pointers,
which SciPy's kernels use as they are.

* Positions are numbered row-major (``linear_index``), so that converting to dense is a
  scatter-sum of the values into the flattened tensor and reading a dense tensor on a sparsity
  pattern is a gather: the pair of glassnet/ops/segment.py, each the other's adjoint.
* For a matrix A (M, K) with entries (r_e, c_e, v_e) and a dense X (K, N), two products are
  each other's adjoint:

      spmm:   (A X)[r] = sum_{e: r_e = r} v_e X[c_e]          sparse times dense -> dense
      sddmm:  s_e      = <P[r_e], Q[c_e]>                      (P Q^T) read on A's pattern

  The gradients of spmm are dL/dX = A^T G (spmm again, rows and columns swapped) and
  dL/dv_e = <G[r_e], X[c_e]> (sddmm of G and X); those of sddmm are spmm's. So the values'
  gradient has exactly A's sparsity pattern. spmm runs on SciPy's CSR kernels when SciPy is
  installed (the ``sparse`` extra) and as a gather and a segment sum over the rows otherwise.
* The product of two sparse matrices is a sum of the terms A[i, k] B[k, j] over the pairs of
  entries that meet at the same k (``product_pairs``); written as gathers, a product and a
  scatter-sum of the values, autograd differentiates it with no new Function.
"""

from __future__ import annotations

import math

from .. import backend
from ..autograd.function import Function
from ..backend import array_module
from .segment import segments

__all__ = ["RefuseBackward", "SampledMM", "SparseMM", "SparseMMExtreme", "SparseValues",
           "linear_index", "pointer_rows", "product_pairs", "row_pointers", "sddmm", "spmm",
           "unique_positions"]


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


def row_pointers(rows, n_rows):
    """CSR's ``crow_indices`` (n_rows + 1,) from the row of every entry, sorted:
    crow[i] = the number of entries in rows before i."""
    xp = array_module(rows)
    crow = xp.zeros(n_rows + 1, dtype=backend.int64)
    if rows.shape[0]:
        xp.cumsum(xp.bincount(rows, minlength=n_rows), out=crow[1:])
    return crow


def pointer_rows(crow):
    """The row of every entry from CSR's pointers (``row_pointers`` undone)."""
    xp = array_module(crow)
    return xp.repeat(xp.arange(crow.shape[0] - 1, dtype=backend.int64), xp.diff(crow))


def product_pairs(a_cols, b_rows, k):
    """The terms of a sparse product A B: every pair (e, f) of an entry e of A and an entry f of
    B with a_cols[e] == b_rows[f] (both in [0, k)), as two index arrays ``(ea, eb)``.

    B's entries are grouped by row once; entry e of A then meets the whole group of row
    a_cols[e], so the pairs are laid out group after group without a Python loop.
    """
    xp = array_module(a_cols)
    order = xp.argsort(b_rows, kind="stable")
    counts = xp.bincount(b_rows, minlength=k)
    starts = xp.cumsum(counts) - counts        # where each row of B begins in ``order``
    per = counts[a_cols]                       # how many entries of B each entry of A meets
    ea = xp.repeat(xp.arange(a_cols.shape[0], dtype=backend.int64), per)
    first = xp.cumsum(per) - per               # where the pairs of each entry of A begin
    offset = xp.arange(ea.shape[0], dtype=backend.int64) - first[ea]
    eb = order[starts[a_cols[ea]] + offset]
    return ea, eb.astype(backend.int64, copy=False)


def _scipy_sparse():
    """scipy.sparse, or None when SciPy is not installed."""
    try:
        import scipy.sparse as sp
    except ImportError:  # pragma: no cover - depends on the environment
        return None
    return sp


def _csr(rows, cols, vals, shape, crow=None):
    """A SciPy CSR matrix for (rows, cols, vals), or None where SciPy cannot serve: not
    installed, a GPU array, or a dtype its kernels lack. ``crow``: the row pointers of a CSR
    tensor, which SciPy takes as they are (no conversion)."""
    if array_module(vals).__name__ != "numpy" or vals.dtype not in (backend.float32,
                                                                    backend.float64):
        return None
    sp = _scipy_sparse()
    if sp is None:
        return None
    if crow is not None:
        return sp.csr_matrix((vals, cols, crow), shape=shape)
    return sp.csr_matrix((vals, (rows, cols)), shape=shape)


def spmm(rows, cols, vals, n_rows, x, csr=None):
    """(A x) for the matrix A (n_rows, x.shape[0]) with entries (rows, cols, vals); x (K, N).

    ``csr``: the same A as a SciPy matrix when one was built already (or None)."""
    if csr is not None:
        return backend.array_module(x).asarray(csr @ x, dtype=x.dtype)
    return segments(rows, n_rows).sum(vals[:, None] * x[cols])


def sddmm(rows, cols, p, q):
    """(P Q^T) read at the positions (rows, cols) only: out_e = <P[r_e], Q[c_e]>; P (M, N),
    Q (K, N) -> (nnz,). Costs O(nnz N), never the M x K product."""
    return array_module(p).einsum("ij,ij->i", p[rows], q[cols])


class SparseMM(Function):
    """A @ X for a sparse matrix A (its ``values`` (nnz,), ``indices`` (2, nnz) and, for CSR,
    its row pointers ``crow``, raw) and a dense matrix X (K, N); gradients for both (the
    values' on A's pattern)."""

    @staticmethod
    def forward(ctx, values, dense, indices, n_rows, crow=None):
        rows, cols = indices[0], indices[1]
        csr = _csr(rows, cols, values, (n_rows, dense.shape[0]), crow)
        ctx.indices, ctx.n_rows, ctx.csr = indices, n_rows, csr
        ctx.save_for_backward(values, dense)
        return spmm(rows, cols, values, n_rows, dense, csr)

    @staticmethod
    def backward(ctx, g):
        values, dense = ctx.saved_tensors
        nv, nd = ctx.needs_input_grad[:2]
        rows, cols = ctx.indices[0], ctx.indices[1]
        gv = sddmm(rows, cols, g, dense) if nv else None
        gd = None
        if nd:
            csr_t = None if ctx.csr is None else ctx.csr.T
            gd = spmm(cols, rows, values, dense.shape[0], g, csr_t)
        return gv, gd, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        values, dense = ctx.saved_tensors
        nv, nd = ctx.needs_input_grad[:2]
        V, D = ctx.input_tensor(0, values), ctx.input_tensor(1, dense)
        ind = ctx.indices
        gv = SampledMM.apply(g, D.t(), ind) if nv else None
        gd = SparseMM.apply(V, g, ind[::-1], dense.shape[0]) if nd else None
        return gv, gd, None, None, None


class SampledMM(Function):
    """(P Q) read on a sparsity pattern (``indices`` (2, nnz)): out_e = sum_k P[r_e, k]
    Q[k, c_e] for P (M, K) and Q (K, N), the product never formed in full (SDDMM). It is
    spmm's adjoint: dL/dP = S Q^T and dL/dQ = P^T S, S the sparse matrix of the gradient."""

    @staticmethod
    def forward(ctx, p, q, indices):
        ctx.indices = indices
        ctx.save_for_backward(p, q)
        return sddmm(indices[0], indices[1], p, q.T)

    @staticmethod
    def backward(ctx, g):
        p, q = ctx.saved_tensors
        np_, nq = ctx.needs_input_grad[:2]
        rows, cols = ctx.indices[0], ctx.indices[1]
        m, n = p.shape[0], q.shape[1]
        csr = _csr(rows, cols, g, (m, n))
        gp = spmm(rows, cols, g, m, q.T, csr) if np_ else None
        gq = None
        if nq:
            gq = spmm(cols, rows, g, n, p, None if csr is None else csr.T).T
        return gp, gq, None

    @staticmethod
    def differentiable_backward(ctx, g):
        p, q = ctx.saved_tensors
        np_, nq = ctx.needs_input_grad[:2]
        P, Q = ctx.input_tensor(0, p), ctx.input_tensor(1, q)
        ind = ctx.indices
        gp = SparseMM.apply(g, Q.t(), ind, p.shape[0]) if np_ else None
        gq = SparseMM.apply(g, P, ind[::-1], q.shape[1]).t() if nq else None
        return gp, gq, None


class SparseMMExtreme(Function):
    """The rows of A @ X reduced by max or min instead of a sum (``torch.sparse.mm``'s
    ``reduce='amax'/'amin'``): out[r, j] = max_{e in row r} v_e X[c_e, j], 0 for an empty row.

    The gradient of each output goes to the one term that attains it, the first entry of the
    row in storage order where several do (as PyTorch's). No second derivative (PyTorch has
    none either)."""

    @staticmethod
    def forward(ctx, values, dense, indices, n_rows, op):
        xp = array_module(dense)
        rows, cols = indices[0], indices[1]
        terms = values[:, None] * dense[cols]                  # (nnz, N)
        seg = segments(rows, n_rows)
        out = seg.extreme(terms, op)
        # Which entry attains each output: the smallest entry number among the hits.
        nnz = rows.shape[0]
        number = xp.arange(nnz, dtype=backend.int64)[:, None]
        hit = xp.where(terms == out[rows], number, nnz)
        ctx.arg = seg.extreme(hit, "min")                      # (n_rows, N)
        ctx.filled = seg.counts > 0
        ctx.indices = indices
        ctx.save_for_backward(values, dense)
        return out

    @staticmethod
    def backward(ctx, g):
        values, dense = ctx.saved_tensors
        nv, nd = ctx.needs_input_grad[:2]
        xp = array_module(g)
        cols = ctx.indices[1]
        e = ctx.arg[ctx.filled]                                 # (R, N) entry per output
        gr = g[ctx.filled]
        n = dense.shape[1]
        j = xp.arange(n)[None, :]
        gv = gd = None
        if nv:
            w = (gr * dense[cols[e], j]).ravel()
            gv = xp.bincount(e.ravel(), weights=w, minlength=values.shape[0]).astype(g.dtype)
        if nd:
            w = (gr * values[e]).ravel()
            gd = xp.bincount((cols[e] * n + j).ravel(), weights=w,
                             minlength=dense.size).astype(g.dtype).reshape(dense.shape)
        return gv, gd, None, None, None

    differentiable_backward = None  # no second derivative (PyTorch gives none)


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


class RefuseBackward(Function):
    """The identity on values whose gradient PyTorch does not compute (the product of two CSR
    tensors, for one): the forward result is in the graph, and backward raises PyTorch's
    RuntimeError with ``message``."""

    @staticmethod
    def forward(ctx, values, message):
        ctx.message = message
        return values

    @staticmethod
    def backward(ctx, g):
        raise RuntimeError(ctx.message)

    @staticmethod
    def differentiable_backward(ctx, g):
        raise RuntimeError(ctx.message)
