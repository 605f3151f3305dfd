"""Tensor shape ops (reshape, permute, expand, split, ...) and indexing (ints, slices, integer
arrays, boolean masks, gather, scatter). Each applies a Function from ``glassnet.ops.shape``."""

from __future__ import annotations

import builtins
import re

import numpy as np

from .. import backend
from ..autograd.variable import Variable
from ..ops import shape as S
from ..ops.reduce import normalize_dim, normalize_dims
from .convert import _as_tensor, _size, _to_array


class ShapeMixin:
    """Shape and indexing methods of Tensor."""

    __slots__ = ()

    # ------------------------------------------------------------------ shape
    def reshape(self, *shape):
        shape = _size(shape)
        if shape == self._data.shape:
            return self
        if shape.count(-1) > 1:
            raise RuntimeError(f"reshape: only one dimension can be inferred (-1), got shape "
                               f"{list(shape)}")
        try:
            return S.Reshape.apply(self, shape)
        except ValueError:
            raise RuntimeError(f"reshape: shape {list(shape)} is invalid for input of size "
                               f"{self._data.size} (shape {tuple(self.shape)})") from None

    def view(self, *shape):
        if len(shape) == 1 and not isinstance(shape[0], (int, tuple, list)):
            return self.to(shape[0])
        return self.reshape(*shape)

    def view_as(self, other):
        return self.reshape(other.shape)

    reshape_as = view_as

    def flatten(self, start_dim=0, end_dim=-1):
        if self.ndim == 0:
            return self.reshape(1)
        s = normalize_dim(start_dim, self.ndim, "flatten")
        e = normalize_dim(end_dim, self.ndim, "flatten")
        if s > e:
            raise RuntimeError(f"flatten: start_dim cannot come after end_dim, got "
                               f"start_dim={start_dim} and end_dim={end_dim} for a tensor of "
                               f"shape {tuple(self.shape)}")
        shape = self.shape[:s] + (int(np.prod(self.shape[s:e + 1])),) + self.shape[e + 1:]
        return self.reshape(shape)

    def unflatten(self, dim, sizes):
        d = normalize_dim(dim, self.ndim, "unflatten")
        sizes = tuple(sizes)
        known = int(np.prod([k for k in sizes if k != -1]))
        n = self.shape[d]
        if (n != known) if -1 not in sizes else (known == 0 or n % known):
            raise RuntimeError(f"unflatten: provided sizes {list(sizes)} don't multiply up to "
                               f"the size of dim {dim} ({n}) in the input tensor of shape "
                               f"{tuple(self.shape)}")
        return self.reshape(self.shape[:d] + tuple(sizes) + self.shape[d + 1:])

    def permute(self, *dims):
        dims = tuple(_size(dims))
        if sorted(d % max(self.ndim, 1) for d in dims) != list(range(self.ndim)):
            raise RuntimeError(f"permute: dims {dims} is not a permutation of the {self.ndim} "
                               f"dimensions of a tensor of shape {tuple(self.shape)}")
        dims = tuple(d % self.ndim for d in dims)
        if dims == tuple(range(self.ndim)):
            return self
        return S.Permute.apply(self, dims)

    def transpose(self, dim0, dim1):
        n = self.ndim
        if n == 0:
            return self
        perm = list(range(n))
        d0, d1 = normalize_dim(dim0, n, "transpose"), normalize_dim(dim1, n, "transpose")
        perm[d0], perm[d1] = perm[d1], perm[d0]
        return self.permute(*perm)

    swapaxes = swapdims = transpose

    def t(self):
        if self.ndim > 2:
            raise RuntimeError(f"t: expects a tensor with <= 2 dimensions, got {self.ndim}")
        return self.transpose(0, 1) if self.ndim == 2 else self

    def movedim(self, source, destination):
        """Move dim(s) ``source`` to position(s) ``destination`` (ints or equal-length
        sequences); the other dims keep their order."""
        src = (source,) if isinstance(source, int) else tuple(source)
        dst = (destination,) if isinstance(destination, int) else tuple(destination)
        if len(src) != len(dst):
            raise RuntimeError(f"movedim: Invalid source or destination dims: source ({list(src)}"
                               f" dims) should contain the same number of dims as destination "
                               f"({list(dst)} dims)")
        src = [normalize_dim(d, self.ndim, "movedim") for d in src]
        dst = [normalize_dim(d, self.ndim, "movedim") for d in dst]
        if len(set(src)) != len(src) or len(set(dst)) != len(dst):
            raise RuntimeError(f"movedim: repeated dim in source {src} or destination {dst}")
        order = [d for d in range(self.ndim) if d not in src]
        for s_, t in sorted(zip(src, dst), key=lambda p: p[1]):
            order.insert(t, s_)
        return self.permute(*order) if self.ndim else self

    def squeeze(self, dim=None):
        if dim is None:
            shape = tuple(s for s in self.shape if s != 1)
        else:
            dims = normalize_dims(dim, self.ndim, "squeeze")
            shape = tuple(s for i, s in enumerate(self.shape) if not (i in dims and s == 1))
        return self.reshape(shape)

    def unsqueeze(self, dim):
        n = self.ndim + 1
        if not -n <= dim < n:
            raise IndexError(f"unsqueeze: dim {dim} out of range (expected -{n} <= dim < {n})")
        d = dim % n
        return self.reshape(self.shape[:d] + (1,) + self.shape[d:])

    def expand(self, *sizes):
        sizes = _size(sizes)
        lead = len(sizes) - self.ndim
        if lead < 0:
            raise RuntimeError(f"expand: the number of sizes ({len(sizes)}) must be >= the "
                               f"number of dimensions ({self.ndim})")
        shape = tuple(self.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
        if shape == self.shape:
            return self
        try:
            np.broadcast_shapes(self.shape, shape)
        except ValueError:
            raise RuntimeError(f"expand: the expanded size {list(shape)} must match the existing "
                               f"size {list(self.shape)} at non-singleton dimensions") from None
        return S.Expand.apply(self, shape)

    def expand_as(self, other):
        return self.expand(other.shape)

    broadcast_to = expand

    def repeat(self, *sizes):
        sizes = _size(sizes)
        if len(sizes) < self.ndim:
            raise RuntimeError(f"repeat: number of dimensions of repeat dims ({len(sizes)}) can "
                               f"not be smaller than number of dimensions of tensor "
                               f"({self.ndim}, shape {tuple(self.shape)})")
        if min(sizes, default=0) < 0:
            raise RuntimeError(f"repeat: repeats can not be negative, got {list(sizes)}")
        x = self.reshape((1,) * (len(sizes) - self.ndim) + self.shape)
        shp = []
        exp = []
        for r, s in zip(sizes, x.shape):
            shp += [1, s]
            exp += [r, s]
        out = x.reshape(shp).expand(exp)
        return out.reshape(tuple(r * s for r, s in zip(sizes, x.shape)))

    def split(self, split_size_or_sections, dim=0):
        d = normalize_dim(dim, self.ndim, "split")
        n = self.shape[d]
        if isinstance(split_size_or_sections, int):
            k = split_size_or_sections
            if k <= 0:
                raise ValueError(f"split: split_size must be positive, got {k}")
            sizes = [k] * (n // k) + ([n % k] if n % k else [])
            if n == 0:
                sizes = [0]
        else:
            sizes = list(split_size_or_sections)
            if sum(sizes) != n:
                raise RuntimeError(f"split: split sizes {sizes} sum to {sum(sizes)} but dimension "
                                   f"{d} has size {n}")
        out = S.Split.apply(self, sizes, d)
        return out if isinstance(out, tuple) else (out,)

    def chunk(self, chunks, dim=0):
        n = self.shape[normalize_dim(dim, self.ndim, "chunk")]
        if chunks <= 0:
            raise RuntimeError(f"chunk: expects `chunks` to be greater than 0, got: {chunks}")
        k = -(-n // chunks) if n else 1
        return self.split(max(k, 1), dim)

    def unbind(self, dim=0):
        d = normalize_dim(dim, self.ndim, "unbind")
        return tuple(p.squeeze(d) for p in self.split(1, d))

    def narrow(self, dim, start, length):
        """The view ``x[..., start:start + length, ...]`` along ``dim``; a negative ``start``
        counts from the end of the dim (``start + size``)."""
        d = normalize_dim(dim, self.ndim, "narrow")
        n = self.shape[d]
        start, length = builtins.int(start), builtins.int(length)
        if not -n <= start <= n:
            raise IndexError(f"narrow: start out of range (expected to be in range of "
                             f"[{-n}, {n}], but got {start})")
        if start < 0:
            start += n
        if length < 0 or start + length > n:
            raise RuntimeError(f"narrow: start ({start}) + length ({length}) exceeds dimension "
                               f"size ({n}) or length is negative")
        idx = [slice(None)] * self.ndim
        idx[d] = slice(start, start + length)
        return self[tuple(idx)]

    def flip(self, *args, dims=None):
        dims = tuple(normalize_dim(d, self.ndim, "flip") for d in _size(args if dims is None
                                                                          else (dims,)))
        return S.Flip.apply(self, dims if self.ndim else ())

    def roll(self, shifts, dims=None):
        return S.Roll.apply(self, shifts, dims)

    def rot90(self, k=1, dims=(0, 1)):
        """Rotate by 90 degrees k times in the plane ``dims`` (from the first towards the second
        axis, as torch.rot90): a transpose followed by a flip, so the gradient is exact."""
        if len(dims) != 2:
            raise RuntimeError(f"rot90: expected 2 dims, got {len(dims)}")
        d0, d1 = (d % self.ndim for d in dims)
        if d0 == d1:
            raise RuntimeError(f"rot90: dims must be different, got {tuple(dims)}")
        k %= 4
        if k == 0:
            return self
        if k == 2:
            return self.flip(d0, d1)
        if k == 1:
            return self.flip(d1).transpose(d0, d1)
        return self.transpose(d0, d1).flip(d1)

    # ------------------------------------------------------------------ indexing
    def __getitem__(self, idx):
        idx = _unwrap_index(idx)
        if isinstance(idx, tuple) and len(idx) > 1:
            split = _split_index(idx)
            if split is not None:  # ints are applied before arrays, as in PyTorch
                return self[split[0]][split[1]]
        try:
            return S.GetItem.apply(self, idx)
        except IndexError as e:
            raise index_error(e, self.shape) from None

    def gather(self, dim, index):
        d = normalize_dim(dim, self.ndim, "gather")
        idx = _index_array(index, "gather")
        vec = one_element_form(self, idx, None)
        if vec is not None:
            return vec[0].gather(0, vec[1]).reshape(idx.shape)
        if idx.size == 0:  # an empty index picks nothing, whatever its shape
            return self.reshape(-1)[:0].reshape(idx.shape)
        if idx.ndim != self.ndim:
            raise RuntimeError(f"gather: index has {idx.ndim} dimensions but input has {self.ndim}")
        check_index_range(idx, self.shape[d], d, "gather", RuntimeError)
        return S.Gather.apply(self, d, idx)

    def scatter_add(self, dim, index, src):
        d = normalize_dim(dim, self.ndim, "scatter_add")
        vec = one_element_form(self, _index_array(index, "scatter_add"), src)
        if vec is not None:
            return vec[0].scatter_add(0, vec[1], vec[2]).reshape(self.shape)
        idx = check_index_range(_index_array(index, "scatter_add"), self.shape[d], d,
                                "scatter_add", RuntimeError)
        return S.ScatterAdd.apply(self, d, idx, _as_tensor(src, self))

    def index_select(self, dim, index):
        d = normalize_dim(dim, self.ndim, "index_select")
        idx = _index_array(index, "index_select")
        if self.ndim == 0:
            return self.reshape(1).index_select(0, idx.reshape(-1)).reshape(())
        idx = check_index_range(idx.reshape(-1) if idx.ndim == 0 else idx, self.shape[d], d,
                                "index_select", IndexError)
        return S.IndexSelect.apply(self, d, idx)

    def index_add(self, dim, index, source, alpha=1):
        d = normalize_dim(dim, self.ndim, "index_add")
        vec = one_element_form(self, _index_array(index, "index_add"), source)
        if vec is not None:
            return vec[0].index_add(0, vec[1], vec[2], alpha=alpha).reshape(self.shape)
        return S.IndexAdd.apply(self, d, _index_array(index, "index_add"), _as_tensor(source, self), alpha)

    def nonzero(self, as_tuple=False):
        xp = backend.array_module(self._data)
        if self.ndim == 0:  # one position with no coordinates, if the value is nonzero
            n = builtins.int(builtins.bool(self._data))
            if as_tuple:
                return (Variable._make(xp.zeros(n, backend.int64), False),)
            return Variable._make(xp.zeros((n, 0), backend.int64), False)
        nz = xp.nonzero(self._data)
        if as_tuple:
            return tuple(Variable._make(i.astype(backend.int64), False) for i in nz)
        return Variable._make(xp.stack(nz, axis=1).astype(backend.int64), False)

    def unique(self, sorted=True, return_inverse=False, return_counts=False, dim=None):
        """The distinct values (sorted), optionally with the index of each element's value
        (``return_inverse``) and how often each occurs (``return_counts``); with ``dim``, the
        distinct slices along that dim."""
        xp = backend.array_module(self._data)
        a = self._data
        if dim is not None:
            d = normalize_dim(dim, self.ndim, "unique")
            u, inv, cnt = xp.unique(a, return_inverse=True, return_counts=True, axis=d)
        else:
            u, inv, cnt = xp.unique(a, return_inverse=True, return_counts=True)
            inv = inv.reshape(a.shape)
        return _unique_result(u, inv, cnt, return_inverse, return_counts)

    def unique_consecutive(self, return_inverse=False, return_counts=False, dim=None):
        """Collapse runs of equal consecutive values (or slices along ``dim``) to one."""
        xp = backend.array_module(self._data)
        d = 0 if dim is None else normalize_dim(dim, self.ndim, "unique_consecutive")
        a = self._data.reshape(-1) if dim is None else self._data
        n = a.shape[d] if a.ndim else 1
        if n == 0:  # the inverse has one entry per slice along dim (none here)
            inv = xp.zeros(self.shape if dim is None else (0,), np.int64)
            return _unique_result(a, inv, xp.zeros(0, np.int64), return_inverse, return_counts)
        prev = xp.take(a, xp.arange(n - 1), axis=d)
        nxt = xp.take(a, xp.arange(1, n), axis=d)
        other = tuple(i for i in range(a.ndim) if i != d)
        change = (prev != nxt).any(axis=other) if other else prev != nxt
        starts = xp.concatenate([xp.zeros(1, bool), change])
        group = xp.cumsum(starts)
        first = xp.nonzero(xp.concatenate([xp.ones(1, bool), change]))[0]
        u = xp.take(a, first, axis=d)
        cnt = xp.diff(xp.concatenate([first, xp.asarray([n])]))
        inv = group.reshape(self.shape) if dim is None else group
        return _unique_result(u, inv, cnt, return_inverse, return_counts)


# ----------------------------------------------------------------------------- joins
# The bodies of glassnet.cat and glassnet.stack, which Tensor methods use too.
def _joinable(tensors, op):
    """The tensors to join, as Tensors of one dtype (promoted as PyTorch promotes)."""
    ts = [t if isinstance(t, Variable) else Variable._make(_to_array(t), False) for t in tensors]
    if not ts:  # PyTorch: a ValueError from cat, a RuntimeError from stack
        raise (ValueError if op == "cat" else RuntimeError)(
            f"{op}: expected a non-empty list of tensors, got {list(tensors)!r}")
    dts = {t.dtype for t in ts}
    if len(dts) > 1:
        dt = ts[0].dtype
        for t in ts[1:]:
            dt = backend.promote_types(dt, t.dtype)
        ts = [t.to(dt) for t in ts]
    return ts


def _cat(tensors, dim=0):
    """Concatenate along an existing dimension; the gradient is split back into the pieces."""
    ts = _joinable(tensors, "cat")
    ts = [t for t in ts if not (t.ndim == 1 and t.shape[0] == 0)] or ts[:1]
    ref = ts[0]
    d = normalize_dim(dim, ref.ndim, "cat")
    for i, t in enumerate(ts):
        if t.ndim != ref.ndim or t.shape[:d] + t.shape[d + 1:] != ref.shape[:d] + ref.shape[d + 1:]:
            raise RuntimeError(
                f"cat: sizes of tensors must match except in dimension {d}; tensor 0 has shape "
                f"{tuple(ref.shape)} but tensor {i} has shape {tuple(t.shape)}")
    if len(ts) == 1:
        return ts[0]
    return S.Cat.apply(d, *ts)


def _stack(tensors, dim=0):
    ts = _joinable(tensors, "stack")
    for i, t in enumerate(ts):
        if t.shape != ts[0].shape:
            raise RuntimeError(f"stack: expects each tensor to be equal size, but got "
                               f"{tuple(ts[0].shape)} at entry 0 and {tuple(t.shape)} at entry {i}")
    n = ts[0].ndim + 1
    if not -n <= dim < n:
        raise IndexError(f"stack: dim {dim} out of range (expected -{n} <= dim < {n})")
    return S.Stack.apply(dim % n, *ts)


def _unique_result(u, inv, cnt, return_inverse, return_counts):
    out = [Variable._make(u, False)]
    if return_inverse:
        out.append(Variable._make(inv.astype(backend.int64), False))
    if return_counts:
        out.append(Variable._make(cnt.astype(backend.int64), False))
    return out[0] if len(out) == 1 else tuple(out)


def _unwrap_index(idx):
    if isinstance(idx, Variable):
        d = idx._data
        return d if d.dtype.kind == "b" or d.ndim else builtins.int(d)
    if isinstance(idx, tuple):
        return tuple((builtins.int(i._data) if i._data.ndim == 0 and i._data.dtype.kind in "iu"
                      else i._data) if isinstance(i, Variable) else i for i in idx)
    if isinstance(idx, list):
        return np.asarray(idx) if all(isinstance(i, (int, bool, np.integer)) for i in idx) else \
            tuple(i._data if isinstance(i, Variable) else i for i in idx)
    return idx


def _split_index(idx):
    """PyTorch applies integer indices before array indices; NumPy mixes them (so that
    ``x[0, :, [1, 3]]`` has shape (2, 3) in NumPy but (3, 2) in PyTorch). When an index holds
    both, return (basic part, advanced part) to apply one after the other; otherwise None."""
    has_int = has_arr = False
    for i in idx:
        if isinstance(i, (builtins.int, np.integer)) and not isinstance(i, (builtins.bool, np.bool_)):
            has_int = True
        elif hasattr(i, "ndim") and hasattr(i, "dtype") or isinstance(i, list):
            has_arr = True
    if not (has_int and has_arr):
        return None
    first, second = [], []
    for i in idx:
        if isinstance(i, (builtins.int, np.integer)) and not isinstance(i, (builtins.bool, np.bool_)):
            first.append(i)
        elif i is None or isinstance(i, slice):
            first.append(i)
            second.append(slice(None))
        elif i is Ellipsis:
            first.append(i)
            second.append(i)
        else:
            a = np.asarray(i) if isinstance(i, list) else i
            first.extend([slice(None)] * (a.ndim if a.dtype.kind == "b" else 1))
            second.append(a)
    return tuple(first), tuple(second)


def one_element_form(self, idx, src):
    """gather, scatter and the index_* ops read a 0-d input, index or source as a one-element
    1-d tensor, as PyTorch does: (input, index, source) so reshaped when the input has at most
    one dim and one of them is 0-d, else None."""
    src_0d = isinstance(src, Variable) and src.ndim == 0
    if self.ndim > 1 or not (self.ndim == 0 or idx.ndim == 0 or src_0d):
        return None
    return self.reshape(-1), idx.reshape(-1), src.reshape(-1) if isinstance(src, Variable) else src


def _index_array(index, op):
    d = index._data if isinstance(index, Variable) else np.asarray(index)
    if d.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: expected an integer index tensor, got dtype {d.dtype}")
    return d


def check_index_range(idx, size, dim, op, error):
    """``idx`` (an integer array) unchanged if every entry is in [0, size); otherwise ``error``
    naming the op, the first bad index, the dim and its size (gather, scatter, index_select
    take no negative indices, as in PyTorch)."""
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= size:
            bad = lo if lo < 0 else hi
            raise error(f"{op}: index {bad} is out of bounds for dimension {dim} with size "
                        f"{size}")
    return idx


_NUMPY_INDEX_ERRORS = (
    (re.compile(r"index (-?\d+) is out of bounds for axis (\d+) with size (\d+)"),
     r"index \1 is out of bounds for dimension \2 with size \3"),
    (re.compile(r"too many indices for array: array is (\d+)-dimensional, but (\d+) were "
                r"indexed"), r"too many indices for tensor of dimension \1 (got \2)"),
    (re.compile(r"boolean index did not match indexed array along (?:axis|dimension) (\d+); "
                r"size of (?:axis|dimension) is (\d+) but size of corresponding boolean "
                r"(?:axis|dimension) is (\d+)"),
     (r"the mask's size \3 at index \1 does not match the indexed tensor's size \2 at "
      r"index \1")),
)


def index_error(e, shape):
    """An IndexError from indexing an array of ``shape``, in PyTorch's words (dimension, not
    axis), naming the tensor's shape: the one translation ``x[...]`` and ``x[...] = v`` share."""
    text = str(e)
    for pattern, words in _NUMPY_INDEX_ERRORS:
        text = pattern.sub(words, text)
    return IndexError(f"index: {text} (tensor of shape {tuple(shape)})")


