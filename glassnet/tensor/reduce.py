"""Tensor reductions (sum, mean, var, max, topk, median, quantile, ...) and scans (cumsum,
cumprod, cummax, logcumsumexp). Each method checks and normalises its arguments, then applies
a primitive Function from ``glassnet.ops`` or composes differentiable ops: order statistics
(median, kthvalue, quantile, cummax) gather their values from the input with ``gather``, so
the gradient flows to the elements that were picked."""

from __future__ import annotations

import builtins
import math

import numpy as np

from .. import backend
from .. import return_types as RT
from ..autograd.variable import Variable
from ..ops import autocast
from ..ops import decomp as D
from ..ops import reduce as R
from ..ops import scan as SC
from ..ops.reduce import normalize_dim, normalize_dims
from .arith import _maximum, _minimum
from .convert import _as_tensor
from .shape import _cat, _stack


class ReduceMixin:
    """Reductions of Tensor over dims (negative dims and keepdim as in PyTorch)."""

    __slots__ = ()

    # ------------------------------------------------------------------ reductions
    def sum(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind in "biu" and dtype is None:
            x = x.to(backend.int64)
        return R.Sum.apply(x, normalize_dims(dim, x.ndim, "sum"), keepdim)

    def mean(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if not backend.is_differentiable(x.dtype):
            raise RuntimeError(f"mean: could not infer output dtype; input dtype must be floating "
                               f"point or complex, got {x.dtype} (use .float())")
        return R.Mean.apply(x, normalize_dims(dim, x.ndim, "mean"), keepdim)

    def var(self, dim=None, unbiased=None, keepdim=False, correction=None):
        if isinstance(dim, builtins.bool):  # var(False): the old var(unbiased) overload
            dim, unbiased = None, dim
        corr = _correction(unbiased, correction)
        return R.Var.apply(self._f(), normalize_dims(dim, self.ndim, "var"), corr, keepdim)

    def std(self, dim=None, unbiased=None, keepdim=False, correction=None):
        if isinstance(dim, builtins.bool):
            dim, unbiased = None, dim
        corr = _correction(unbiased, correction)
        return R.Std.apply(self._f(), normalize_dims(dim, self.ndim, "std"), corr, keepdim)

    @autocast.float32
    def prod(self, dim=None, keepdim=False, dtype=None):
        x = self if dtype is None else self.to(dtype)
        if x.dtype.kind in "biu" and dtype is None:
            x = x.to(backend.int64)
        return R.Prod.apply(x, normalize_dims(dim, x.ndim, "prod"), keepdim)

    def logsumexp(self, dim=None, keepdim=False):
        return R.LogSumExp.apply(self._f(), normalize_dims(dim, self.ndim, "logsumexp"), keepdim)

    def max(self, dim=None, keepdim=False):
        """max() over everything, max(dim) -> (values, indices), or max(other) elementwise."""
        if isinstance(dim, Variable):
            return _maximum(self, dim)
        if dim is None:
            return R.AMax.apply(self, normalize_dims(None, self.ndim), False, True)
        d = normalize_dim(dim, self.ndim, "max")
        if self.ndim == 0:  # a 0-d tensor is its own max, at index 0
            v, i = self.reshape(1).max(0)
            return RT.max(v.reshape(()), i.reshape(()))
        return RT.max(*R.MaxDim.apply(self, d, keepdim, True))

    def min(self, dim=None, keepdim=False):
        if isinstance(dim, Variable):
            return _minimum(self, dim)
        if dim is None:
            return R.AMax.apply(self, normalize_dims(None, self.ndim), False, False)
        d = normalize_dim(dim, self.ndim, "min")
        if self.ndim == 0:
            v, i = self.reshape(1).min(0)
            return RT.min(v.reshape(()), i.reshape(()))
        return RT.min(*R.MaxDim.apply(self, d, keepdim, False))

    def amax(self, dim=None, keepdim=False):
        return R.AMax.apply(self, normalize_dims(dim, self.ndim, "amax"), keepdim, True)

    def amin(self, dim=None, keepdim=False):
        return R.AMax.apply(self, normalize_dims(dim, self.ndim, "amin"), keepdim, False)

    def argmax(self, dim=None, keepdim=False):
        return _arg(self, dim, keepdim, True)

    def argmin(self, dim=None, keepdim=False):
        return _arg(self, dim, keepdim, False)

    def all(self, dim=None, keepdim=False):
        ax = None if dim is None else normalize_dims(dim, self.ndim, "all")
        return Variable._make(self._data.astype(bool).all(axis=ax, keepdims=keepdim), False)

    def any(self, dim=None, keepdim=False):
        ax = None if dim is None else normalize_dims(dim, self.ndim, "any")
        return Variable._make(self._data.astype(bool).any(axis=ax, keepdims=keepdim), False)

    def cumsum(self, dim, dtype=None):
        d = normalize_dim(dim, self.ndim, "cumsum")
        x = self.to(dtype) if dtype is not None else self
        x = x.to(backend.int64) if x.dtype.kind in "biu" else x
        if x.ndim == 0:
            return x.clone()
        return R.Cumsum.apply(x, d)

    def norm(self, p="fro", dim=None, keepdim=False, dtype=None):
        """torch.norm: a vector p-norm over ``dim`` (all elements by default); ``p='fro'`` is the
        2-norm, ``p='nuc'`` the nuclear norm of matrices (see ``glassnet.linalg``)."""
        x = self if dtype is None else self.to(dtype)
        if isinstance(p, str):
            if p == "fro" and (dim is None or isinstance(dim, builtins.int) or len(dim) <= 2):
                return vector_norm(x, 2, dim, keepdim)
            return matrix_norm(x, p, tuple(range(x.ndim)) if dim is None else dim, keepdim)
        return vector_norm(x, 2.0 if p is None else p, dim, keepdim)

    def topk(self, k, dim=-1, largest=True, sorted=True):
        d = normalize_dim(dim, self.ndim, "topk")
        if self.ndim == 0:
            v, i = self.reshape(1).topk(k, 0, largest, sorted)
            return RT.topk(v.reshape(()), i.reshape(()))
        return RT.topk(*R.TopK.apply(self, k, d, largest, sorted))

    def sort(self, dim=-1, descending=False, stable=False):
        d = normalize_dim(dim, self.ndim, "sort")
        if self.ndim == 0:
            return RT.sort(self.clone(), Variable._make(np.zeros((), np.int64), False))
        return RT.sort(*R.TopK.apply(self, self.shape[d], d, descending, True))

    def argsort(self, dim=-1, descending=False, stable=False):
        return self.sort(dim, descending).indices

    def msort(self):
        return self.sort(0).values

    def count_nonzero(self, dim=None):
        ax = None if dim is None else normalize_dims(dim, self.ndim, "count_nonzero")
        return Variable._make(backend.array_module(self._data).asarray(
            (self._data != 0).sum(axis=ax)).astype(backend.int64), False)

    def hash_tensor(self, dim=None, *, keepdim=False, mode=0):
        """XOR of the elements' bit patterns (PyTorch's mode 0): each element widened to its
        64-bit float or integer form (bool to 0/1) and read as uint64; over ``dim`` (an int or
        a tuple) or all elements. uint64, no gradient."""
        if mode != 0:
            raise RuntimeError(f"hash_tensor: only mode=0 (xor reduction) is supported, got "
                               f"mode={mode}")
        a = self._data
        xp = backend.array_module(a)
        if a.dtype.kind == "c":
            raise RuntimeError("hash_tensor: complex inputs are not supported")
        wide = a.astype(xp.float64) if backend.is_floating(a.dtype) else \
            a.astype(xp.uint64) if a.dtype.kind in "bu" else a.astype(xp.int64)
        bits = wide.view(xp.uint64)
        if dim is None or (isinstance(dim, (tuple, list)) and not dim):
            ax = tuple(range(a.ndim))
        else:
            ax = normalize_dims(dim, self.ndim, "hash_tensor")
        out = xp.bitwise_xor.reduce(bits, axis=ax, keepdims=keepdim) if a.ndim else bits
        return Variable._make(xp.asarray(out, dtype=xp.uint64), False)

    # ------------------------------------------------------------------ scans
    def cumprod(self, dim, dtype=None):
        d = normalize_dim(dim, self.ndim, "cumprod")
        x = self.to(dtype) if dtype is not None else self
        x = x.to(backend.int64) if x.dtype.kind in "biu" else x
        if x.ndim == 0:
            return x.clone()
        return SC.Cumprod.apply(x, d)

    def cummax(self, dim):
        return _cum_extreme(self, dim, True)

    def cummin(self, dim):
        return _cum_extreme(self, dim, False)

    def logcumsumexp(self, dim):
        d = normalize_dim(dim, self.ndim, "logcumsumexp")
        x = self._f()
        if x.ndim == 0:
            return x.clone()
        return SC.LogCumSumExp.apply(x, d)

    def diff(self, n=1, dim=-1, prepend=None, append=None):
        """out[i] = x[i + 1] - x[i] along ``dim``, applied ``n`` times (bool: x[i + 1] != x[i])."""
        d = normalize_dim(dim, self.ndim, "diff")
        x = self
        if n == 0:  # PyTorch returns the input itself, prepend and append unused
            return x
        if prepend is not None or append is not None:
            parts = [_as_tensor(prepend, self), x] if prepend is not None else [x]
            if append is not None:
                parts.append(_as_tensor(append, self))
            parts = [p.expand(x.shape[:d] + (1,) + x.shape[d + 1:]) if p.ndim == 0 else p
                     for p in parts]
            x = _cat(parts, d)
        for _ in range(n):
            m = x.shape[d]
            a, b = x.narrow(d, min(1, m), max(m - 1, 0)), x.narrow(d, 0, max(m - 1, 0))
            x = (a != b) if x.dtype.kind == "b" else a - b
        return x

    # ------------------------------------------------------------------ order statistics
    def median(self, dim=None, keepdim=False):
        """The lower median: the element of rank (n - 1) // 2 (NaN if the slice has a NaN).
        With ``dim``: (values, indices)."""
        return _order_stat(self, dim, keepdim, "median", lambda n: (n - 1) // 2, nan_first=True)

    def nanmedian(self, dim=None, keepdim=False):
        """The lower median of the non-NaN elements (NaN only where all are NaN)."""
        return _order_stat(self, dim, keepdim, "nanmedian", None, nan_first=False)

    def kthvalue(self, k, dim=-1, keepdim=False):
        """The k-th smallest element (k counts from 1) along ``dim``: (values, indices)."""
        n = self.shape[normalize_dim(dim, self.ndim, "kthvalue")] if self.ndim else 1
        if not 1 <= k <= n:
            raise RuntimeError(f"kthvalue: k ({k}) is out of range for dimension of size {n}")
        return _order_stat(self, dim, keepdim, "kthvalue", lambda _n: k - 1, nan_first=False)

    def mode(self, dim=-1, keepdim=False):
        """The most frequent value along ``dim`` (the smallest among equally frequent ones) and
        the index of its last occurrence."""
        xp = backend.array_module(self._data)
        d = normalize_dim(dim, self.ndim, "mode")
        a = xp.moveaxis(self._data, d, -1) if self.ndim else self._data.reshape(1)
        rows = a.reshape(-1, a.shape[-1])
        idx = xp.empty(rows.shape[0], np.int64)
        for r in range(rows.shape[0]):
            u, c = xp.unique(rows[r], return_counts=True)
            v = u[int(c.argmax())]
            idx[r] = rows.shape[1] - 1 - int(xp.nonzero(rows[r][::-1] == v)[0][0])
        it = Variable._make(xp.expand_dims(idx.reshape(a.shape[:-1]), d) if self.ndim
                          else idx.reshape(()), False)
        if not self.ndim:
            return RT.mode(self.clone(), it)
        values = self.gather(d, it)
        if not keepdim:
            values, it = values.squeeze(d), it.squeeze(d)
        return RT.mode(values, it)

    def quantile(self, q, dim=None, keepdim=False, interpolation="linear"):
        return _quantile(self, q, dim, keepdim, interpolation, ignore_nan=False)

    def nanquantile(self, q, dim=None, keepdim=False, interpolation="linear"):
        return _quantile(self, q, dim, keepdim, interpolation, ignore_nan=True)

    # ------------------------------------------------------------------ NaN-aware, paired
    def nansum(self, dim=None, keepdim=False, dtype=None):
        x = self.masked_fill(self.isnan(), 0) if self.is_floating_point() else self
        return x.sum(dim, keepdim, dtype=dtype)

    def nanmean(self, dim=None, keepdim=False, dtype=None):
        keep = ~self.isnan()
        return self.nansum(dim, keepdim, dtype) / keep.sum(dim, keepdim)

    def aminmax(self, *, dim=None, keepdim=False):
        return RT.aminmax(self.amin(dim, keepdim), self.amax(dim, keepdim))

    def histc(self, bins=100, min=0, max=0):
        """Counts in ``bins`` equal-width bins over [min, max] (the data's range if both are 0);
        values outside are ignored. Same dtype as the input."""
        xp = backend.array_module(self._data)
        a = self._data.reshape(-1)
        lo, hi = float(min), float(max)
        if lo == hi == 0 and a.size:
            lo, hi = float(a.min()), float(a.max())
        if lo == hi:
            lo, hi = lo - 1, hi + 1
        h, _ = xp.histogram(a, bins=bins, range=(lo, hi))
        return Variable._make(h.astype(self.dtype), False)

    def bincount(self, weights=None, minlength=0):
        """How often each value 0, 1, ... occurs in a 1-D non-negative integer tensor (or the
        sum of ``weights`` per value)."""
        if self.ndim != 1 or self.dtype.kind not in "iu":
            raise RuntimeError(f"bincount: expected a 1-D integer tensor, got shape "
                               f"{tuple(self.shape)} and dtype {self.dtype}")
        xp = backend.array_module(self._data)
        w = None if weights is None else _as_tensor(weights, self)._data
        out = xp.bincount(self._data, weights=w, minlength=minlength)
        if w is None:
            dt = backend.int64
        else:
            dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
        return Variable._make(out.astype(dt), False)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def _arg(t, dim, keepdim, is_max):
    f = t._data.argmax if is_max else t._data.argmin
    if t._data.size == 0:
        raise RuntimeError(f"{'argmax' if is_max else 'argmin'}: expected a non-empty tensor")
    if dim is None:
        r = f()
        if keepdim:
            r = backend.array_module(t._data).asarray(r).reshape((1,) * t.ndim)
    else:
        d = normalize_dim(dim, t.ndim, "argmax" if is_max else "argmin")
        r = f(axis=d, keepdims=keepdim) if t.ndim else 0
    xp = backend.array_module(t._data)
    return Variable._make(xp.asarray(r, dtype=backend.int64), False)


def vector_norm(x, ord=2, dim=None, keepdim=False):
    """||x||_ord over ``dim`` (every element when None): inf/-inf take max/min |x|, 0 counts
    nonzeros, any other ord is (sum |x|^ord)^(1/ord)."""
    x = x._f()
    axes = normalize_dims(dim, x.ndim, "vector_norm")
    return SC.VectorNorm.apply(x, ord, axes, keepdim)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """Matrix norms over the two dims ``dim``: 'fro' (sqrt of the sum of squares), 'nuc' (sum
    of singular values), 2 / -2 (largest / smallest singular value), 1 / -1 (max / min column
    sum of |A|), inf / -inf (max / min row sum of |A|)."""
    if A.ndim < 2:
        raise RuntimeError(f"linalg.matrix_norm: A must have at least 2 dimensions, got shape "
                           f"{tuple(A.shape)}")
    if dtype is not None:
        A = A.to(dtype)
    A = A._f()
    d0, d1 = (d % A.ndim for d in dim)
    if ord == "fro":
        return vector_norm(A, 2, (d0, d1), keepdim)
    if ord in ("nuc", 2, -2):
        x = A.movedim((d0, d1), (-2, -1)) if (d0, d1) != (A.ndim - 2, A.ndim - 1) else A
        s = D.SvdVals.apply(x)
        out = s.sum(-1) if ord == "nuc" else (s.amax(-1) if ord == 2 else s.amin(-1))
        if keepdim:
            out = out.unsqueeze(min(d0, d1)).unsqueeze(max(d0, d1))
        return out
    if ord in (1, -1, math.inf, -math.inf):
        sum_dim, red_dim = (d0, d1) if ord in (1, -1) else (d1, d0)
        sums = A.abs().sum(sum_dim, keepdim=True)
        out = sums.amax(red_dim, keepdim=True) if ord > 0 else sums.amin(red_dim, keepdim=True)
        return out if keepdim else out.squeeze((d0, d1))
    raise RuntimeError(f"linalg.matrix_norm: order {ord!r} not supported")


def _cum_extreme(t, dim, is_max):
    """cummax/cummin: the running extreme and where it was last attained (ties move the index
    forward, as PyTorch does); values are gathered from the input, so gradients flow to them."""
    d = normalize_dim(dim, t.ndim, "cummax" if is_max else "cummin")
    if t.ndim == 0:
        return (RT.cummax if is_max else RT.cummin)(t.clone(), Variable._make(np.zeros((), np.int64), False))
    xp = backend.array_module(t._data)
    a = t._data
    acc = (xp.fmax if is_max else xp.fmin).accumulate(a, axis=d) if a.dtype.kind == "f" else \
        (xp.maximum if is_max else xp.minimum).accumulate(a, axis=d)
    if a.dtype.kind == "f":  # a NaN wins from where it appears on; each new NaN takes the index
        seen = xp.logical_or.accumulate(xp.isnan(a), axis=d)
        acc = xp.where(seen, xp.nan, acc)
        hit = (a == acc) | xp.isnan(a)
    else:
        hit = a == acc
    shape = [1] * a.ndim
    shape[d] = a.shape[d]
    pos = xp.arange(a.shape[d]).reshape(shape)
    idx = xp.maximum.accumulate(xp.where(hit, pos, 0), axis=d).astype(np.int64)
    it = Variable._make(idx, False)
    return (RT.cummax if is_max else RT.cummin)(t.gather(d, it), it)


def _order_stat(t, dim, keepdim, name, rank, nan_first):
    """The element of a given rank (``rank(n)``) along ``dim`` via a stable sort; ``rank=None``
    means the lower median of the non-NaN elements. NaNs sort last; with ``nan_first`` a slice
    holding a NaN gives that NaN."""
    xp = backend.array_module(t._data)
    if dim is None:
        flat = t.reshape(-1)
        if flat.numel() == 0:
            raise RuntimeError(f"{name}: cannot be computed on an empty tensor")
        v, _ = _order_stat(flat, 0, False, name, rank, nan_first)
        return v
    d = normalize_dim(dim, t.ndim, name)
    x = t if t.ndim else t.reshape(1)
    a = x._data
    order = xp.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    if n == 0:
        raise IndexError(f"{name}: cannot be computed along dimension {d} of size 0")
    if rank is None:  # nanmedian: per-slice rank among the non-NaN elements
        valid = (~xp.isnan(a)).sum(axis=d, keepdims=True) if a.dtype.kind == "f" else \
            xp.full(a.shape[:d] + (1,) + a.shape[d + 1:], n)
        r = xp.maximum(valid - 1, 0) // 2
    else:
        r = xp.full(a.shape[:d] + (1,) + a.shape[d + 1:], rank(n))
    idx = xp.take_along_axis(order, r, axis=d)
    if nan_first and a.dtype.kind == "f":
        isn = xp.isnan(a)
        has = isn.any(axis=d, keepdims=True)
        idx = xp.where(has, xp.expand_dims(xp.argmax(isn, axis=d), d), idx)
    it = Variable._make(idx.astype(np.int64), False)
    vals = x.gather(d, it)
    if not keepdim or not t.ndim:
        vals, it = vals.squeeze(d), it.squeeze(d)
    return getattr(RT, name)(vals, it)


def _quantile(t, q, dim, keepdim, interpolation, ignore_nan):
    """Quantiles by sorting and interpolating between the two neighbouring order statistics
    (PyTorch's five ``interpolation`` modes); differentiable through the picked elements and,
    with 'linear' interpolation, through a tensor ``q`` (the other modes round the rank, so
    their gradient with respect to q is zero, as in PyTorch)."""
    name = "nanquantile" if ignore_nan else "quantile"
    if not t.is_floating_point():
        raise RuntimeError(f"{name}: input tensor must be float32 or float64, got {t.dtype}")
    qt = q if isinstance(q, Variable) else Variable._make(np.asarray(q, dtype=t.dtype), False)
    qa = backend.to_numpy(qt._data).astype(np.float64)
    if qa.ndim > 1:
        raise RuntimeError(f"{name}: q must be a scalar or 1-D tensor, got {qa.ndim} dims")
    if ((qa < 0) | (qa > 1)).any():
        raise RuntimeError(f"{name}: q values must be in the range [0, 1]")
    x = t.reshape(-1) if dim is None else t
    d = 0 if dim is None else normalize_dim(dim, t.ndim, name)
    if x.ndim == 0:
        x = x.reshape(1)
    xs = x.sort(d).values
    xp = backend.array_module(x._data)
    n = x.shape[d]
    if ignore_nan:
        cnt = (~xp.isnan(x._data)).sum(axis=d, keepdims=True)
    else:
        cnt = xp.full(x.shape[:d] + (1,) + x.shape[d + 1:], n)
    outs = []
    q_flat = qt.reshape(-1) if qt.requires_grad else None
    for i, qv in enumerate(qa.reshape(-1)):
        pos = qv * (cnt - 1).astype(np.float64)
        pos = xp.maximum(pos, 0)
        lo = xp.floor(pos).astype(np.int64)
        hi = xp.minimum(xp.ceil(pos).astype(np.int64), xp.maximum(cnt - 1, 0))
        frac = pos - lo
        if interpolation == "lower":
            hi, frac = lo, frac * 0
        elif interpolation == "higher":
            lo, frac = hi, frac * 0
        elif interpolation == "nearest":
            near = xp.where(frac == 0.5, xp.where(lo % 2 == 0, lo, hi), xp.round(pos))
            lo = hi = near.astype(np.int64)
            frac = frac * 0
        elif interpolation == "midpoint":
            frac = xp.where(hi > lo, 0.5, 0.0)
        elif interpolation != "linear":
            raise ValueError(f"{name}: interpolation must be 'linear', 'lower', 'higher', "
                             f"'midpoint' or 'nearest', got {interpolation!r}")
        vlo = xs.gather(d, Variable._make(lo, False))
        vhi = xs.gather(d, Variable._make(hi, False))
        w = Variable._make(frac.astype(t.dtype), False)
        if q_flat is not None and interpolation == "linear":
            # the weight q (cnt - 1) - lo is where q's gradient flows: (hi - lo) (cnt - 1)
            w = (q_flat[i].to(t.dtype) * Variable._make((cnt - 1).astype(t.dtype), False)
                 - Variable._make(lo.astype(t.dtype), False))
        v = vlo + (vhi - vlo) * w
        if not ignore_nan:  # a NaN anywhere in the slice makes the quantile NaN
            hasnan = Variable._make(xp.isnan(x._data).any(axis=d, keepdims=True), False)
            v = v.masked_fill(hasnan, float("nan"))
        else:
            v = v.masked_fill(Variable._make(cnt == 0, False), float("nan"))
        if dim is None:
            v = v.reshape((1,) * t.ndim) if keepdim else v.reshape(())
        elif not keepdim or t.ndim == 0:
            v = v.squeeze(d)
        outs.append(v)
    if qa.ndim == 0:
        return outs[0]
    return _stack(outs, 0)
