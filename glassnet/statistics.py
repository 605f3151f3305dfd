"""Statistics and searching over tensors: std_mean/var_mean, cov/corrcoef, pairwise distances
(cdist, pdist), bucketize/searchsorted, histogram, isin and the trapezoid rule.
"""

from __future__ import annotations

import builtins

import numpy as np

from . import backend
from . import return_types as RT
from .functions import linspace
from .ops import autocast
from .tensor import Tensor, _as_tensor, tensor
from .tensor.reduce import vector_norm


def _t(x):
    return x if isinstance(x, Tensor) else tensor(x)


def _corr_args(unbiased, correction, name):
    if correction is not None:
        return correction
    if unbiased is None:
        return 1
    return 1 if unbiased else 0


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over ``dim`` in one call (``correction=1``: Bessel's n - 1)."""
    if isinstance(dim, builtins.bool):
        dim, unbiased = None, dim
    c = _corr_args(unbiased, correction, "var_mean")
    return input.var(dim, keepdim=keepdim, correction=c), input._f().mean(dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over ``dim`` in one call."""
    if isinstance(dim, builtins.bool):
        dim, unbiased = None, dim
    c = _corr_args(unbiased, correction, "std_mean")
    return input.std(dim, keepdim=keepdim, correction=c), input._f().mean(dim, keepdim)


def cov(input, *, correction=1, fweights=None, aweights=None):
    """Covariance of the variables in the rows of ``input`` (observations in columns):
    C = (X - mean) (X - mean)^T / (N - correction), optionally weighted like NumPy's cov."""
    x = input._f()
    if x.ndim > 2:
        raise RuntimeError(f"cov: expected input to have two or fewer dimensions, got {x.ndim}")
    if x.ndim < 2:
        x = x.reshape(1, -1)
    n = x.shape[1]
    w = None
    if fweights is not None:
        w = _t(fweights).to(x.dtype)
    if aweights is not None:
        a = _t(aweights).to(x.dtype)
        w = a if w is None else w * a
    if w is None:
        avg = x.mean(1, keepdim=True)
        norm = n - correction
        xm = x - avg
        c = xm @ xm.t() / norm
    else:
        wsum = w.sum()
        avg = (x * w).sum(1, keepdim=True) / wsum
        if correction == 0:
            norm = wsum
        elif aweights is None:
            norm = wsum - correction
        else:
            norm = wsum - correction * (w * _t(aweights).to(x.dtype)).sum() / wsum
        xm = x - avg
        c = (xm * w) @ xm.t() / norm
    return c.reshape(()) if c.shape == (1, 1) else c  # one variable: a 0-d variance


def corrcoef(input):
    """Pearson correlation coefficients of the rows: cov / sqrt(var_i var_j), clipped to [-1, 1]."""
    c = cov(input)
    if c.ndim == 0:
        return c / c
    d = c.diagonal()
    s = d.sqrt()
    return (c / s.reshape(-1, 1) / s.reshape(1, -1)).clamp(-1, 1)


@autocast.float32
def cdist(x1, x2, p=2.0, compute_mode=None):
    """Pairwise p-norm distances between the rows of x1 (..., P, M) and x2 (..., R, M):
    out[..., i, j] = ||x1[..., i, :] - x2[..., j, :]||_p, shape (..., P, R)."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise RuntimeError(f"cdist: x1 and x2 must be (..., P, M) and (..., R, M), got "
                           f"{tuple(x1.shape)} and {tuple(x2.shape)}")
    diff = x1.unsqueeze(-2) - x2.unsqueeze(-3)
    return vector_norm(diff, p, -1)


def pdist(input, p=2):
    """The distances between all pairs of rows i < j of an (N, M) matrix, as one vector of
    N (N - 1) / 2 entries, in row-major order of the upper triangle."""
    if input.ndim != 2:
        raise RuntimeError(f"pdist: expected a 2-D input, got shape {tuple(input.shape)}")
    n = input.shape[0]
    i, j = np.triu_indices(n, 1)
    return vector_norm(input[i] - input[j], p, -1)


def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """For each value, the index where it would be inserted to keep ``sorted_sequence`` sorted
    (the first such index, or the last with ``right=True``/``side='right'``). A 1-D sequence
    serves every value; an N-D one is searched row by row against the matching rows of input."""
    seq = _t(sorted_sequence)
    scalar = not isinstance(input, Tensor)
    vals = _as_tensor(input, seq) if not scalar else Tensor._make(np.asarray(input), False)
    side = side or ("right" if right else "left")
    s = backend.to_numpy(seq._data)
    v = backend.to_numpy(vals._data)
    if sorter is not None:
        s = np.take_along_axis(s, backend.to_numpy(_t(sorter)._data), -1)
    if s.ndim == 1:
        out = np.searchsorted(s, v, side=side)
    else:
        if s.shape[:-1] != v.shape[:-1]:
            raise RuntimeError(f"searchsorted: the leading dims of sorted_sequence "
                               f"{tuple(s.shape)} and input {tuple(v.shape)} must match")
        n = int(np.prod(s.shape[:-1]))  # (reshape(-1, 0) is ambiguous for empty rows)
        rows_s = s.reshape(n, s.shape[-1])
        rows_v = v.reshape(n, v.shape[-1])
        out = np.zeros(rows_v.shape, np.int64)
        for i, (a, b) in enumerate(zip(rows_s, rows_v)):
            out[i] = np.searchsorted(a, b, side=side)
        out = out.reshape(v.shape)
    out = np.asarray(out, dtype=np.int32 if out_int32 else np.int64)
    return Tensor._make(backend.to_device(out, seq.device), False)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value for sorted 1-D ``boundaries``: i with
    boundaries[i - 1] < x <= boundaries[i] (``right=True``: boundaries[i - 1] <= x < boundaries[i])."""
    b = _t(boundaries)
    if b.ndim != 1:
        raise RuntimeError(f"bucketize: boundaries must be 1-D, got shape {tuple(b.shape)}")
    return searchsorted(b, input, out_int32=out_int32, right=right)


def histogram(input, bins=100, *, range=None, weight=None, density=False):
    """(hist, bin_edges): counts (or summed weights, or a density) in ``bins`` equal bins over
    ``range`` (the data's range by default), or over the given edges when ``bins`` is a tensor."""
    a = backend.to_numpy(input._data).reshape(-1)
    b = backend.to_numpy(bins._data) if isinstance(bins, Tensor) else bins
    w = None if weight is None else backend.to_numpy(_t(weight)._data).reshape(-1)
    h, edges = np.histogram(a, bins=b, range=range, weights=w, density=density)
    dt = input.dtype
    return RT.histogram(Tensor._make(h.astype(dt), False), Tensor._make(edges.astype(dt), False))


def _upper_bound(edges, x):
    """For each x, the first index i with x < edges[i] found by binary search (C++'s
    std::upper_bound, which PyTorch's histogram kernels use: for unsorted edges it gives the
    same answer as theirs)."""
    first = np.zeros(x.shape, np.int64)
    length = np.full(x.shape, edges.size, np.int64)
    while length.any():
        half = length >> 1
        mid = first + half
        left = x < edges[np.minimum(mid, edges.size - 1)]
        active = length > 0
        first = np.where(active & ~left, mid + 1, first)
        length = np.where(active, np.where(left, half, length - half - 1), 0)
    return first


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """(hist, bin_edges): the D-dimensional histogram of the points ``input[..., :]`` (the last
    dim holds each point's D coordinates). ``bins``: one count for every dim, a count per dim,
    or a sequence of D edge tensors; ``range``: (min_0, max_0, ..., min_{D-1}, max_{D-1})
    (default: each coordinate's range, [0, 1] without points; an empty range widens by 0.5
    each way). A point falls in
    bin i of a dim when edges[i] <= x < edges[i + 1] (the last bin includes its right edge);
    points outside the edges (and NaNs) are not counted. ``weight``: one per point, summed
    instead of counts; ``density``: hist / (total * bin volume). Edges and sums are in the
    input's dtype, as PyTorch computes them. Not differentiable.

    Shape: input (..., D), weight input.shape[:-1] -> hist (n_0, ..., n_{D-1}), D edge tensors.
    """
    if not isinstance(input, Tensor) or input.dtype.kind != "f" or input.ndim < 1:
        raise RuntimeError(f"histogramdd: expected a floating input of shape (..., D), got "
                           f"{getattr(input, 'dtype', type(input).__name__)} of shape "
                           f"{tuple(getattr(input, 'shape', ()))}")
    dt = np.dtype(input.dtype)
    d = input.shape[-1]
    pts = backend.to_numpy(input._data).reshape(-1, d)
    if isinstance(bins, (builtins.int, np.integer)):
        bins = [builtins.int(bins)] * d
    bins = list(bins)
    if len(bins) != d:
        raise RuntimeError(f"histogramdd: The size of bins must be equal to the innermost "
                           f"dimension of the input: {d} for input of shape "
                           f"{tuple(input.shape)}, got {len(bins)}")
    edges = []
    for k, b in enumerate(bins):
        if isinstance(b, Tensor):
            e = backend.to_numpy(b._data).astype(dt).reshape(-1)
            if e.size < 2 and e.ndim:
                raise RuntimeError(f"histogramdd: bins[{k}] must have at least 2 edges")
            edges.append(e)
            continue
        n = builtins.int(b)
        if n <= 0:
            raise RuntimeError(f"histogramdd: bins must be > 0, but got {n} for dimension {k}")
        if range is not None:
            if len(range) != 2 * d:
                raise RuntimeError(f"histogramdd: for a {d}-dimensional histogram range should "
                                   f"have {2 * d} elements, but got {len(range)}")
            lo, hi = float(range[2 * k]), float(range[2 * k + 1])
        elif pts.shape[0]:
            lo, hi = float(pts[:, k].min()), float(pts[:, k].max())
        else:  # no points: [0, 1]
            lo, hi = 0.0, 1.0
        if not (np.isfinite(lo) and np.isfinite(hi)):
            raise RuntimeError(f"histogramdd: dimension {k}'s range [{lo}, {hi}] is not finite")
        if lo > hi:
            raise RuntimeError(f"histogramdd: min should not exceed max, but got min {lo} max "
                               f"{hi} for dimension {k}")
        if lo == hi:
            lo, hi = lo - 0.5, hi + 0.5
        edges.append(backend.to_numpy(linspace(lo, hi, n + 1, dtype=input.dtype)._data))
    shape = tuple(e.size - 1 for e in edges)
    w = None
    if weight is not None:
        w = backend.to_numpy(_t(weight)._data).astype(dt).reshape(-1)
        if w.size != pts.shape[0]:
            raise RuntimeError(f"histogramdd: weight should have the same shape as the input "
                               f"minus its last dim ({tuple(input.shape[:-1])}), got "
                               f"{tuple(_t(weight).shape)}")
    keep = np.ones(pts.shape[0], bool)
    pos = []
    for k, e in enumerate(edges):
        x = pts[:, k]
        keep &= (x >= e[0]) & (x <= e[-1])  # False for NaN
        i = _upper_bound(e, x) - 1
        pos.append(np.where(i == e.size - 1, i - 1, i))  # the last bin includes its right edge
    hist = np.zeros(shape, dt)
    if keep.any():
        flat = np.ravel_multi_index(tuple(p[keep] for p in pos), shape)
        np.add.at(hist.reshape(-1), flat, w[keep] if w is not None else dt.type(1))
    if density:
        hist = hist / hist.sum(dtype=dt)
        for k, e in enumerate(edges):
            view = [1] * d
            view[k] = e.size - 1
            hist = hist / np.diff(e).reshape(view)
    dev = input.device
    return RT.histogramdd(
        Tensor._make(backend.to_device(hist.astype(dt, copy=False), dev), False),
        tuple(Tensor._make(backend.to_device(e, dev), False) for e in edges))


def isin(elements, test_elements, *, assume_unique=False, invert=False):
    """A bool tensor: is each element of ``elements`` among ``test_elements``?"""
    e = elements._data if isinstance(elements, Tensor) else np.asarray(elements)
    t = test_elements._data if isinstance(test_elements, Tensor) else np.asarray(test_elements)
    xp = backend.array_module(e)
    return Tensor._make(xp.isin(e, t, assume_unique=assume_unique, invert=invert), False)


def trapezoid(y, x=None, *, dx=None, dim=-1):
    """The trapezoid rule along ``dim``: sum of (y[i] + y[i + 1]) / 2 * (x[i + 1] - x[i])
    (spacing ``dx``, default 1, when ``x`` is not given)."""
    n = y.shape[dim]
    if n == 0:
        return y.sum(dim) * 0
    a, b = y.narrow(dim, 0, n - 1), y.narrow(dim, 1, n - 1)
    if x is None:
        return ((a + b) * (0.5 * (1 if dx is None else dx))).sum(dim)
    xs = _as_tensor(x, y)
    d = xs.diff(dim=dim if xs.ndim == y.ndim else -1)
    return ((a + b) * 0.5 * d).sum(dim)


trapz = trapezoid


def cumulative_trapezoid(y, x=None, *, dx=None, dim=-1):
    """The running trapezoid rule along ``dim`` (one element shorter than y)."""
    n = y.shape[dim]
    a, b = y.narrow(dim, 0, max(n - 1, 0)), y.narrow(dim, 1, max(n - 1, 0))
    if x is None:
        return ((a + b) * (0.5 * (1 if dx is None else dx))).cumsum(dim)
    xs = _as_tensor(x, y)
    d = xs.diff(dim=dim if xs.ndim == y.ndim else -1)
    return ((a + b) * 0.5 * d).cumsum(dim)


__all__ = ["bucketize", "cdist", "corrcoef", "cov", "cumulative_trapezoid", "histogram",
           "histogramdd", "isin",
           "pdist", "searchsorted", "std_mean", "trapezoid", "trapz", "var_mean"]
