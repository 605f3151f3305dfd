"""Sparse COO tensors: the coordinates and values of the stored entries (``torch.sparse_coo``).

A graph's adjacency matrix has N^2 slots but only E edges; storing it as ``indices`` (2, E) and
``values`` (E,) keeps memory and the cost of A @ X at O(E), not O(N^2). A ``SparseTensor`` of
size (s_1..s_k, d_1..d_m) holds

    indices  (sparse_dim = k, nnz)  int64   where the stored entries are
    values   (nnz, d_1..d_m)                their values (scalars, or dense blocks: "hybrid")

and stands for the dense tensor whose entry at ``indices[:, e]`` is the sum of the values stored
there (a position may repeat: the tensor is then *uncoalesced*; ``coalesce()`` sorts the
positions row-major and adds up the repeats).

Autograd sees a sparse tensor through its values: every op is written on the values Tensor, so a
gradient reaching a sparse tensor is the gradient of its values, and a sparse leaf's ``.grad``
is a sparse tensor on the leaf's own (coalesced) pattern. That is what PyTorch gives for
``torch.sparse.mm``, ``to_dense`` and ``torch.sparse.sum``; for ``torch.mm``/``matmul`` with a
sparse leaf PyTorch gives a dense gradient instead, which glassnet does not produce.
``autograd.grad`` and ``autograd.backward`` accept sparse outputs and inputs through the same
values (``_autograd_values``, ``_values_grad``, ``_grad_from_values``).

The CSR layout (glassnet/tensor/sparse_csr.py) is this class with the rows kept sorted and row
pointers beside the entries; everything written here on ``_ind`` and ``_v`` serves both, and
``_build``/``_with_values`` make results of the caller's layout.

The maths (products, arithmetic, sums, pointwise functions) is glassnet/tensor/sparse_math.py.
Ops that are not defined on sparse tensors raise ``NotImplementedError`` naming the op (as
PyTorch's "Could not run ... with arguments from the 'SparseCPU' backend"); ``to_dense()``
gives a dense tensor that supports everything.
"""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import backend
from ..ops import sparse as SP
from ..ops.reduce import normalize_dim
from ..ops.segment import ScatterSum, segments
from .convert import _size, _to_array
from .printing import PRINT_OPTS, _body
from .size import Size
from .sparse import _ERROR_NAMES, _wrong_layout, sparse_coo, sparse_csr
from .sparse_math import SparseMathMixin, _alias, _const, _gather_at
from .tensor import Tensor

__all__ = ["SparseTensor", "sparse_coo_tensor"]

_new = object.__new__


def _wrap(indices, values, size, coalesced):
    """A SparseTensor around raw ``indices`` (int64 array) and the Tensor ``values``."""
    t = _new(SparseTensor)
    t._ind, t._v, t._sz, t._co = indices, values, tuple(size), bool(coalesced)
    return t


def _values_tensor(values, dtype, op):
    if isinstance(values, Tensor):
        if getattr(values, "_sparse_layout", False):
            raise TypeError(f"{op}: values must be a dense tensor, got a sparse one")
        v = values
    else:
        v = _const(_to_array(values, dtype))
    d = backend.to_dtype(dtype)
    if d is not None and v.dtype != d:
        v = v.to(d)
    return v


def sparse_coo_tensor(indices, values, size=None, dtype=None, device=None, pin_memory=False,
                      requires_grad=False, check_invariants=None, is_coalesced=None):
    """A sparse COO tensor with entries ``values`` at ``indices`` (``torch.sparse_coo_tensor``).

    ``indices`` (sparse_dim, nnz) integers; ``values`` (nnz, *dense_dims); ``size`` defaults to
    one past the largest index in every sparse dim, then the dense dims of ``values``. Repeated
    positions add up (the tensor is uncoalesced until ``coalesce()``). Every index is checked
    against ``size`` (PyTorch checks only when ``check_invariants=True``).
    ``requires_grad=True`` makes a sparse leaf; values that require grad make a sparse tensor
    whose gradient flows back to them.

    Shape: indices (k, nnz), values (nnz, *D) -> size (s_1..s_k, *D).
    """
    op = "sparse_coo_tensor"
    ind = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    if ind.dtype.kind not in "iuf":
        raise TypeError(f"{op}: indices must be an integer tensor, got dtype {ind.dtype}")
    ind = ind.astype(backend.int64, copy=False)
    if ind.ndim != 2:
        raise RuntimeError(f"{op}: indices must be a 2-D tensor (sparse_dim, nnz), got shape "
                           f"{tuple(ind.shape)}")
    v = _values_tensor(values, dtype, op)
    if v.ndim == 0:
        raise RuntimeError(f"{op}: values must have a leading nnz dimension, got a 0-d tensor")
    k, nnz = ind.shape
    if v.shape[0] != nnz:
        raise RuntimeError(f"{op}: indices and values must have same nnz, but got nnz from "
                           f"indices: {nnz}, nnz from values: {v.shape[0]}")
    dense = tuple(v.shape[1:])
    if nnz and k and int(ind.min()) < 0:
        d = int(np.argmax((ind < 0).any(axis=1)))
        raise RuntimeError(f"{op}: found negative index {int(ind[d].min())} for dim {d}")
    if size is None:
        top = ind.max(axis=1) + 1 if nnz and k else np.zeros(k, backend.int64)
        size = tuple(builtins.int(s) for s in top) + dense
    else:
        size = _size((size,))
        if len(size) != k + len(dense):
            raise RuntimeError(f"{op}: 'len(size) == sparse_dim + dense_dim' is not satisfied: "
                               f"len(size) = {len(size)}, sparse_dim = {k}, dense_dim = "
                               f"{len(dense)}")
        if size[k:] != dense:
            raise RuntimeError(f"{op}: values has incorrect size, expected "
                               f"{[nnz, *size[k:]]}, got {[nnz, *dense]}")
        if nnz and k:
            top = ind.max(axis=1)
            for d in range(k):
                if top[d] >= size[d]:
                    raise RuntimeError(f"{op}: size is inconsistent with indices: for dim {d}, "
                                       f"size is {size[d]} but found index {int(top[d])}")
    if device is not None:
        ind = backend.to_device(ind, device)
        v = v.to(device)
    if requires_grad:
        v = _const(v._data).requires_grad_(True)
    else:
        v = _alias(v)
    co = nnz <= 1 if is_coalesced is None else bool(is_coalesced)
    return _wrap(ind, v, size, co)


def _rebuild(indices, values, size, requires_grad, coalesced):
    """A sparse leaf from its arrays (unpickling, deepcopy)."""
    return _wrap(indices, _const(values).requires_grad_(requires_grad), size, coalesced)


# Where PyTorch answers a sparse tensor with a RuntimeError rather than NotImplementedError.
_RUNTIME_ERRORS = {"reshape", "reshape_as", "item"}


def _unsupported(name):
    def stub(self, *args, **kwargs):
        raise self._refusal(name)

    stub.__name__ = name
    return stub


class SparseTensor(SparseMathMixin, Tensor, sparse_layout=sparse_coo):
    """A sparse COO tensor (``layout == glassnet.sparse_coo``); make one with
    ``glassnet.sparse_coo_tensor`` or ``dense.to_sparse()``."""

    __slots__ = ("_co", "_ind", "_sz", "_v")
    is_sparse = True
    _sparse_layout = True
    _crow = None  # CSR's row pointers (glassnet/tensor/sparse_csr.py); COO has none
    _kind = "sparse COO"
    _runtime_errors = _RUNTIME_ERRORS

    @classmethod
    def _build(cls, indices, values, size, coalesced):
        """A sparse tensor of this class from raw ``indices`` (k, nnz) and the Tensor
        ``values``."""
        return _wrap(indices, values, size, coalesced)

    def _with_values(self, values):
        """This tensor's pattern with other ``values`` (a Tensor of the same length)."""
        return _wrap(self._ind, values, self._sz, self._co)

    def _coalesced(self):
        """The same tensor with every position stored once, in row-major order."""
        return self.coalesce()

    def _refusal(self, name):
        """The error for a dense-only op called on this tensor, of PyTorch's type."""
        err = RuntimeError if name in self._runtime_errors else NotImplementedError
        return err(f"{name}: not supported for {self._kind} tensors (layout={self.layout!r}); "
                   "convert with .to_dense() first")

    def __init__(self, *args, **kwargs):
        raise TypeError("SparseTensor: build one with glassnet.sparse_coo_tensor(indices, "
                        "values, size) or dense.to_sparse()")

    @classmethod
    def from_dense(cls, dense, sparse_dim=None):
        """The nonzero entries of ``dense`` (any element nonzero, for hybrid blocks)."""
        n = dense.ndim
        k = n if sparse_dim is None else builtins.int(sparse_dim)
        if not 0 <= k <= n:
            raise RuntimeError(f"to_sparse: sparse_dim must be in [0, {n}] for a {n}-D tensor, "
                               f"got {k}")
        xp = backend.array_module(dense._data)
        nz = dense._data != 0
        if k < n:
            nz = nz.any(axis=tuple(range(k, n)))
        ind = xp.stack(xp.nonzero(nz)).astype(backend.int64) if k else \
            xp.zeros((0, 1 if bool(nz) else 0), backend.int64)
        return _wrap(ind, _gather_at(dense, ind, k), dense.shape, True)

    # ------------------------------------------------------------------ what it is
    @property
    def _data(self):
        raise NotImplementedError(f"this operation is not supported for {self._kind} tensors "
                                  f"(layout={self.layout!r}); convert with .to_dense() first")

    @property
    def layout(self):
        return sparse_coo

    @property
    def shape(self):
        return Size(self._sz)

    def size(self, dim=None):
        return Size(self._sz) if dim is None else self._sz[normalize_dim(dim, len(self._sz),
                                                                         "size")]

    @property
    def ndim(self):
        return len(self._sz)

    def dim(self):
        return len(self._sz)

    ndimension = dim

    def numel(self):
        return math.prod(self._sz)

    nelement = numel

    def __len__(self):
        if not self._sz:
            raise TypeError("len() of a 0-d tensor")
        return self._sz[0]

    @property
    def dtype(self):
        return self._v.dtype

    @property
    def device(self):
        return self._v.device

    def is_floating_point(self):
        return self._v.is_floating_point()

    def sparse_dim(self):
        return self._ind.shape[0]

    def dense_dim(self):
        return self._v.ndim - 1

    def _nnz(self):
        return self._ind.shape[1]

    def is_coalesced(self):
        return self._co

    def _indices(self):
        return _const(self._ind)

    def _values(self):
        return self._v.detach()

    def indices(self):
        self._need_coalesced("indices")
        return _const(self._ind)

    def values(self):
        """The stored values (coalesced tensors only); differentiable, like PyTorch's."""
        self._need_coalesced("values")
        return _alias(self._v)

    def _need_coalesced(self, what):
        if not self._co:
            raise RuntimeError(f"Cannot get {what} on an uncoalesced tensor, please call "
                               ".coalesce() first")

    def __bool__(self):
        if self.numel() != 1:
            raise RuntimeError(f"Boolean value of a Tensor with {self.numel()} elements is "
                               "ambiguous")
        return builtins.bool(self._v._data.sum())

    def is_contiguous(self, memory_format=None):
        return False

    def contiguous(self, memory_format=None):
        return self

    def crow_indices(self):
        raise _wrong_layout("crow_indices", "csr", self.layout)

    def col_indices(self):
        raise _wrong_layout("col_indices", "csr", self.layout)

    def numpy(self):
        raise TypeError(f"can't convert {_ERROR_NAMES[self.layout.name]} layout tensor to "
                        "numpy. Use Tensor.to_dense() first.")

    def __array__(self, dtype=None, copy=None):
        self.numpy()

    def __repr__(self):
        return _sparse_repr(self)

    def _repr_arrays(self):
        return [("indices", self._ind), ("values", self._v._data)]

    def __format__(self, spec):
        return format(repr(self), spec)

    def __reduce_ex__(self, proto):
        return _rebuild, (self._ind, self._v._data, self._sz, self.requires_grad, self._co)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("deepcopy: only sparse tensors created explicitly by the user "
                               "(graph leaves) support the deepcopy protocol")
        rebuild, args = self.__reduce_ex__(2)
        out = rebuild(*[a.copy() if hasattr(a, "copy") else a for a in args])
        memo[id(self)] = out
        return out

    # ------------------------------------------------------------------ autograd
    @property
    def requires_grad(self):
        return self._v.requires_grad

    @requires_grad.setter
    def requires_grad(self, flag):
        self.requires_grad_(flag)

    def requires_grad_(self, requires_grad=True):
        if self._v.grad_fn is not None and not requires_grad:
            raise RuntimeError("requires_grad_: you can only change requires_grad of leaf "
                               "tensors; use .detach() for a non-leaf")
        self._v.requires_grad_(requires_grad)
        return self

    @property
    def grad_fn(self):
        return self._v.grad_fn

    @property
    def is_leaf(self):
        return self._v.grad_fn is None

    @property
    def grad(self):
        """A sparse leaf's gradient: a sparse tensor on the leaf's coalesced pattern."""
        g = self._v.grad
        return None if g is None else self._grad_from_values(_const(g._data))

    # ------------------------------------------------------------------ autograd's view
    # The autograd engine (glassnet/autograd/engine.py) sees a sparse tensor through these.
    @property
    def _autograd_values(self):
        """The Tensor that carries this sparse tensor's place in the graph: its values."""
        return self._v

    def _grad_from_values(self, g):
        """The gradient of this tensor, as a sparse tensor of its layout, from the gradient
        ``g`` (a Tensor) of its values: on its own pattern, coalesced."""
        if self._co:
            return self._with_values(g)
        ind, inverse, n = SP.unique_positions(self._ind, self._sz[:self.sparse_dim()])
        xp = backend.array_module(inverse)
        first = xp.empty(n, dtype=backend.int64)  # every repeat of a position has its gradient
        first[inverse[::-1]] = xp.arange(inverse.shape[0] - 1, -1, -1)
        return self._build(ind, g[_const(first)], self._sz, True)

    def _values_grad(self, g):
        """A gradient given for this tensor (dense of its shape, or sparse) read at its
        stored positions: the gradient of its values."""
        if getattr(g, "_sparse_layout", False):
            g = g.to_dense()
        elif not isinstance(g, Tensor):
            g = _const(backend.array_module(self._ind).asarray(g))
        if tuple(g.shape) != self._sz:
            raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output "
                               f"has shape {self._sz}")
        return _gather_at(g, self._ind, self.sparse_dim())

    @grad.setter
    def grad(self, value):
        if value is not None:
            raise RuntimeError("grad: a sparse tensor's gradient can only be cleared (set to "
                               "None)")
        self._v.grad = None

    @property
    def data(self):
        return self.detach()

    def detach(self):
        return self._with_values(self._v.detach())

    def clone(self):
        return _wrap(self._ind.copy(), self._v.clone(), self._sz, self._co)

    def to(self, *args, **kwargs):
        v = self._v.to(*args, **kwargs)
        if v is self._v:
            return self
        out = self._with_values(v)
        if v.device != self.device:
            out._ind = backend.to_device(self._ind, v.device)
            if out._crow is not None:
                out._crow = backend.to_device(self._crow, v.device)
        return out

    def copy_(self, src, non_blocking=False):
        """Take the entries of ``src``, a sparse tensor of this layout and size (PyTorch's
        ``copy_`` between sparse tensors, which ``load_state_dict`` uses): this tensor stays
        the same object, so a sparse Parameter stays registered where it is."""
        if not getattr(src, "_sparse_layout", False) or src.layout is not self.layout:
            raise RuntimeError(f"copy_: expected a source of layout {self.layout!r}, got "
                               f"{getattr(src, 'layout', type(src).__name__)!r}")
        if src._sz != self._sz:
            raise RuntimeError(f"copy_: sizes do not match: {list(self._sz)} and "
                               f"{list(src._sz)}")
        if self._crow is not None and src._nnz() != self._nnz():
            raise RuntimeError(f"copy_: only sparse compressed tensors with the same number of "
                               f"specified elements are supported (got {src._nnz()} and "
                               f"{self._nnz()})")
        self._ind, self._co = src._ind.copy(), src._co
        if self._crow is not None:
            self._crow = src._crow.copy()
        xp = backend.array_module(self._ind)
        self._v._data = xp.array(src._v._data, dtype=self._v._data.dtype, copy=True)
        return self

    # ------------------------------------------------------------------ layout changes
    def coalesce(self):
        """Positions sorted row-major, repeats summed (a segment sum over the repeats, whose
        gradient hands every repeat the gradient of its position)."""
        if self._co:
            return self
        k = self.sparse_dim()
        ind, inverse, n = SP.unique_positions(self._ind, self._sz[:k])
        v = ScatterSum.apply(self._v, segments(inverse, n))
        return _wrap(ind, v, self._sz, True)

    def to_dense(self, dtype=None, *, masked_grad=None):
        """The dense tensor: the values scatter-summed into zeros. Its gradient reads the dense
        gradient at the stored positions (the pattern)."""
        k = self.sparse_dim()
        n = math.prod(self._sz[:k])
        key = SP.linear_index(self._ind, self._sz[:k])
        out = ScatterSum.apply(self._v, segments(key, n)).reshape(self._sz)
        return out if dtype is None else out.to(dtype)

    def to_sparse(self, sparse_dim=None, *, layout=None, blocksize=None, dense_dim=None):
        if layout is sparse_csr:
            return self.to_sparse_csr(dense_dim)
        if layout is not None and layout is not sparse_coo:
            raise NotImplementedError(f"to_sparse: layout {layout!r} is not supported; glassnet "
                                      "has sparse_coo and sparse_csr")
        if sparse_dim is not None and sparse_dim != self.sparse_dim():
            raise RuntimeError("to_sparse: conversion from Sparse to Sparse with sparse_dim "
                               "argument != self.sparse_dim() is not supported")
        return self

    to_sparse_coo = to_sparse

    def to_sparse_csr(self, dense_dim=None):
        """This matrix as a sparse CSR tensor (coalesced first); gradients flow back to these
        values."""
        return self._sparse_types["sparse_csr"].from_coo(self, dense_dim)

    def _masked(self, dense):
        """``dense.sparse_mask(self)``: dense read at this tensor's positions."""
        if tuple(dense.shape) != self._sz:
            raise RuntimeError(f"sparse_mask: expected the dense tensor to have the mask's size "
                               f"{list(self._sz)}, got {list(dense.shape)}")
        s = self._coalesced()
        return s._with_values(_gather_at(dense, s._ind, s.sparse_dim()))

    def t(self):
        if self.sparse_dim() > 2 or self.dense_dim():
            raise RuntimeError(f"t() expects a tensor with <= 2 sparse and 0 dense dimensions, "
                               f"but got {self.sparse_dim()} sparse and {self.dense_dim()} dense "
                               "dimensions")
        return self if self.ndim < 2 else self.transpose(0, 1)

    @property
    def T(self):
        return self.t()

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def transpose(self, dim0, dim1):
        n, k = self.ndim, self.sparse_dim()
        d0, d1 = normalize_dim(dim0, n, "transpose"), normalize_dim(dim1, n, "transpose")
        if d0 >= k or d1 >= k:
            raise RuntimeError(f"sparse transpose: transposed dimensions must be sparse Got "
                               f"sparse_dim: {k}, d0: {d0}, d1: {d1}")
        order = list(range(k))
        order[d0], order[d1] = order[d1], order[d0]
        size = list(self._sz)
        size[d0], size[d1] = size[d1], size[d0]
        return _wrap(self._ind[order], _alias(self._v), size, self._co and d0 == d1)

    swapaxes = swapdims = transpose


# Everything else a dense Tensor has fails with a clear error naming the op.
_KEEP = {"H", "mH", "cpu", "cuda", "double", "float", "half", "long", "int", "bool", "short",
         "char", "byte", "bfloat16", "type", "type_as", "is_cuda", "is_cpu", "get_device",
         "is_complex", "is_conj", "is_neg", "is_same_size", "new_tensor", "to_sparse_coo",
         "sparse_dim", "dense_dim", "sparse_mask", "is_sparse_csr"}
_DUNDER_BLOCKED = {"__and__", "__bool__", "__eq__", "__float__", "__floordiv__", "__ge__",
                   "__getitem__", "__gt__", "__iadd__", "__iand__", "__ifloordiv__", "__imatmul__",
                   "__imod__", "__imul__", "__index__", "__int__", "__invert__", "__ior__",
                   "__ipow__", "__isub__", "__iter__", "__itruediv__", "__ixor__", "__le__",
                   "__lshift__", "__lt__", "__mod__", "__ne__", "__or__", "__pos__", "__rand__",
                   "__rfloordiv__", "__rmod__", "__ror__", "__rpow__", "__rshift__",
                   "__rtruediv__", "__rxor__", "__setitem__", "__xor__"}


def _block_dense_only():
    own = {n for c in (SparseTensor, SparseMathMixin) for n in c.__dict__}
    for name in dir(Tensor):
        if name in own or name in _KEEP or (name.startswith("_")
                                            and name not in _DUNDER_BLOCKED):
            continue
        attr = getattr(Tensor, name, None)
        if isinstance(attr, property):
            setattr(SparseTensor, name, property(_unsupported(name)))
        elif callable(attr):
            setattr(SparseTensor, name, _unsupported(name))


_block_dense_only()


def _sparse_repr(t):
    """PyTorch's form: ``tensor(indices=..., values=..., size=..., nnz=..., layout=...)`` for
    COO, ``tensor(crow_indices=..., col_indices=..., values=..., size=...)`` for CSR: the
    stored arrays one per line, then the suffixes, which COO starts on a new line and CSR
    continues after the values while they fit in the line width."""
    indent = len("tensor(")
    fields = []
    for name, a in t._repr_arrays():
        head = f"{name}=tensor("
        if a.size == 0:
            body = f"[], size={tuple(a.shape)}"
        else:
            body = _body(backend.to_numpy(a), indent + len(head))
        fields.append(head + body + ")")
    text = "tensor(" + (",\n" + " " * indent).join(fields)
    parts = [f"size={t._sz}", f"nnz={t._nnz()}"]
    if t.dtype not in (backend.get_default_dtype(), backend.int64, backend.bool_):
        parts.append(f"dtype=glassnet.{t.dtype}")
    if t.device.type != "cpu":
        parts.insert(0, f"device='{t.device}'")
    parts.append(f"layout={t.layout!r}")
    if t.grad_fn is not None:
        parts.append(f"grad_fn={t.grad_fn!r}")
    elif t.requires_grad:
        parts.append("requires_grad=True")
    # PyTorch's _add_suffixes: a suffix goes on a new line when it would pass the line width.
    force = t.layout is sparse_coo
    last = len(text) - text.rfind("\n") + 1
    for p in parts:
        if force or last + len(p) + 2 > PRINT_OPTS.linewidth:
            text += ",\n" + " " * indent + p
            last = indent + len(p)
            force = False
        else:
            text += ", " + p
            last += len(p) + 2
    return text + ")"
