"""Memory layouts, and the sparse-related methods every (dense) Tensor has.

A tensor's ``layout`` says how its elements are stored: ``glassnet.strided`` (a dense array, the
default) or ``glassnet.sparse_coo`` (coordinates and values of the stored entries:
glassnet/tensor/sparse_coo.py). A dense tensor converts with ``to_sparse()``; the queries that
only make sense for a sparse tensor (``indices()``, ``coalesce()``...) fail on a dense one with
PyTorch's error.
"""

from __future__ import annotations


class layout:
    """How a tensor's elements are stored (``torch.layout``): compare with ``glassnet.strided``
    or ``glassnet.sparse_coo``."""

    __slots__ = ("name",)

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"glassnet.{self.name}"

    def __reduce__(self):  # pickled as the module-level singleton
        return self.name


strided = layout("strided")
sparse_coo = layout("sparse_coo")


def _not_sparse(op):
    return RuntimeError(f"{op} expected sparse coordinate tensor layout but got Strided")


class SparseMixin:
    """The sparse side of a dense Tensor: its layout and the conversion to sparse COO."""

    __slots__ = ()

    is_sparse = False
    # The sparse COO tensor class (glassnet/tensor/sparse_coo.py), which names itself when it is
    # defined: ``class SparseTensor(Tensor, sparse_layout=True)``.
    _coo_type = None

    def __init_subclass__(cls, sparse_layout: bool = False, **kwargs):
        super().__init_subclass__(**kwargs)
        if sparse_layout:
            SparseMixin._coo_type = cls

    @property
    def layout(self):
        return strided

    def to_dense(self, dtype=None, *, masked_grad=None):
        """A dense tensor is its own dense form (cast to ``dtype`` when given)."""
        return self if dtype is None else self.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        """The nonzero entries as a coalesced sparse COO tensor.

        ``sparse_dim`` (default: every dim) leading dims become coordinates; the trailing dims
        stay dense blocks, kept wherever any of their elements is nonzero (a hybrid tensor).
        Gradients flow back to the entries that were kept.
        """
        if layout is not None and layout is not sparse_coo:
            raise NotImplementedError(f"to_sparse: layout {layout!r} is not supported; glassnet "
                                      "has sparse_coo")
        if blocksize is not None or dense_dim is not None:
            raise NotImplementedError("to_sparse: blocksize and dense_dim are for compressed "
                                      "layouts, which glassnet does not have")
        return self._coo_type.from_dense(self, sparse_dim)

    def to_sparse_coo(self, sparse_dim=None):
        return self.to_sparse(sparse_dim)

    def sparse_dim(self):
        return 0

    def dense_dim(self):
        return self.ndim

    def coalesce(self):
        raise _not_sparse("coalesce")

    def is_coalesced(self):
        raise _not_sparse("is_coalesced")

    def indices(self):
        raise _not_sparse("indices")

    def values(self):
        raise _not_sparse("values")

    def _indices(self):
        raise _not_sparse("_indices")

    def _values(self):
        raise _not_sparse("_values")

    def _nnz(self):
        raise NotImplementedError("_nnz: only sparse tensors have a number of stored entries; "
                                  "this tensor is dense (layout glassnet.strided)")

    def sparse_mask(self, mask):
        """This dense tensor read at the stored positions of the sparse tensor ``mask``: a sparse
        tensor with mask's indices and this tensor's values there."""
        if not getattr(mask, "is_sparse", False):
            raise RuntimeError("sparse_mask: mask must be a sparse COO tensor, got a dense one")
        return mask._masked(self)
