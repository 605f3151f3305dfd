"""More Tensor shape and indexing ops, composed from differentiable primitives: tile,
repeat_interleave, unfold (sliding windows), tensor_split, take/put, scatter, index_copy/fill,
masked_select/scatter and scatter_reduce.

Writes into a copy (scatter, index_copy, masked_scatter, put) go through one differentiable
set-item Function: the gradient of the overwritten positions is zero for the input and is
gathered back for the source.
"""

from __future__ import annotations

import builtins

import numpy as np

from .. import backend
from ..autograd.function import unbroadcast
from ..autograd.variable import Variable
from ..ops import shape as S
from ..ops.reduce import normalize_dim
from ..ops.shape import _full_index
from .arith import _SetItem, _where
from .convert import _as_tensor, _size, _to_array
from .shape import _index_array, check_index_range, one_element_form


class IndexMixin:
    """Further shape and indexing methods of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ shape
    def tile(self, *dims):
        """Repeat the tensor ``dims[i]`` times along dim i (missing leading dims count as 1)."""
        dims = _size(dims)
        if len(dims) < self.ndim:
            dims = (1,) * (self.ndim - len(dims)) + dims
        return self.repeat(*dims)

    def repeat_interleave(self, repeats, dim=None, *, output_size=None):
        """Repeat each element ``repeats`` times (an int, or one count per element) along
        ``dim`` (over the flattened tensor when None): [1, 2] -> [1, 1, 2, 2]."""
        x = self.reshape(-1) if dim is None else self
        d = 0 if dim is None else normalize_dim(dim, x.ndim, "repeat_interleave")
        n = x.shape[d] if x.ndim else 1
        r = (backend.to_numpy(repeats._data) if isinstance(repeats, Variable)
             else np.asarray(repeats))
        if r.ndim == 1 and r.shape[0] == 1:
            r = r.reshape(())
        if r.ndim and r.shape[0] != n:
            raise RuntimeError(f"repeat_interleave: repeats must have the same size as input "
                               f"along dim ({n}), got {r.shape[0]}")
        idx = np.repeat(np.arange(n), r)
        return x.index_select(d, Variable._make(backend.to_device(idx, x.device), False))

    def unfold(self, dimension, size, step):
        """All windows of ``size`` elements, ``step`` apart, along ``dimension``: that dim
        becomes the number of windows and a new last dim of length ``size`` holds each window."""
        d = normalize_dim(dimension, self.ndim, "unfold")
        n = self.shape[d] if self.ndim else 1
        if size > n:
            raise RuntimeError(f"unfold: size ({size}) must be <= the size of dimension {d} ({n})")
        if step <= 0:
            raise RuntimeError(f"unfold: step must be > 0, got {step}")
        x = self if self.ndim else self.reshape(1)
        starts = np.arange(0, n - size + 1, step)
        idx = (starts[:, None] + np.arange(size)[None, :]).reshape(-1)
        out = x.index_select(d, Variable._make(backend.to_device(idx, x.device), False))
        out = out.reshape(x.shape[:d] + (len(starts), size) + x.shape[d + 1:])
        out = out.movedim(d + 1, -1)
        return out if self.ndim else out.reshape(size)  # a 0-d tensor: its one window

    def tensor_split(self, indices_or_sections, dim=0):
        """Split into n nearly equal parts (the first n % size parts one larger), or at the
        given indices."""
        d = normalize_dim(dim, self.ndim, "tensor_split")
        n = self.shape[d]
        ios = indices_or_sections
        if isinstance(ios, Variable):
            ios = ios.tolist()
        if isinstance(ios, (builtins.int, np.integer)):
            k = builtins.int(ios)
            if k <= 0:
                raise RuntimeError(f"tensor_split: number of sections must be > 0, got {k}")
            q, r = divmod(n, k)
            sizes = [q + 1] * r + [q] * (k - r)
            bounds = np.cumsum([0] + sizes)
        else:
            bounds = [0] + [min(max(builtins.int(i), 0), n) for i in ios] + [n]
        return tuple(self.narrow(d, builtins.int(a), max(builtins.int(b) - builtins.int(a), 0))
                     for a, b in zip(bounds[:-1], bounds[1:]))

    def hsplit(self, sections):
        return self.tensor_split(sections, 1 if self.ndim > 1 else 0)

    def vsplit(self, sections):
        return self.tensor_split(sections, 0)

    def dsplit(self, sections):
        return self.tensor_split(sections, 2)

    def split_with_sizes(self, split_sizes, dim=0):
        return self.split(list(split_sizes), dim)

    def ravel(self):
        return self.reshape(-1)

    def moveaxis(self, source, destination):
        return self.movedim(source, destination)

    def fliplr(self):
        return self.flip(1)

    def flipud(self):
        return self.flip(0)

    def select(self, dim, index):
        d = normalize_dim(dim, self.ndim, "select")
        return self[(slice(None),) * d + (builtins.int(index),)]

    def narrow_copy(self, dim, start, length):
        return self.narrow(dim, start, length).clone()

    def sum_to_size(self, *size):
        """Sum broadcast dims away so the result has ``size``: the adjoint of expand (and of
        broadcasting), ``unbroadcast`` on a Tensor."""
        size = _size(size)
        lead = self.ndim - len(size)
        if lead < 0 or any(s != 1 and s != n for s, n in zip(size, self.shape[lead:])):
            raise RuntimeError(f"sum_to_size: size {list(size)} is not expandable to size "
                               f"{list(self.shape)}")
        return unbroadcast(self, size)

    def argwhere(self):
        return self.nonzero()

    # ------------------------------------------------------------------ gather-like reads
    def take(self, index):
        """Elements of the flattened tensor at ``index`` (any shape)."""
        return self.reshape(-1)[_index_array(index, "take")]

    def take_along_dim(self, indices, dim=None):
        """``gather`` with broadcasting: indices and input broadcast in every dim but ``dim``;
        a negative index counts from the end, as in Python (and PyTorch's take_along_dim)."""
        idx = (indices if isinstance(indices, Variable)
               else Variable._make(_to_array(indices), False))
        size = self.numel() if dim is None else self.shape[normalize_dim(dim, self.ndim,
                                                                          "take_along_dim")]
        a = _index_array(idx, "take_along_dim")
        if a.size and a.min() < 0:
            a = a.copy()
            a[(a < 0) & (a >= -size)] += size
            idx = Variable._make(a, False)
        if dim is None:
            return self.reshape(-1).gather(0, idx.reshape(-1))
        d = normalize_dim(dim, self.ndim, "take_along_dim")
        shape_x = list(self.shape)
        shape_i = list(idx.shape)
        shape_x[d] = shape_i[d] = 1
        b = np.broadcast_shapes(tuple(shape_x), tuple(shape_i))
        x = self.expand(b[:d] + (self.shape[d],) + b[d + 1:])
        i = idx.expand(b[:d] + (idx.shape[d],) + b[d + 1:])
        return x.gather(d, i)

    def masked_select(self, mask):
        """The elements where ``mask`` (broadcast with self) is True, as a 1-D tensor."""
        m = mask if isinstance(mask, Variable) else Variable._make(_to_array(mask), False)
        shape = np.broadcast_shapes(self.shape, m.shape)
        return self.expand(shape)[m.expand(shape)._data]

    # ------------------------------------------------------------------ out-of-place writes
    def scatter(self, dim, index, src=None, value=None, *, reduce=None):
        """Copy with out[..., index[i, j], ...] = src[i, j] along ``dim`` (``src`` a tensor or a
        number). ``reduce='add'``/``'multiply'`` combine instead of overwriting."""
        if src is None:
            src = value
        d = normalize_dim(dim, self.ndim, "scatter")
        vec = one_element_form(self, _index_array(index, "scatter"), src)
        if vec is not None:
            return vec[0].scatter(0, vec[1], vec[2], reduce=reduce).reshape(self.shape)
        idx = check_index_range(_index_array(index, "scatter"), self.shape[d], d, "scatter",
                                RuntimeError)
        if reduce is not None:
            mode = {"add": "sum", "multiply": "prod"}.get(reduce)
            if mode is None:
                raise RuntimeError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
            s = src if isinstance(src, Variable) else self.new_full(tuple(idx.shape), src)
            return self.scatter_reduce(d, index, s, mode)
        xp = backend.array_module(self._data)
        ix = _full_index(xp, d, idx)
        if isinstance(src, Variable):
            v = src[tuple(slice(0, s) for s in idx.shape)]
        else:
            v = Variable._make(xp.full(idx.shape, src, dtype=self.dtype), False)
        return _SetItem.apply(self, ix, v.to(self.dtype))

    def scatter_reduce(self, dim, index, src, reduce, *, include_self=True):
        """Combine ``src`` into a copy of self at ``index`` along ``dim`` with ``reduce`` in
        'sum', 'prod', 'mean', 'amax', 'amin' (self's own value counts unless
        ``include_self=False``). Differentiable for every reduction: amax and amin ties share
        the gradient evenly, and 'prod' handles zero factors, as in PyTorch."""
        d = normalize_dim(dim, self.ndim, "scatter_reduce")
        vec = one_element_form(self, _index_array(index, "scatter_reduce"), src)
        if vec is not None:
            return vec[0].scatter_reduce(0, vec[1], vec[2], reduce,
                                         include_self=include_self).reshape(self.shape)
        idx = check_index_range(_index_array(index, "scatter_reduce"), self.shape[d], d,
                                "scatter_reduce", RuntimeError)
        xp = backend.array_module(self._data)
        src = src[tuple(slice(0, s) for s in idx.shape)]
        ix = _full_index(xp, d, idx)
        touched = xp.zeros(self.shape, bool)
        touched[ix] = True
        t_mask = Variable._make(touched, False)
        base = self if include_self else _where(t_mask, 0, self).to(self.dtype)
        if reduce == "sum":
            return base.scatter_add(d, index, src)
        cnt = xp.zeros(self.shape, np.int64)
        np.add.at(cnt, ix, 1) if xp is np else xp.add.at(cnt, ix, 1)
        if include_self:
            cnt = cnt + 1
        if reduce == "mean":
            total = base.scatter_add(d, index, src)
            c = Variable._make(xp.maximum(cnt, 1).astype(self.dtype), False)
            out = total / c if self.dtype.kind == "f" else total.div(c, rounding_mode="floor")
            return _where(t_mask, out, self) if not include_self else out
        if reduce == "prod":
            return S.ScatterProd.apply(self, d, idx, src.to(self.dtype), include_self)
        if reduce in ("amax", "amin"):
            ufunc = {"amax": xp.maximum, "amin": xp.minimum}[reduce]
            res = self._data.copy()
            if not include_self:
                fill = {"amax": -np.inf, "amin": np.inf}[reduce]
                if self.dtype.kind != "f":
                    info = np.iinfo(self.dtype) if self.dtype.kind in "iu" else None
                    fill = (info.min if reduce == "amax" else info.max) if info else fill
                res[touched] = fill
            ufunc.at(res, ix, src._data)
            if not (self.requires_grad or src.requires_grad):
                return Variable._make(res, False)
            # A differentiable expression with the same value: the mean of the elements that
            # attain the extreme, so each of them receives an equal share of the gradient.
            r = Variable._make(res, False)
            hit_self = (self == r) if include_self else (self == r) & ~t_mask
            rs = r.gather(d, Variable._make(idx, False))
            hit_src = src == rs
            num = _where(hit_self, self, 0).scatter_add(d, index, _where(hit_src, src, 0))
            den = hit_self.to(self.dtype).scatter_add(d, index, hit_src.to(self.dtype))
            return _where(den > 0, num / _where(den > 0, den, 1.0), self)
        raise RuntimeError(f"scatter_reduce: reduce must be 'sum', 'prod', 'mean', 'amax' or "
                           f"'amin', got {reduce!r}")

    def index_reduce(self, dim, index, source, reduce, *, include_self=True):
        """Combine the slice ``source.select(dim, i)`` into ``self.select(dim, index[i])``
        with ``reduce`` in 'prod', 'mean', 'amax', 'amin' (self's own value counts unless
        ``include_self=False``; slices no index names keep self's values). It is
        ``scatter_reduce`` with ``index`` repeated across the other dims, so its gradients are
        scatter_reduce's: amax/amin ties share evenly, 'prod' handles zeros."""
        op = "index_reduce"
        if reduce not in ("prod", "mean", "amax", "amin"):
            raise RuntimeError(f"{op}(): Expected reduce to be one of prod, mean, amax or amin "
                               f"but got {reduce}.")
        d = normalize_dim(dim, self.ndim, op)
        idx = _index_array(index, op)
        if idx.ndim > 1:
            raise IndexError(f"{op}(): Index is supposed to be a vector, but got dim: "
                             f"{idx.ndim} with size: {list(idx.shape)}")
        if not isinstance(source, Variable):
            raise TypeError(f"{op}(): source must be a Tensor, got {type(source).__name__}")
        if source.dtype != self.dtype:
            raise RuntimeError(f"{op}(): self ({self.dtype}) and source ({source.dtype}) must "
                               f"have the same scalar type")
        if self.ndim == 0:  # a 0-d self and source: one slot
            return self.reshape(1).index_reduce(0, idx.reshape(-1), source.reshape(1), reduce,
                                                include_self=include_self).reshape(())
        n = source.shape[d] if source.ndim else 1
        if idx.size != n:
            raise RuntimeError(f"{op}(): Number of indices ({idx.size}) should be equal to "
                               f"source.size(dim): ({n}), for dim: {d}")
        if source.ndim != self.ndim or any(a != b for k, (a, b) in
                                           enumerate(zip(source.shape, self.shape)) if k != d):
            raise RuntimeError(f"{op}(): source tensor shape must match self tensor shape, "
                               f"excluding the specified dimension. Got self.shape = "
                               f"{list(self.shape)} source.shape = {list(source.shape)}")
        check_index_range(idx, self.shape[d], d, op, IndexError)
        shape = [1] * self.ndim
        shape[d] = n
        xp = backend.array_module(self._data)
        full = xp.ascontiguousarray(xp.broadcast_to(idx.reshape(shape), tuple(source.shape)))
        return self.scatter_reduce(d, Variable._make(full, False), source, reduce,
                                   include_self=include_self)

    def index_copy(self, dim, index, source):
        """Copy with the slices ``index[i]`` along ``dim`` replaced by the slices of source."""
        d = normalize_dim(dim, self.ndim, "index_copy")
        idx = _index_array(index, "index_copy")
        vec = one_element_form(self, idx, source)
        if vec is not None:
            return vec[0].index_copy(0, vec[1], vec[2]).reshape(self.shape)
        return _SetItem.apply(self, (slice(None),) * d + (idx,), _as_tensor(source, self))

    def index_fill(self, dim, index, value):
        """Copy with the slices ``index[i]`` along ``dim`` set to ``value``."""
        d = normalize_dim(dim, self.ndim, "index_fill")
        idx = _index_array(index, "index_fill")
        xp = backend.array_module(self._data)
        mask = xp.zeros(self.shape[d] if self.ndim else 1, bool)
        mask[idx] = True
        shape = [1] * self.ndim
        if self.ndim:
            shape[d] = self.shape[d]
        m = Variable._make(mask.reshape(shape), False)
        return self.masked_fill(m, value)

    def masked_scatter(self, mask, source):
        """Copy with the positions where ``mask`` is True filled, in order, from source."""
        m = mask if isinstance(mask, Variable) else Variable._make(_to_array(mask), False)
        shape = np.broadcast_shapes(tuple(self.shape), tuple(m.shape))  # both broadcast
        base = self if shape == tuple(self.shape) else self.expand(shape)
        mb = backend.array_module(m._data).broadcast_to(m._data, shape)
        count = builtins.int(mb.sum())
        if source.numel() < count:
            raise RuntimeError(f"masked_scatter: source has {source.numel()} elements but the "
                               f"mask selects {count}")
        return _SetItem.apply(base, mb, source.reshape(-1)[:count].to(self.dtype))

    def put(self, index, source, accumulate=False):
        """Copy with flat positions ``index`` set to (or, with accumulate, increased by) source."""
        idx = _index_array(index, "put").reshape(-1)
        flat = self.reshape(-1)
        src = _as_tensor(source, self).reshape(-1)
        if accumulate:
            out = flat.index_add(0, Variable._make(idx, False), src)
        else:
            out = _SetItem.apply(flat, idx, src)
        return out.reshape(self.shape)

    def index_put(self, indices, values, accumulate=False):
        """Copy with self[indices] = values (``indices`` a tuple of index tensors, as for
        ``x[i, j]``); with ``accumulate``, repeated positions add up."""
        idx = tuple(_index_or_mask(i) for i in indices)
        v = _as_tensor(values, self).to(self.dtype)
        if not accumulate:
            return _SetItem.apply(self, idx, v)
        # A boolean mask over k dims stands for its k arrays of True positions (as in x[mask]);
        # negative positions count from the end of their dim.
        ints = []
        for i in idx:
            a = np.asarray(backend.to_numpy(i))
            ints.extend(np.nonzero(a) if a.dtype == bool else (a,))
        k = len(ints)
        lead = self.shape[:k]
        b = np.broadcast_arrays(*[np.where(a < 0, a + n, a) for a, n in zip(ints, lead)])
        flat_idx = np.ravel_multi_index(tuple(b), lead).reshape(-1)
        rest = self.shape[k:]
        src = v.expand(b[0].shape + tuple(rest)).reshape((flat_idx.size,) + tuple(rest))
        flat = self.reshape((int(np.prod(lead)),) + tuple(rest))
        return flat.index_add(0, Variable._make(flat_idx, False), src).reshape(self.shape)

    def select_scatter(self, src, dim, index):
        """Copy with the slice ``select(dim, index)`` replaced by src."""
        d = normalize_dim(dim, self.ndim, "select_scatter")
        return _SetItem.apply(self, (slice(None),) * d + (builtins.int(index),),
                              _as_tensor(src, self).to(self.dtype))

    def slice_scatter(self, src, dim=0, start=None, end=None, step=1):
        """Copy with the slice ``start:end:step`` of ``dim`` replaced by src."""
        d = normalize_dim(dim, self.ndim, "slice_scatter")
        return _SetItem.apply(self, (slice(None),) * d + (slice(start, end, step),),
                              _as_tensor(src, self).to(self.dtype))

    def diagonal_scatter(self, src, offset=0, dim1=0, dim2=1):
        """Copy with ``diagonal(offset, dim1, dim2)`` replaced by src."""
        xp = backend.array_module(self._data)
        pos = xp.arange(self._data.size).reshape(self.shape)
        where_ = xp.diagonal(pos, offset, dim1, dim2)  # flat positions of the diagonal
        flat = _SetItem.apply(self.reshape(-1), where_.reshape(-1),
                              _as_tensor(src, self).to(self.dtype).reshape(-1))
        return flat.reshape(self.shape)

    def resize_(self, *sizes):
        """Give self a new shape in place, keeping its first elements (new ones are zero)."""
        self._data_inplace("resize_")
        size = _size(sizes)
        xp = backend.array_module(self._data)
        n = int(np.prod(size))
        flat = self._data.reshape(-1)
        if n == flat.size:
            self._data = flat.reshape(size)
        else:
            new = xp.zeros(n, self.dtype)
            m = min(n, flat.size)
            new[:m] = flat[:m]
            self._data = new.reshape(size)
        return self

    def resize_as_(self, other):
        return self.resize_(other.shape)

    def unsafe_chunk(self, chunks, dim=0):
        return self.chunk(chunks, dim)

    def unsafe_split(self, split_size, dim=0):
        return self.split(split_size, dim)

    def new_empty_strided(self, size, stride, dtype=None, device=None, requires_grad=False):
        return self.new_empty(tuple(size), dtype=dtype, requires_grad=requires_grad)


def _index_or_mask(i):
    if i is None:
        return slice(None)
    return i._data if isinstance(i, Variable) else np.asarray(i)
