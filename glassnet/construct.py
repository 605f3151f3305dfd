"""Building tensors from other tensors or from sizes: grids and index sets (meshgrid,
cartesian_prod, combinations, tril_indices), block matrices, the stack variants, broadcasting
helpers, Vandermonde matrices and signal windows. All differentiable where the result is
made of the inputs' values (they are composed from cat, stack, expand and indexing).
"""

from __future__ import annotations

import builtins
import itertools
import math

import numpy as np

from . import backend
from ._pytree import flatten as _flatten
from ._pytree import flatten_like as _flatten_like
from .functions import _make, cat, empty, stack, vstack
from .tensor import Tensor, _as_tensor, _size, tensor
from .tensor.size import Size


def _tensors(args, op):
    if len(args) == 1 and isinstance(args[0], (list, tuple)):
        args = tuple(args[0])
    return [a if isinstance(a, Tensor) else tensor(a) for a in args]


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors: out[k][i0, i1, ...] = tensors[k][ik] (``indexing='ij'``,
    PyTorch's default) or with the first two axes swapped (``'xy'``, as NumPy's default)."""
    ts = _tensors(tensors, "meshgrid")
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    for t in ts:
        if t.ndim > 1:
            raise RuntimeError(f"meshgrid: expects 0-D or 1-D tensors, got shape {tuple(t.shape)}")
    ts = [t.reshape(-1) for t in ts]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    out = []
    for k, t in enumerate(ts):
        view = [1] * len(ts)
        view[k] = shape[k]
        out.append(t.reshape(view).expand(shape))
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    """All tuples (a, b, ...) with a from the first 1-D tensor, b from the second, ...:
    shape (prod of lengths, n) (a 1-D tensor for one input)."""
    ts = _tensors(tensors, "cartesian_prod")
    if len(ts) == 1:
        return ts[0]
    grids = meshgrid(*ts, indexing="ij")
    return stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """All length-``r`` combinations of the elements of a 1-D tensor, as rows (the order of
    ``itertools.combinations``)."""
    n = input.shape[0]
    it = itertools.combinations_with_replacement if with_replacement else itertools.combinations
    idx = np.array(list(it(range(n), r)), dtype=np.int64).reshape(-1, r)
    if idx.shape[0] == 0:
        return input[np.zeros(0, np.int64)].reshape(0, r) if r else input[:0]
    return input[idx]


def block_diag(*tensors):
    """The block-diagonal matrix with the given matrices (0-D/1-D count as rows) on its
    diagonal and zeros elsewhere."""
    ts = [t.reshape(1, -1) if t.ndim < 2 else t for t in _tensors(tensors, "block_diag")]
    if not ts:
        return _make(np.zeros((0, 0), backend.get_default_dtype()), False, None)
    dt = ts[0].dtype
    for t in ts[1:]:
        dt = backend.promote_types(dt, t.dtype)
    cols = builtins.sum(t.shape[1] for t in ts)
    rows, left = [], 0
    xp = backend.array_module(ts[0]._data)
    for t in ts:
        r, c = t.shape
        parts = []
        if left:
            parts.append(Tensor._make(xp.zeros((r, left), dt), False))
        parts.append(t.to(dt))
        if cols - left - c:
            parts.append(Tensor._make(xp.zeros((r, cols - left - c), dt), False))
        rows.append(cat(parts, 1) if len(parts) > 1 else parts[0])
        left += c
    return cat(rows, 0)


def tril_indices(row, col, offset=0, dtype=None, device=None):
    """The (2, N) coordinates of the lower triangle (j <= i + offset) of a row x col matrix,
    row by row."""
    r, c = np.nonzero(np.tri(row, col, offset, dtype=bool))
    return _make(np.stack([r, c]).astype(backend.to_dtype(dtype) or np.int64), False, device)


def triu_indices(row, col, offset=0, dtype=None, device=None):
    """The (2, N) coordinates of the upper triangle (j >= i + offset), row by row."""
    r, c = np.nonzero(~np.tri(row, col, offset - 1, dtype=bool))
    return _make(np.stack([r, c]).astype(backend.to_dtype(dtype) or np.int64), False, device)


def atleast_1d(*tensors):
    ts = _tensors(tensors, "atleast_1d")
    out = [t.reshape(1) if t.ndim == 0 else t for t in ts]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_2d(*tensors):
    ts = _tensors(tensors, "atleast_2d")
    out = [t.reshape(1, -1) if t.ndim < 2 else t for t in ts]
    return out[0] if len(out) == 1 else tuple(out)


def atleast_3d(*tensors):
    """0-D -> (1, 1, 1), (n,) -> (1, n, 1), (m, n) -> (m, n, 1), as NumPy and PyTorch do."""
    ts = _tensors(tensors, "atleast_3d")
    out = []
    for t in ts:
        if t.ndim == 0:
            t = t.reshape(1, 1, 1)
        elif t.ndim == 1:
            t = t.reshape(1, -1, 1)
        elif t.ndim == 2:
            t = t.unsqueeze(-1)
        out.append(t)
    return out[0] if len(out) == 1 else tuple(out)


def broadcast_shapes(*shapes):
    """The shape that tensors of the given shapes broadcast to."""
    try:
        return Size(np.broadcast_shapes(*[(s,) if isinstance(s, builtins.int) else tuple(s)
                                          for s in shapes]))
    except ValueError:
        raise RuntimeError(f"broadcast_shapes: shapes {list(shapes)} cannot be broadcast "
                           "together") from None


def broadcast_tensors(*tensors):
    ts = _tensors(tensors, "broadcast_tensors")
    shape = broadcast_shapes(*[t.shape for t in ts])
    return tuple(t.expand(shape) for t in ts)


def broadcast_to(input, size):
    return input.expand(_size((size,)))


def column_stack(tensors):
    """Stack 1-D tensors as columns (others are flattened to 2-D first) along dim 1."""
    ts = [t.reshape(-1, 1) if t.ndim <= 1 else t for t in _tensors(tensors, "column_stack")]
    return cat(ts, 1)


def row_stack(tensors):
    return vstack(_tensors(tensors, "row_stack"))


def dstack(tensors):
    """Stack along the third dim (after making every tensor at least 3-D)."""
    ts = _tensors(tensors, "dstack")
    return cat([atleast_3d(t) for t in ts], 2)


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix: columns x^(N-1), ..., x, 1 (reversed with ``increasing``)."""
    n = x.shape[0] if N is None else N
    powers = np.arange(n) if increasing else np.arange(n)[::-1].copy()
    xx = x if x.dtype.kind == "f" else x.to(backend.int64)
    cols = [xx ** builtins.int(p) if p else xx * 0 + 1 for p in powers]
    return stack(cols, 1) if cols else xx.reshape(-1, 1)[:, :0]


def unravel_index(indices, shape):
    """Coordinates of flat ``indices`` in a tensor of ``shape``: a tuple of index tensors."""
    idx = indices._data if isinstance(indices, Tensor) else np.asarray(indices)
    coords = np.unravel_index(backend.to_numpy(idx), tuple(_size((shape,))))
    return tuple(Tensor._make(c.astype(np.int64), False) for c in coords)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    return tensor(s, dtype=dtype or backend.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def asarray(obj, dtype=None, device=None, copy=None, requires_grad=False):
    """A tensor from ``obj``, sharing memory with a NumPy array or Tensor when it can."""
    if isinstance(obj, Tensor):
        out = obj.to(dtype) if dtype is not None else obj
        if device is not None:
            out = out.to(device)
        if copy:
            out = out.clone()
    elif isinstance(obj, np.ndarray) and not copy and device is None and \
            (dtype is None or backend.to_dtype(dtype) == obj.dtype):
        out = Tensor._make(obj, False)
    else:
        out = tensor(obj, dtype=dtype, device=device)
    return out.requires_grad_(True) if requires_grad else out


def _window(name, fn):
    def window(window_length, periodic=True, *, dtype=None, device=None, requires_grad=False,
               **params):
        if window_length == 0:
            return _make(np.zeros(0, backend.to_dtype(dtype) or backend.get_default_dtype()),
                         requires_grad, device)
        if window_length == 1:
            return _make(np.ones(1, backend.to_dtype(dtype) or backend.get_default_dtype()),
                         requires_grad, device)
        n = window_length + 1 if periodic else window_length
        w = fn(np.arange(n, dtype=np.float64), n, **params)[:window_length]
        return _make(w.astype(backend.to_dtype(dtype) or backend.get_default_dtype()),
                     requires_grad, device)

    window.__name__ = name
    window.__doc__ = f"The {name.split('_')[0]} window (``periodic`` drops the last point of a "\
        "symmetric window one longer, for spectral analysis)."
    return window


hann_window = _window("hann_window", lambda k, n: 0.5 - 0.5 * np.cos(2 * math.pi * k / (n - 1)))
hamming_window = _window(
    "hamming_window",
    lambda k, n, alpha=0.54, beta=0.46: alpha - beta * np.cos(2 * math.pi * k / (n - 1)))
blackman_window = _window(
    "blackman_window", lambda k, n: 0.42 - 0.5 * np.cos(2 * math.pi * k / (n - 1))
    + 0.08 * np.cos(4 * math.pi * k / (n - 1)))
bartlett_window = _window(
    "bartlett_window", lambda k, n: 1 - np.abs(2 * k / (n - 1) - 1))


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, device=None,
                  requires_grad=False):
    """The Kaiser window i0(beta sqrt(1 - (2k / (N - 1) - 1)^2)) / i0(beta)."""
    dt = backend.to_dtype(dtype) or backend.get_default_dtype()
    if window_length <= 1:
        return _make(np.ones(window_length, dt), requires_grad, device)
    n = window_length + 1 if periodic else window_length
    k = np.arange(n, dtype=np.float64)
    w = np.i0(beta * np.sqrt(np.clip(1 - (2 * k / (n - 1) - 1) ** 2, 0, None))) / np.i0(beta)
    return _make(w[:window_length].astype(dt), requires_grad, device)


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimates of the derivative along each dim (``dim``: one dim or a list), as NumPy's and
    PyTorch's ``gradient``: second-order central differences inside (for samples at x_{i-1},
    x_i, x_{i+1} with gaps h1, h2: (h1^2 f_{i+1} - h2^2 f_{i-1} + (h2^2 - h1^2) f_i) /
    (h1 h2 (h1 + h2)), which is (f_{i+1} - f_{i-1}) / 2h for equal gaps), and one-sided
    differences of order ``edge_order`` (1 or 2) at the ends. ``spacing``: one number for
    every dim, one per dim, or one 1-D tensor of sample coordinates per dim. Returns a tuple
    with one tensor per dim; linear in the input, so differentiable."""
    if edge_order not in (1, 2):
        raise RuntimeError(f"gradient: only edge_order=1 and edge_order=2 are supported, got "
                           f"{edge_order}")
    x = input if input.is_floating_point() else input.to(backend.get_default_dtype())
    dims = list(range(x.ndim)) if dim is None else \
        ([dim] if isinstance(dim, builtins.int) else list(dim))
    dims = [d % max(x.ndim, 1) for d in dims]
    if spacing is None:
        spacing = 1
    sp = list(spacing) if isinstance(spacing, (list, tuple)) else [spacing] * len(dims)
    if len(sp) == 1 and len(dims) > 1:
        sp = sp * len(dims)
    if len(sp) != len(dims):
        raise RuntimeError(f"gradient: expected spacing to have one entry per dim ({len(dims)})"
                           f", got {len(sp)}")
    out = []
    for d, h in zip(dims, sp):
        n = x.shape[d]
        if n < edge_order + 1:
            raise RuntimeError(f"gradient: expected each dimension size to be at least "
                               f"edge_order+1 ({edge_order + 1}), dim {d} has {n}")
        xd = x
        if isinstance(h, Tensor) and h.ndim == 1:  # sample coordinates (their dtype promotes)
            dx = np.diff(backend.to_numpy(h._data).astype(np.float64))
            if h.is_floating_point():
                xd = x.to(backend.promote_types(x.dtype, h.dtype))
        else:
            dx = np.full(n - 1, float(h.item() if isinstance(h, Tensor) else h))
        out.append(_gradient_along(xd, d, dx, edge_order))
    return tuple(out)


def _gradient_along(x, d, dx, edge_order):
    """One dim of ``gradient``: weighted sums of shifted slices (NumPy's coefficients)."""
    n = x.shape[d]
    shape = [1] * x.ndim
    shape[d] = -1

    def coef(v):
        return Tensor._make(backend.to_device(np.asarray(v, x.dtype).reshape(shape), x.device),
                            False)

    def part(start, length):
        return x.narrow(d, start, length)

    if edge_order == 1:
        first = (part(1, 1) - part(0, 1)) / coef(dx[:1])
        last = (part(n - 1, 1) - part(n - 2, 1)) / coef(dx[-1:])
    else:
        a, b = dx[0], dx[1]
        first = (coef([-(2 * a + b) / (a * (a + b))]) * part(0, 1)
                 + coef([(a + b) / (a * b)]) * part(1, 1) + coef([-a / (b * (a + b))]) * part(2, 1))
        a, b = dx[-2], dx[-1]
        last = (coef([b / (a * (a + b))]) * part(n - 3, 1) + coef([-(a + b) / (a * b)])
                * part(n - 2, 1) + coef([(2 * b + a) / (b * (a + b))]) * part(n - 1, 1))
    parts = [first]
    if n > 2:
        h1, h2 = dx[:-1], dx[1:]
        parts.append(coef(-h2 / (h1 * (h1 + h2))) * part(0, n - 2)
                     + coef((h2 - h1) / (h1 * h2)) * part(1, n - 2)
                     + coef(h1 / (h2 * (h1 + h2))) * part(2, n - 2))
    parts.append(last)
    return cat(parts, d)


def empty_strided(size, stride, *, dtype=None, device=None, requires_grad=False):
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def empty_permuted(size, physical_layout, *, dtype=None, device=None, requires_grad=False):
    return empty(tuple(size), dtype=dtype, device=device, requires_grad=requires_grad)


def poisson(input, generator=None):
    """Poisson draws with rates ``input`` (same shape and dtype)."""
    r = backend.rng(generator).poisson(backend.to_numpy(input._data))
    return Tensor._make(backend.to_device(r.astype(input.dtype), input.device), False)


def binomial(count, prob, generator=None):
    """Binomial draws: successes in ``count`` trials of probability ``prob``."""
    r = backend.rng(generator).binomial(backend.to_numpy(count._data).astype(np.int64),
                                        backend.to_numpy(_as_tensor(prob, count)._data))
    return Tensor._make(backend.to_device(r.astype(count.dtype), count.device), False)


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """A function that maps ``func`` over dimension ``in_dims`` of its arguments and stacks the
    results along ``out_dims``: a loop over the batch, differentiable, not vectorised (the
    values of PyTorch's ``torch.vmap`` at the speed of a Python loop).

    ``in_dims`` is an int (every argument), None (not mapped), or a tuple with one entry per
    positional argument (itself an int, None, or a structure matching that argument).
    Arguments and results may be nested tuples, lists and dicts of tensors. ``randomness``:
    "error" and "different" let random ops draw new numbers for each sample; "same" replays the
    same draws for every sample.
    """
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"vmap: randomness must be 'error', 'different' or 'same', got "
                           f"{randomness!r}")

    def wrapper(*args, **kwargs):
        dims = tuple(in_dims) if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap: in_dims has {len(dims)} entries but the function got "
                             f"{len(args)} positional arguments")
        mapped = []  # per argument: (its tensors, how to rebuild it, each tensor's mapped dim)
        size = None
        for i, (a, d) in enumerate(zip(args, dims)):
            leaves, rebuild = _flatten(a)
            leaf_dims = _leaf_dims(d, a, len(leaves))
            for t, ld in zip(leaves, leaf_dims):
                if ld is None:
                    continue
                n = t.shape[ld]
                if size is not None and n != size:
                    raise ValueError(f"vmap: expected all mapped dimensions to have the same "
                                     f"size, got {size} and {n} (argument {i})")
                size = n
            mapped.append((leaves, rebuild, leaf_dims))
        if size is None:
            raise ValueError("vmap: at least one argument must be mapped over (in_dims all "
                             "None)")
        rng = backend.get_rng_state() if randomness == "same" else None
        results = []
        for b in range(size):
            if rng is not None:
                backend.set_rng_state(rng)
            call = [rebuild([t if d is None else t.select(d, b) for t, d in zip(leaves, ld)])
                    for leaves, rebuild, ld in mapped]
            results.append(func(*call, **kwargs))
        outs = [_flatten(r) for r in results]
        rebuild = outs[0][1]
        columns = list(zip(*[_as_tensors(o[0], r) for o, r in zip(outs, results)]))
        od = out_dims if isinstance(out_dims, tuple) else (out_dims,) * len(columns)
        return rebuild([stack(list(col), dim=d) for col, d in zip(columns, od)])

    return wrapper


def _as_tensors(leaves, result):
    if not leaves and not isinstance(result, (tuple, list, dict)):
        raise ValueError(f"vmap: the function must return tensors, got "
                         f"{type(result).__name__}")
    return leaves


def _leaf_dims(d, arg, n):
    """The mapped dimension of each leaf of one argument, from its in_dims entry."""
    if d is None or isinstance(d, int):
        return [d] * n
    dl = _flatten_like(d, arg)
    if len(dl) != n:
        raise ValueError("vmap: an in_dims entry must be an int, None, or match the structure "
                         "of its argument")
    return dl


_ = _as_tensor

__all__ = [
    "asarray",
    "atleast_1d",
    "atleast_2d",
    "atleast_3d",
    "bartlett_window",
    "binomial",
    "blackman_window",
    "block_diag",
    "broadcast_shapes",
    "broadcast_tensors",
    "broadcast_to",
    "cartesian_prod",
    "column_stack",
    "combinations",
    "dstack",
    "empty_permuted",
    "empty_strided",
    "gradient",
    "hamming_window",
    "hann_window",
    "kaiser_window",
    "meshgrid",
    "poisson",
    "row_stack",
    "scalar_tensor",
    "tril_indices",
    "triu_indices",
    "unravel_index",
    "vander",
    "vmap",
]
