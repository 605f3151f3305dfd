"""Memory layouts, and the sparse-related methods every (dense) Tensor has.

A tensor's ``layout`` says how its elements are stored: ``glassnet.strided`` (a dense array, the
default), ``glassnet.sparse_coo`` (coordinates and values of the stored entries:
glassnet/tensor/sparse_coo.py) or ``glassnet.sparse_csr`` (a matrix's entries row by row, with
row pointers: glassnet/tensor/sparse_csr.py). A dense tensor converts with ``to_sparse()`` /
``to_sparse_csr()``; the queries that only make sense for a sparse tensor (``indices()``,
``crow_indices()``, ``coalesce()``...) fail on a dense one with PyTorch's error.
"""

from __future__ import annotations

from typing import ClassVar


class layout:
    """How a tensor's elements are stored (``torch.layout``): compare with ``glassnet.strided``,
    ``glassnet.sparse_coo`` or ``glassnet.sparse_csr``."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"glassnet.{self.name}"

    def __reduce__(self):  # pickled as the module-level singleton
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")
sparse_csr = layout("sparse_csr")

# How PyTorch names a layout in its errors ("... but got SparseCsr").
_ERROR_NAMES = {"strided": "Strided", "sparse_coo": "Sparse", "sparse_csr": "SparseCsr"}


def _wrong_layout(op, expected, got):
    """PyTorch's RuntimeError for a query made on a tensor of the wrong layout."""
    want = {"coo": "sparse coordinate", "csr": "sparse row compressed"}[expected]
    return RuntimeError(f"{op} expected {want} tensor layout but got "
                        f"{_ERROR_NAMES[got.name]}")


class SparseMixin:
    """The sparse side of a dense Tensor: its layout and the conversions to sparse layouts."""

    __slots__ = ()

    is_sparse = False
    is_sparse_csr = False
    # True for every sparse layout (COO and CSR): ops that treat sparse operands apart test it.
    _sparse_layout = False
    # The sparse tensor classes by layout name, each registered when it is defined:
    # ``class SparseTensor(Tensor, sparse_layout=sparse_coo)``.
    _sparse_types: ClassVar[dict] = {}

    def __init_subclass__(cls, sparse_layout=None, **kwargs):
        super().__init_subclass__(**kwargs)
        if sparse_layout is not None:
            SparseMixin._sparse_types[sparse_layout.name] = cls

    @property
    def layout(self):
        return strided

    def to_dense(self, dtype=None, *, masked_grad=None):
        """A dense tensor is its own dense form (cast to ``dtype`` when given)."""
        return self if dtype is None else self.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """The nonzero entries as a coalesced sparse COO tensor, or with ``layout=sparse_csr``
        as a CSR matrix (``to_sparse_csr``).

        ``sparse_dim`` (default: every dim) leading dims become coordinates; the trailing dims
        stay dense blocks, kept wherever any of their elements is nonzero (a hybrid tensor).
        Gradients flow back to the entries that were kept.
        """
        if layout is sparse_csr:
            if blocksize is not None:
                raise RuntimeError("to_sparse: conversion from Strided to SparseCsr with "
                                   "blocksize argument given is not supported")
            return self.to_sparse_csr(dense_dim)
        if layout is not None and layout is not sparse_coo:
            raise NotImplementedError(f"to_sparse: layout {layout!r} is not supported; glassnet "
                                      "has sparse_coo and sparse_csr")
        if blocksize is not None or dense_dim is not None:
            raise NotImplementedError("to_sparse: blocksize and dense_dim are for compressed "
                                      "layouts; pass layout=glassnet.sparse_csr")
        return self._sparse_types["sparse_coo"].from_dense(self, sparse_dim)

    def to_sparse_coo(self, sparse_dim=None):
        return self.to_sparse(sparse_dim)

    def to_sparse_csr(self, dense_dim=None):
        """The nonzero entries of this matrix as a sparse CSR tensor (row pointers, columns
        and values, row by row); gradients flow back to the entries that were kept."""
        return self._sparse_types["sparse_csr"].from_dense(self, dense_dim)

    def sparse_dim(self):
        return 0

    def dense_dim(self):
        return self.ndim

    def coalesce(self):
        raise _wrong_layout("coalesce", "coo", self.layout)

    def is_coalesced(self):
        raise _wrong_layout("is_coalesced", "coo", self.layout)

    def indices(self):
        raise _wrong_layout("indices", "coo", self.layout)

    def values(self):
        raise _wrong_layout("values", "coo", self.layout)

    def _indices(self):
        raise _wrong_layout("_indices", "coo", self.layout)

    def _values(self):
        raise _wrong_layout("_values", "coo", self.layout)

    def crow_indices(self):
        raise _wrong_layout("crow_indices", "csr", self.layout)

    def col_indices(self):
        raise _wrong_layout("col_indices", "csr", self.layout)

    def _nnz(self):
        raise NotImplementedError("_nnz: only sparse tensors have a number of stored entries; "
                                  "this tensor is dense (layout glassnet.strided)")

    def sparse_mask(self, mask):
        """This dense tensor read at the stored positions of the sparse tensor ``mask``: a sparse
        tensor of mask's layout with mask's positions and this tensor's values there."""
        if not getattr(mask, "_sparse_layout", False):
            raise RuntimeError("sparse_mask: mask must be a sparse COO or CSR tensor, got a "
                               "dense one")
        return mask._masked(self)
