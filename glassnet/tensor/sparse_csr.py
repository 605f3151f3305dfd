"""Sparse CSR tensors: a matrix's stored entries row by row (``torch.sparse_csr``).

COO keeps one (row, column) pair per entry; CSR ("compressed sparse row") sorts the entries by
row and replaces the row of every entry by one pointer per row. A matrix of size (M, N) is

    crow_indices  (M + 1,)  int64   row i's entries are the slice crow[i]:crow[i + 1]
    col_indices   (nnz,)    int64   the column of every entry
    values        (nnz,)            the entries

so row i has crow[i + 1] - crow[i] entries, and a product A @ X walks the rows in order, every
row's entries side by side in memory (the layout of SciPy's ``csr_matrix``, which glassnet's
products run on when SciPy is installed, with no conversion).

A ``SparseCsrTensor`` is a ``SparseTensor`` (glassnet/tensor/sparse_coo.py) whose entries are
kept sorted by row, with the row pointers beside them: the products, arithmetic, sums and
pointwise functions of glassnet/tensor/sparse_math.py serve both layouts, and gradients reach
the values the same way (a CSR leaf's ``.grad`` is a CSR tensor on the leaf's pattern). Within a
row the columns need not be sorted or distinct (as in PyTorch); repeated positions add up.

Only 2-D matrices with scalar values: PyTorch's batched CSR (leading batch dims) and hybrid CSR
(dense blocks as values), and the CSC, BSR and BSC layouts, are not provided.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from ..ops import sparse as SP
from .convert import _size
from .sparse import _wrong_layout, sparse_coo, sparse_csr
from .sparse_coo import _RUNTIME_ERRORS, SparseTensor, _values_tensor, _wrap
from .sparse_math import _alias, _const
from .tensor import Tensor

__all__ = ["SparseCsrTensor", "sparse_csr_tensor"]

_new = object.__new__


def _wrap_csr(crow, indices, values, size, coalesced):
    """A SparseCsrTensor around raw ``crow`` (M + 1,), ``indices`` (2, nnz: rows, sorted, and
    columns) and the Tensor ``values``."""
    t = _new(SparseCsrTensor)
    t._crow, t._ind, t._v, t._sz, t._co = crow, indices, values, tuple(size), bool(coalesced)
    return t


def _index_array(x, name, op):
    a = x._data if isinstance(x, Tensor) else np.asarray(x)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: {name} must be an integer tensor (int32 or int64), got dtype "
                           f"{a.dtype}")
    return a.astype(backend.int64, copy=False)


def sparse_csr_tensor(crow_indices, col_indices, values, size=None, *, dtype=None, device=None,
                      pin_memory=False, requires_grad=False, check_invariants=None):
    """A sparse CSR matrix from its row pointers, columns and values
    (``torch.sparse_csr_tensor``).

    Row i holds the entries ``crow_indices[i]:crow_indices[i + 1]``: columns
    ``col_indices[...]`` and values ``values[...]``. ``size`` defaults to (len(crow) - 1,
    largest column + 1). The pointers and columns are always checked (PyTorch checks them only
    with ``check_invariants=True``); columns sorted and distinct within each row are required
    only with ``check_invariants=True`` (otherwise repeats add up, as in PyTorch).

    Shape: crow_indices (M + 1,), col_indices (nnz,), values (nnz,) -> size (M, N).
    """
    op = "sparse_csr_tensor"
    crow = _index_array(crow_indices, "crow_indices", op)
    col = _index_array(col_indices, "col_indices", op)
    if crow.ndim != 1 or col.ndim != 1:
        raise NotImplementedError(f"{op}: batched CSR tensors (crow_indices of shape "
                                  f"{tuple(crow.shape)}, col_indices of shape "
                                  f"{tuple(col.shape)}) are not supported; glassnet's CSR "
                                  "tensors are 2-D matrices with 1-D index tensors")
    v = _values_tensor(values, dtype, op)
    if v.ndim != 1:
        raise NotImplementedError(f"{op}: values must be a 1-D tensor (nnz,), got shape "
                                  f"{tuple(v.shape)}; hybrid CSR tensors (dense blocks as "
                                  "values) are not supported")
    nnz = col.shape[0]
    if v.shape[0] != nnz:
        raise RuntimeError(f"{op}: col_indices.shape[-1] must be equal to nnz (={v.shape[0]}) "
                           f"as defined by values.shape[0], but got {nnz}")
    if crow.shape[0] == 0:
        raise RuntimeError(f"{op}: crow_indices must have at least one element (the number of "
                           "rows + 1), got none")
    if size is None:
        size = (crow.shape[0] - 1, int(col.max()) + 1 if nnz else 0)
    else:
        size = _size((size,))
        if len(size) != 2:
            raise RuntimeError(f"{op}: tensor dimensionality must be sum of batch, base, and "
                               f"dense dimensionalities (=0 + 2 + 0) but got {len(size)}")
    m, n = size
    if crow.shape[0] != m + 1:
        raise RuntimeError(f"{op}: crow_indices.shape[-1] must be equal to the number of rows "
                           f"+ 1 (={m + 1}), but got {crow.shape[0]}")
    if int(crow[0]) != 0:
        raise RuntimeError(f"{op}: `crow_indices[..., 0] == 0` is not satisfied (got "
                           f"{int(crow[0])})")
    if int(crow[-1]) != nnz:
        raise RuntimeError(f"{op}: `crow_indices[..., -1] == nnz` is not satisfied "
                           f"(crow_indices[-1] = {int(crow[-1])}, nnz = {nnz})")
    xp = backend.array_module(crow)
    step = xp.diff(crow)
    if m and bool((step < 0).any()):
        i = int(xp.argmax(step < 0))
        raise RuntimeError(f"{op}: `0 <= crow_indices[..., 1:] - crow_indices[..., :-1] <= "
                           f"ncols` is not satisfied (crow_indices[{i}] = {int(crow[i])} > "
                           f"crow_indices[{i + 1}] = {int(crow[i + 1])})")
    if nnz and (int(col.min()) < 0 or int(col.max()) >= n):
        bad = int(col.min()) if int(col.min()) < 0 else int(col.max())
        raise RuntimeError(f"{op}: `0 <= col_indices < ncols` is not satisfied (ncols = {n}, "
                           f"found column {bad})")
    rows = SP.pointer_rows(crow)
    # Coalesced: every row's columns strictly increasing, i.e. row-major keys increasing.
    key = rows * max(n, 1) + col
    coalesced = bool((xp.diff(key) > 0).all()) if nnz > 1 else True
    if check_invariants and not coalesced:
        raise RuntimeError(f"{op}: `col_indices[..., crow_indices[..., i - 1]:crow_indices[..., "
                           "i]] for all i = 1, ..., nrows are sorted and distinct along the "
                           "last dimension values` is not satisfied.")
    ind = xp.stack([rows, col])
    if device is not None:
        crow, ind = backend.to_device(crow, device), backend.to_device(ind, device)
        v = v.to(device)
    v = _const(v._data).requires_grad_(True) if requires_grad else _alias(v)
    return _wrap_csr(crow, ind, v, (m, n), coalesced)


def _rebuild_csr(crow, col, values, size, requires_grad, coalesced):
    """A CSR leaf from its arrays (unpickling, deepcopy)."""
    ind = np.stack([SP.pointer_rows(crow), col]) if len(col) else \
        np.zeros((2, 0), backend.int64)
    return _wrap_csr(crow, ind, _const(values).requires_grad_(requires_grad), size, coalesced)


# Where PyTorch refuses a CSR tensor with a RuntimeError rather than NotImplementedError.
_CSR_RUNTIME_ERRORS = _RUNTIME_ERRORS | {"stride", "exp", "__eq__", "__ne__", "__lt__",
                                         "__le__", "__gt__", "__ge__"}


class SparseCsrTensor(SparseTensor, sparse_layout=sparse_csr):
    """A sparse CSR matrix (``layout == glassnet.sparse_csr``); make one with
    ``glassnet.sparse_csr_tensor``, ``dense.to_sparse_csr()`` or ``coo.to_sparse_csr()``."""

    __slots__ = ("_crow",)
    is_sparse = False
    is_sparse_csr = True
    _kind = "sparse CSR"
    _runtime_errors = _CSR_RUNTIME_ERRORS

    # ------------------------------------------------------------------ building
    @classmethod
    def _build(cls, indices, values, size, coalesced):
        """A CSR matrix from COO-style ``indices`` (2, nnz); sorted by row first when they
        are not known to be coalesced."""
        if not coalesced:
            c = _wrap(indices, values, size, False).coalesce()
            indices, values = c._ind, c._v
        return _wrap_csr(SP.row_pointers(indices[0], size[0]), indices, values, size, True)

    def _with_values(self, values):
        return _wrap_csr(self._crow, self._ind, values, self._sz, self._co)

    def _coalesced(self):
        return self if self._co else self._build(self._ind, self._v, self._sz, False)

    def _grad_from_values(self, g):
        return self._with_values(g)  # on the leaf's own pattern, repeats included

    @classmethod
    def from_dense(cls, dense, dense_dim=None):
        """The nonzero entries of the matrix ``dense``, row by row."""
        _no_hybrid(dense_dim, "to_sparse_csr")
        if dense.ndim != 2:
            err = NotImplementedError if dense.ndim > 2 else RuntimeError
            raise err(f"to_sparse_csr: expected a 2-D matrix, got a {dense.ndim}-D tensor of "
                      f"shape {tuple(dense.shape)}" + (" (batched CSR tensors are not "
                                                       "supported)" if dense.ndim > 2 else ""))
        return cls.from_coo(SparseTensor.from_dense(dense, 2))

    @classmethod
    def from_coo(cls, coo, dense_dim=None):
        """A COO matrix as CSR: coalesced (repeats summed), then row pointers."""
        _no_hybrid(dense_dim, "to_sparse_csr")
        if coo.sparse_dim() != 2:
            raise RuntimeError(f"coo_to_sparse_csr: conversion from Sparse to SparseCsr for "
                               f"input tensors with sparse_dim()!=2 is not supported (got "
                               f"sparse_dim() = {coo.sparse_dim()})")
        if coo.dense_dim():
            raise NotImplementedError("to_sparse_csr: hybrid CSR tensors (dense blocks as "
                                      "values) are not supported")
        c = coo.coalesce()
        return _wrap_csr(SP.row_pointers(c._ind[0], c._sz[0]), c._ind, _alias(c._v), c._sz,
                         True)

    # ------------------------------------------------------------------ what it is
    @property
    def layout(self):
        return sparse_csr

    def crow_indices(self):
        return _const(self._crow)

    def col_indices(self):
        return _const(self._ind[1])

    def values(self):
        """The stored values, row by row; differentiable, like PyTorch's."""
        return _alias(self._v)

    def indices(self):
        raise _wrong_layout("indices", "coo", sparse_csr)

    def _indices(self):
        raise _wrong_layout("_indices", "coo", sparse_csr)

    def _values(self):
        raise _wrong_layout("_values", "coo", sparse_csr)

    def coalesce(self):
        raise _wrong_layout("coalesce", "coo", sparse_csr)

    def is_coalesced(self):
        raise _wrong_layout("is_coalesced", "coo", sparse_csr)

    def is_contiguous(self, memory_format=None):
        raise RuntimeError("is_contiguous: Sparse CSR tensors do not have is_contiguous")

    def _repr_arrays(self):
        return [("crow_indices", self._crow), ("col_indices", self._ind[1]),
                ("values", self._v._data)]

    def __reduce_ex__(self, proto):
        return _rebuild_csr, (self._crow, self._ind[1], self._v._data, self._sz,
                              self.requires_grad, self._co)

    def clone(self):
        return _wrap_csr(self._crow.copy(), self._ind.copy(), self._v.clone(), self._sz,
                         self._co)

    # ------------------------------------------------------------------ layout changes
    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """COO (the default, as PyTorch's) or, with ``layout=sparse_csr``, this tensor."""
        if layout is sparse_csr:
            return self
        if layout is not None and layout is not sparse_coo:
            raise NotImplementedError(f"to_sparse: layout {layout!r} is not supported; glassnet "
                                      "has sparse_coo and sparse_csr")
        if sparse_dim is not None and sparse_dim != 2:
            raise RuntimeError("sparse_compressed_to_sparse: conversion from SparseCsr to "
                               "Sparse with sparse_dim argument !=2 is not supported")
        return _wrap(self._ind, _alias(self._v), self._sz, self._co)

    def to_sparse_coo(self, sparse_dim=None):
        return self.to_sparse(sparse_dim)

    def to_sparse_csr(self, dense_dim=None):
        _no_hybrid(dense_dim, "to_sparse_csr")
        return self

    def _transpose_refused(self, *args, **kwargs):
        raise NotImplementedError("transpose: the transpose of a sparse CSR matrix is a CSC "
                                  "matrix (layout sparse_csc), which glassnet does not have; "
                                  "use .to_sparse_coo().t() or .to_dense().t()")

    t = transpose = swapaxes = swapdims = _transpose_refused
    T = mT = property(_transpose_refused)

    # ------------------------------------------------------------------ maths
    def __rmatmul__(self, other):
        """dense @ CSR, through the COO transpose (the same product kernel)."""
        if not isinstance(other, Tensor):
            return NotImplemented
        return self.to_sparse_coo().__rmatmul__(other)

    def _mm_sparse(self, other):
        out = super()._mm_sparse(other)
        if out.requires_grad:  # PyTorch computes CSR @ CSR but not its gradient
            out = out._with_values(SP.RefuseBackward.apply(
                out._v, "sparse_addmm_sparse_backward: unsupported combination of layouts, "
                "grad: SparseCsr, mat1: SparseCsr, mat2: SparseCsr (the product of two CSR "
                "tensors has no gradient in PyTorch; use COO tensors for one)"))
        return out

    def sum(self, dim=None, keepdim=False, dtype=None):
        """The sum of all entries (a dense 0-d tensor), or over ``dim`` with ``keepdim=True``
        (a CSR matrix with that dim of size 1), as PyTorch allows for CSR."""
        if dim is None:
            return super().sum(dtype=dtype)
        if not keepdim:
            raise RuntimeError("sum: reduction operations on CSR tensors with keepdim=False is "
                               "unsupported")
        return self.to_sparse_coo().sum(dim, keepdim=True, dtype=dtype).to_sparse_csr()

    def _mm_reduce(self, dense, reduce):
        """``torch.sparse.mm(csr, dense, reduce)``: every output row reduces the terms
        v_e X[c_e] of its entries by ``reduce``: 'sum', 'mean' (the sum over the number of
        entries in the row), 'amax' or 'amin' (also spelled 'max', 'min'); an empty row
        gives 0. Gradients for the values (on the pattern) and for ``dense``; no second
        derivative for amax/amin."""
        op = "sparse.mm"
        if reduce not in ("sum", "mean", "amax", "amin", "max", "min", "prod"):
            raise RuntimeError(f"{op}: reduce argument must be either sum, prod, mean, amax or "
                               f"amin, got {reduce}")
        if reduce == "prod":
            raise RuntimeError(f"{op}: sparse_mm_reduce: reduce type of prod has not been "
                               "enabled.")
        if not isinstance(dense, Tensor) or dense._sparse_layout:
            raise RuntimeError(f"{op}: with reduce, mat2 must be a dense (strided) matrix, got "
                               f"{getattr(dense, 'layout', type(dense).__name__)!r}")
        m, k = self._sz
        if dense.ndim != 2 or dense.shape[0] != k:
            raise RuntimeError(f"{op}: Expected a tensor of dimension 2 and tensor.size[0] == "
                               f"{k} but got: dimension {dense.ndim} and tensor.size[0] = "
                               f"{dense.shape[0]}")
        if dense.dtype != self.dtype:
            raise RuntimeError(f"{op}: expected mat2 to have the dtype of mat1 ({self.dtype}), "
                               f"got {dense.dtype}")
        if reduce == "sum":
            return self._spmm(dense, op)
        if reduce == "mean":  # the sum of the row's terms over their number
            xp = backend.array_module(self._crow)
            count = xp.maximum(xp.diff(self._crow), 1).astype(self._v._data.dtype)
            scale = _const((1.0 / count)[self._ind[0]])
            return SP.SparseMM.apply(self._v * scale, dense, self._ind, m, self._crow)
        ext = "max" if reduce in ("amax", "max") else "min"
        return SP.SparseMMExtreme.apply(self._v, dense, self._ind, m, ext)


def _no_hybrid(dense_dim, op):
    if dense_dim not in (None, 0):
        raise NotImplementedError(f"{op}: dense_dim={dense_dim}: hybrid CSR tensors (dense "
                                  "blocks as values) are not supported")

