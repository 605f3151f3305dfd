"""Reductions: sum, mean, var, max/min, prod, logsumexp, argmax/argmin, topk.

The gradient of a reduction broadcasts the output gradient back over the reduced axes
(the adjoint of summation is broadcasting), weighted by the local derivative; the
``differentiable_backward`` of each op (``create_graph=True``) does the same on Tensors.
"""

from __future__ import annotations

from ..autograd.function import Function, Relabel
from ..backend import array_module, compute_in_float32
from .complex import conj


def normalize_dims(dim, ndim, op="reduce"):
    """``dim`` (None, int or tuple, negatives allowed) as a sorted tuple of axes."""
    if dim is None:
        return tuple(range(ndim))
    dims = (dim,) if isinstance(dim, int) else tuple(dim)
    out = [normalize_dim(d, ndim, op) for d in dims]
    if ndim == 0:  # a 0-d tensor has nothing to reduce: dim 0 / -1 name the tensor itself
        return ()
    return tuple(sorted(set(out)))


def normalize_dim(dim, ndim, op="op"):
    """One ``dim`` (negatives allowed) as an axis in ``range(ndim)``; 0 for a 0-d tensor."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{op}: dim {dim} is out of range for a tensor with {ndim} dimensions "
            f"(expected -{n} <= dim < {n})")
    return dim % n


def _expand_back(g, shape, axes, keepdim):
    """Reinsert reduced axes (size 1) so ``g`` broadcasts against the input."""
    if not keepdim and len(shape):
        g = g.reshape([1 if i in axes else s for i, s in enumerate(shape)])
    return g


def _broadcast_back(g, shape, axes, keepdim):
    """Reinsert the reduced axes of the Tensor ``g`` and broadcast it over the input's
    ``shape``."""
    g = _expand_back(g, shape, axes, keepdim)
    return g if tuple(g.shape) == tuple(shape) else g.expand(*shape)


def _onehot(idx, n, dim, ndim):
    """mask[..., j, ...] = (j == idx[...]) along ``dim``, idx holding size 1 at ``dim``."""
    xp = array_module(idx)
    ar = xp.arange(n).reshape([-1 if i == dim else 1 for i in range(ndim)])
    return ar == idx


class Sum(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        return a.sum(axis=axes, keepdims=keepdim)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        xp = array_module(g)
        g = _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)
        return xp.broadcast_to(g, ctx.shape), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return _broadcast_back(g, ctx.shape, ctx.axes, ctx.keepdim), None, None


class Mean(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, a, axes, keepdim):
        ctx.shape, ctx.axes, ctx.keepdim = a.shape, axes, keepdim
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        ctx.n = n
        if n == 0:  # the mean of nothing is NaN (without NumPy's warning), as in PyTorch
            xp = array_module(a)
            return xp.full(a.sum(axis=axes, keepdims=keepdim).shape, xp.nan, dtype=a.dtype)
        return a.mean(axis=axes, keepdims=keepdim)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        xp = array_module(g)
        g = _expand_back(g, ctx.shape, ctx.axes, ctx.keepdim)
        return xp.broadcast_to(g / ctx.n if ctx.n else g, ctx.shape), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        g = _broadcast_back(g, ctx.shape, ctx.axes, ctx.keepdim)
        return (g / ctx.n if ctx.n else g), None, None


class Var(Function):
    """Variance with Bessel's ``correction`` (1 = unbiased, PyTorch's default)."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, a, axes, correction, keepdim):
        xp = array_module(a)
        n = 1
        for ax in axes:
            n *= a.shape[ax]
        with _quiet(xp):
            mu = a.sum(axis=axes, keepdims=True) / n if n else xp.full(
                [1 if i in axes else k for i, k in enumerate(a.shape)], xp.nan, a.dtype)
        d = a - mu.astype(a.dtype, copy=False)
        ctx.save_for_backward(d)
        ctx.axes, ctx.keepdim, ctx.denom = axes, keepdim, max(n - correction, 0)
        with _quiet(xp):
            out = (d * d).sum(axis=axes, keepdims=keepdim) / ctx.denom
        return out.astype(a.dtype, copy=False)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        (d,) = ctx.saved_tensors[:1]
        g = _expand_back(g, d.shape, ctx.axes, ctx.keepdim)
        return g * (2.0 / ctx.denom) * d if ctx.denom else g * d * float("nan"), None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        (d,) = ctx.saved_tensors[:1]
        A = ctx.input_tensor(0, d)  # the input up to a constant shift: only a - mean(a) is used
        dt = Relabel.apply(A - A.mean(ctx.axes, keepdim=True), d)
        g = _broadcast_back(g, d.shape, ctx.axes, ctx.keepdim)
        if not ctx.denom:
            return g * dt * float("nan"), None, None, None
        return g * (2.0 / ctx.denom) * dt, None, None, None


class Std(Function):
    """sqrt(var). d std = d var / (2 std), taken as 0 where std = 0 (as PyTorch does)."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, a, axes, correction, keepdim):
        xp = array_module(a)
        out = xp.sqrt(Var.forward(ctx, a, axes, correction, keepdim))
        ctx.save_for_backward(ctx.saved_tensors[0], out)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        xp = array_module(g)
        out = ctx.saved_tensors[1]
        with _quiet(xp):
            gv = xp.where(out == 0, 0, g / (2 * out)).astype(g.dtype, copy=False)
        return Var.backward(ctx, gv)

    @staticmethod
    def differentiable_backward(ctx, g):
        out = ctx.saved_tensors[1]
        nonzero = ~(out == 0)
        y = ctx.output_tensor(out).where(nonzero, 1.0)
        return Var.differentiable_backward(ctx, (g / (2 * y)).where(nonzero, 0.0))


class _quiet:
    def __init__(self, xp):
        self.np = xp.__name__ == "numpy"

    def __enter__(self):
        if self.np:
            import numpy as np
            self.old = np.seterr(divide="ignore", invalid="ignore")

    def __exit__(self, *a):
        if self.np:
            import numpy as np
            np.seterr(**self.old)


class AMax(Function):
    """max/min over axes returning values only; the gradient is shared evenly among ties."""

    @staticmethod
    def forward(ctx, a, axes, keepdim, is_max):
        if any(a.shape[ax] == 0 for ax in axes):
            raise IndexError(
                f"{'max' if is_max else 'min'}: cannot reduce an empty tensor of shape "
                f"{tuple(a.shape)} without an identity")
        out = a.max(axis=axes, keepdims=True) if is_max else a.min(axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(a.shape) if i not in axes])

    @staticmethod
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        mask = a == out
        count = mask.sum(axis=ctx.axes, keepdims=True)
        g = _expand_back(g, a.shape, ctx.axes, ctx.keepdim)
        return mask * (g / count), None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        a, out = ctx.saved_tensors
        mask = a == out
        count = mask.sum(axis=ctx.axes, keepdims=True)
        g = _broadcast_back(g, a.shape, ctx.axes, ctx.keepdim)
        return g * ctx.constant(mask / count, g.dtype), None, None, None


class MaxDim(Function):
    """max/min along one dim returning (values, indices); the gradient goes to the index."""

    @staticmethod
    def forward(ctx, a, dim, keepdim, is_max):
        xp = array_module(a)
        if a.shape[dim] == 0:
            raise IndexError(f"{'max' if is_max else 'min'}: dim {dim} of shape {tuple(a.shape)} is empty")
        idx = (a.argmax if is_max else a.argmin)(axis=dim)
        idx = xp.expand_dims(idx, dim)
        vals = xp.take_along_axis(a, idx, axis=dim)
        # numpy's argmax/argmin already return the first NaN: NaN propagates, as in PyTorch.
        ctx.shape, ctx.dim, ctx.keepdim = a.shape, dim, keepdim
        ctx.save_for_backward(idx)
        if not keepdim:
            vals, idx = vals.squeeze(dim), idx.squeeze(dim)
        return vals, idx.astype("int64", copy=False)

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        xp = array_module(g)
        if not ctx.keepdim:
            g = xp.expand_dims(g, ctx.dim)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(out, idx, g, axis=ctx.dim)
        return out, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        if not ctx.keepdim:
            g = g.unsqueeze(ctx.dim)
        mask = _onehot(idx, ctx.shape[ctx.dim], ctx.dim, len(ctx.shape))
        return g * ctx.constant(mask, g.dtype), None, None, None


class Prod(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, a, axes, keepdim):
        out = a.prod(axis=axes, keepdims=True)
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.reshape([s for i, s in enumerate(a.shape) if i not in axes])

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(a)
        g = _expand_back(g, a.shape, ctx.axes, ctx.keepdim)
        zeros = a == 0
        if not bool(zeros.any()):  # complex: times the conjugate, see ops/complex.py
            return g * conj(out / a), None, None
        # With zeros, d prod / d a_i is the product of the others: computed by moving the
        # reduced axes to the end and taking exclusive cumulative products from both sides.
        axes = ctx.axes
        rest = [i for i in range(a.ndim) if i not in axes]
        perm = rest + list(axes)
        ap = a.transpose(perm)
        lead = ap.shape[: len(rest)]
        flat = ap.reshape(lead + (-1,))
        ones = xp.ones(lead + (1,), dtype=a.dtype)
        left = xp.cumprod(xp.concatenate([ones, flat[..., :-1]], axis=-1), axis=-1)
        right = xp.flip(xp.cumprod(xp.concatenate([ones, xp.flip(flat, -1)[..., :-1]], -1), -1), -1)
        others = (left * right).reshape(ap.shape)
        inv = [0] * a.ndim
        for i, p in enumerate(perm):
            inv[p] = i
        return g * conj(others.transpose(inv)), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        a, out = ctx.saved_tensors
        if bool((a == 0).any()):  # the product of the others is not written on Tensors
            return NotImplemented
        y = ctx.output_tensor(out if ctx.keepdim else out.reshape(
            [s for i, s in enumerate(a.shape) if i not in ctx.axes]))
        g = _broadcast_back(g * conj(y), a.shape, ctx.axes, ctx.keepdim)
        return g / conj(ctx.input_tensor(0, a)), None, None


class LogSumExp(Function):
    """log sum exp(x), computed as m + log sum exp(x - m) with m = max(x): never overflows."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, a, axes, keepdim):
        xp = array_module(a)
        m = a.max(axis=axes, keepdims=True) if a.size else xp.zeros((1,) * a.ndim, a.dtype)
        m = xp.where(xp.isfinite(m), m, 0)
        s = xp.exp(a - m).sum(axis=axes, keepdims=True)
        with _quiet(xp):
            out = xp.log(s) + m
        ctx.save_for_backward(a, out)
        ctx.axes, ctx.keepdim = axes, keepdim
        return out if keepdim else out.reshape([d for i, d in enumerate(a.shape) if i not in axes])

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        a, out = ctx.saved_tensors
        xp = array_module(a)
        g = _expand_back(g, a.shape, ctx.axes, ctx.keepdim)
        with _quiet(xp):  # rows of -inf give NaN gradients, as in PyTorch
            return g * xp.exp(a - out), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        a, out = ctx.saved_tensors
        y = ctx.output_tensor(out if ctx.keepdim else out.reshape(
            [s for i, s in enumerate(a.shape) if i not in ctx.axes]))
        g = _broadcast_back(g, a.shape, ctx.axes, ctx.keepdim)
        ye = _broadcast_back(y, a.shape, ctx.axes, ctx.keepdim)
        return g * (ctx.input_tensor(0, a) - ye).exp(), None, None


class Cumsum(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, a, dim):
        ctx.dim = dim
        return array_module(a).cumsum(a, axis=dim)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        xp = array_module(g)
        return xp.flip(xp.cumsum(xp.flip(g, ctx.dim), axis=ctx.dim), ctx.dim), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.flip(ctx.dim).cumsum(ctx.dim).flip(ctx.dim), None


class TopK(Function):
    @staticmethod
    def forward(ctx, a, k, dim, largest, sorted_):
        xp = array_module(a)
        n = a.shape[dim]
        if not 0 <= k <= n:
            raise RuntimeError(f"topk: k={k} is out of range for dimension {dim} of size {n}")
        key = -a if largest else a
        if a.dtype.kind == "b":
            key = -a.astype("int8") if largest else a.astype("int8")
        # stable sort keeps the first occurrence first among ties
        if largest and a.dtype.kind == "f" and bool(xp.isnan(a).any()):
            # NaN counts as the largest value: first when descending (PyTorch)
            idx = xp.lexsort((key, ~xp.isnan(a)), axis=dim)
        else:
            idx = xp.argsort(key, axis=dim, kind="stable")
        idx = xp.take(idx, xp.arange(k), axis=dim)
        vals = xp.take_along_axis(a, idx, axis=dim)
        ctx.shape, ctx.dim = a.shape, dim
        ctx.save_for_backward(idx)
        return vals, idx.astype("int64", copy=False)

    @staticmethod
    def backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        xp = array_module(g)
        out = xp.zeros(ctx.shape, dtype=g.dtype)
        xp.put_along_axis(out, idx, g, axis=ctx.dim)
        return out, None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g, _gi):
        (idx,) = ctx.saved_tensors
        xp = array_module(idx)
        n = ctx.shape[ctx.dim]
        mask = ctx.constant(idx[..., None] == xp.arange(n), g.dtype)  # idx.shape + (n,)
        out = (g.unsqueeze(-1) * mask).sum(ctx.dim)
        return out.movedim(-1, ctx.dim), None, None, None, None
