"""Tensor: an n-dimensional array that remembers how it was computed (glassnet/tensor/tensor.py),
with its methods in groups, one module each: arithmetic and comparisons (``arith``), pointwise
maths (``math``), logical and bitwise ops (``logic``), reductions and scans (``reduce``), shapes
and indexing (``shape``, ``index``), linear algebra (``linalg``), in-place updates
(``inplace``) and metadata (``meta``); printing (``printing``), ``Size`` and the dtype queries
(``dtypes``).
"""

from .convert import _as_tensor, _new_size, _size, _to_array
from .sparse_coo import SparseTensor, sparse_coo_tensor
from .sparse_csr import SparseCsrTensor, sparse_csr_tensor
from .tensor import Tensor, tensor

__all__ = ["SparseCsrTensor", "SparseTensor", "Tensor", "sparse_coo_tensor", "sparse_csr_tensor",
           "tensor"]
