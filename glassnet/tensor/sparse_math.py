"""The maths of sparse tensors (COO: glassnet/tensor/sparse_coo.py, and CSR, which shares it:
glassnet/tensor/sparse_csr.py), each op written on the stored values so that autograd needs
nothing new:

* products: sparse @ dense (``mm``, ``matmul``, ``@``, ``mv``) and dense @ sparse, one Function
  (``glassnet.ops.sparse.SparseMM``) whose values' gradient lies on the sparse pattern; sparse @
  sparse, a gather of the pairs of entries that meet, a product and a scatter-sum;
* arithmetic: sparse + sparse (both entry lists), sparse * scalar / dense / sparse, division by
  a scalar, negation and powers;
* ``sum`` over all entries or some dims, and the pointwise functions with f(0) = 0, which act on
  the stored values of the coalesced tensor.

Results keep the layout of ``self`` (``_build`` and ``_with_values`` make them). Shape rules and
errors follow PyTorch's.
"""

from __future__ import annotations

import math

from .. import backend
from ..ops import sparse as SP
from ..ops.reduce import normalize_dims
from ..ops.segment import Gather, ScatterSum, segments
from .shape import _cat
from .tensor import Tensor

__all__ = ["SparseMathMixin"]


def _alias(v):
    """``v`` as the values of a new sparse tensor: linked into the graph (its own ``grad_fn``)
    when it requires grad, else a fresh Tensor on the same array (so that switching
    ``requires_grad`` on the new tensor leaves ``v`` alone)."""
    return SP.SparseValues.apply(v) if v.requires_grad else Tensor._make(v._data, False)


def _const(a):
    return Tensor._make(a, False)


class SparseMathMixin:
    """Products, arithmetic, sums and pointwise functions of ``SparseTensor``."""

    __slots__ = ()

    # ------------------------------------------------------------------ products
    def mm(self, mat2):
        """Sparse (M, K) @ dense (K, N) -> dense (M, N); gradients for the dense matrix and
        for the sparse values (on their pattern). Sparse @ sparse (the same layout) gives a
        sparse matrix."""
        if getattr(mat2, "_sparse_layout", False):
            return self._mm_sparse(mat2)
        if not isinstance(mat2, Tensor):
            raise TypeError(f"mm: mat2 must be a Tensor, got {type(mat2).__name__}")
        if mat2.ndim == 1:
            raise IndexError("mm: mat2 must be a 2-D matrix, got a 1-D tensor (use mv or @ for "
                             "a vector)")
        return self._spmm(mat2, "mm")

    def _spmm(self, dense, op):
        if self.ndim != 2 or self.dense_dim():
            raise RuntimeError(f"{op}: the sparse operand must be a 2-D matrix with no dense "
                               f"dims, got size {list(self._sz)} with {self.dense_dim()} dense "
                               "dims")
        if dense.ndim != 2:
            raise RuntimeError(f"{op}: a sparse COO matrix multiplies a 1-D or 2-D dense tensor, "
                               f"got shape {tuple(dense.shape)}")
        m, k = self._sz
        if dense.shape[0] != k:
            raise RuntimeError(f"{op}: sparse matrix of size {list(self._sz)} and dense matrix "
                               f"of shape {tuple(dense.shape)} cannot be multiplied ({k} != "
                               f"{dense.shape[0]})")
        if dense.dtype != self.dtype:
            raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got "
                               f"{self.dtype} (sparse) and {dense.dtype} (dense)")
        return SP.SparseMM.apply(self._v, dense, self._ind, m, self._crow)

    def _mm_sparse(self, other):
        """A (M, K) @ B (K, N), both sparse of one layout: C[i, j] = sum_k A[i, k] B[k, j] over
        the pairs of stored entries that meet at k. The result stores every position some
        pair reaches (coalesced); its values are a gather, a product and a scatter-sum of the
        operands' values, so gradients reach both on their own patterns."""
        if other.layout is not self.layout:
            raise RuntimeError(f"mm: the product of a {self._kind} and a {other._kind} tensor "
                               "is not supported; convert one so that both have one layout")
        for name, t in (("mat1", self), ("mat2", other)):
            if t.ndim != 2 or t.dense_dim():
                raise RuntimeError(f"mm: {name} must be a 2-D sparse matrix with no dense "
                                   f"dims, got size {list(t._sz)}")
        (m, k), (k2, n) = self._sz, other._sz
        if k != k2:
            raise RuntimeError(f"mm: mat1 and mat2 shapes cannot be multiplied ({m}x{k} and "
                               f"{k2}x{n})")
        if other.dtype != self.dtype:
            raise RuntimeError(f"mm: expected both operands to have the same dtype, but got "
                               f"{self.dtype} and {other.dtype}")
        ea, eb = SP.product_pairs(self._ind[1], other._ind[0], k)
        xp = backend.array_module(ea)
        pos = xp.stack([self._ind[0][ea], other._ind[1][eb]])
        ind, inverse, n_out = SP.unique_positions(pos, (m, n))
        terms = (Gather.apply(self._v, ea, segments(ea, self._nnz()))
                 * Gather.apply(other._v, eb, segments(eb, other._nnz())))
        return self._build(ind, ScatterSum.apply(terms, segments(inverse, n_out)), (m, n), True)

    def matmul(self, other):
        """sparse @ dense for a 1-D or 2-D dense operand (``torch.matmul``'s rules)."""
        if getattr(other, "_sparse_layout", False):
            return self.mm(other)
        if not isinstance(other, Tensor):
            raise TypeError(f"matmul: expected a Tensor, got {type(other).__name__}")
        if other.ndim == 1:
            return self._spmm(other.unsqueeze(1), "matmul").squeeze(1)
        return self._spmm(other, "matmul")

    __matmul__ = matmul

    def __rmatmul__(self, other):
        """dense @ sparse = (sparse^T @ dense^T)^T."""
        if not isinstance(other, Tensor):
            return NotImplemented
        if other.ndim == 1:
            return self.t().matmul(other)
        if other.ndim != 2:
            raise RuntimeError(f"matmul: a dense tensor of shape {tuple(other.shape)} times a "
                               "sparse COO matrix is not supported (1-D or 2-D only)")
        return self.t().matmul(other.t()).t()

    def mv(self, vec):
        if not isinstance(vec, Tensor) or vec.ndim != 1:
            raise RuntimeError("mv: vec must be a 1-D tensor")
        return self.matmul(vec)

    # ------------------------------------------------------------------ arithmetic
    def add(self, other, alpha=1):
        """sparse + sparse (same size and dims): the entries of both, coalesced when both
        were. A dense or scalar ``other`` is an error, as in PyTorch: write dense + sparse."""
        if not getattr(other, "_sparse_layout", False):
            raise RuntimeError("add(sparse, dense) is not supported. Use add(dense, sparse) "
                               "instead.")
        if other._sz != self._sz:
            raise RuntimeError(f"add: expected sizes of 'self' and 'other' to match, but "
                               f"{list(self._sz)} != {list(other._sz)}")
        if other.sparse_dim() != self.sparse_dim():
            raise RuntimeError(f"add: expected 'self' and 'other' to have same density, but "
                               f"'self' has {self.sparse_dim()} sparse dimensions while 'other' "
                               f"has {other.sparse_dim()} sparse dimensions")
        ov = other._v if alpha == 1 else other._v * alpha
        xp = backend.array_module(self._ind)
        out = self._build(xp.concatenate([self._ind, other._ind], axis=1), _cat([self._v, ov]),
                          self._sz, False)
        return out._coalesced() if self._co and other._co else out

    __add__ = add

    def __radd__(self, other):
        if isinstance(other, Tensor):  # dense + sparse -> dense
            return other + self.to_dense()
        return self.add(other)

    def sub(self, other, alpha=1):
        return self.add(other, -alpha)

    __sub__ = sub

    def __rsub__(self, other):
        if isinstance(other, Tensor):
            return other - self.to_dense()
        return self.add(other)

    def mul(self, other):
        """sparse * scalar (or 0-d tensor) scales the values; sparse * dense reads the dense
        tensor (broadcast to this size) at the stored positions; sparse * sparse keeps the
        positions stored in both."""
        if getattr(other, "_sparse_layout", False):
            return self._mul_sparse(other)
        if isinstance(other, Tensor) and other.ndim:
            d = other if tuple(other.shape) == self._sz else other.expand(self._sz)
            return self._with_values(self._v * _gather_at(d, self._ind, self.sparse_dim()))
        return self._with_values(self._v * other)

    __mul__ = __rmul__ = multiply = mul

    def _mul_sparse(self, other):
        if other._sz != self._sz or other.sparse_dim() != self.sparse_dim():
            raise RuntimeError(f"mul: expected sparse tensors of the same size and sparse dims, "
                               f"got {list(self._sz)} and {list(other._sz)}")
        a, b = self._coalesced(), other._coalesced()
        k = self.sparse_dim()
        ka, kb = SP.linear_index(a._ind, self._sz[:k]), SP.linear_index(b._ind, self._sz[:k])
        xp = backend.array_module(ka)
        _, ia, ib = xp.intersect1d(ka, kb, assume_unique=True, return_indices=True)
        v = a._v[_const(ia)] * b._v[_const(ib)]
        return self._build(a._ind[:, ia], v, self._sz, True)

    def div(self, other):
        if isinstance(other, Tensor) and other.ndim:
            raise RuntimeError(f"Sparse division requires a scalar or zero-dim dense tensor "
                               f"divisor (got shape {list(other.shape)} for divisor)")
        return self._with_values(self._v / other)

    __truediv__ = divide = true_divide = div

    def neg(self):
        return self._with_values(-self._v)

    __neg__ = negative = neg

    def pow(self, exponent):
        if isinstance(exponent, Tensor) and exponent.ndim:
            raise RuntimeError("pow: a sparse tensor can only be raised to a scalar power")
        if exponent == 0:
            raise RuntimeError("pow: cannot raise to zeroth power on sparse tensor; it would "
                               "make the result tensor dense")
        s = self._coalesced()
        return s._with_values(s._v ** exponent)

    __pow__ = pow

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        """The sum of all entries (a dense 0-d tensor), or over ``dim``: a dense tensor when
        every sparse dim is summed, else a coalesced sparse tensor (``torch.sparse.sum``)."""
        v = self._v if dtype is None else self._v.to(dtype)
        if dim is None:
            return v.sum()
        n, k = self.ndim, self.sparse_dim()
        dims = normalize_dims(dim, n, "sum")
        sdims = [d for d in dims if d < k]
        vdims = tuple(d - k + 1 for d in dims if d >= k)
        if vdims:
            v = v.sum(vdims, keepdim=keepdim)
        if len(sdims) == k:  # every sparse dim summed: a dense tensor of the dense dims
            return v.sum(0).reshape((1,) * k + tuple(v.shape[1:])) if keepdim else v.sum(0)
        if keepdim:
            ind = self._ind.copy()
            ind[sdims] = 0
        else:
            ind = self._ind[[d for d in range(k) if d not in sdims]]
        size = [1 if (keepdim and d in dims) else s for d, s in enumerate(self._sz)
                if keepdim or d not in dims]
        return self._build(ind, _alias(v), size, False)._coalesced()

    # ------------------------------------------------------------------ pointwise
    def _map(self, fn):
        """A pointwise function with f(0) = 0, applied to the coalesced values."""
        s = self._coalesced()
        return s._with_values(fn(s._v))

    def __abs__(self):
        return self.abs()


def _gather_at(dense, ind, k):
    """``dense`` (size (s_1..s_k, *D)) read at the positions ``ind`` (k, nnz): (nnz, *D).
    Its gradient scatter-sums back into the dense tensor's shape."""
    shape = tuple(dense.shape)
    n = math.prod(shape[:k])
    key = SP.linear_index(ind, shape[:k])
    return Gather.apply(dense.reshape((n,) + shape[k:]), key, segments(key, n))


# Pointwise functions that keep zeros at zero act on the stored values alone.
_ZERO_PRESERVING = ["abs", "relu", "sin", "tan", "tanh", "sqrt", "square", "sign", "sgn",
                    "asin", "arcsin", "atan", "arctan", "sinh", "asinh", "arcsinh", "atanh",
                    "arctanh", "expm1", "log1p", "trunc", "fix", "floor", "ceil", "round",
                    "frac", "erf", "erfinv", "deg2rad", "rad2deg", "nan_to_num", "absolute"]


def _pointwise(name):
    def method(self, *args, **kwargs):
        return self._map(lambda v: getattr(v, name)(*args, **kwargs))

    method.__name__ = name
    method.__doc__ = f"``{name}`` of the stored values (zero stays zero), on the coalesced tensor."
    return method


for _name in _ZERO_PRESERVING:
    setattr(SparseMathMixin, _name, _pointwise(_name))
