"""Shape and indexing Functions: views, joins, splits, gathers and scatters.

Shape ops move values without changing them, so their gradients move the gradient back:
reshape reshapes it, permute applies the inverse permutation, a gather scatters (adding where
an index repeats), concatenation splits. ``differentiable_backward`` (``create_graph=True``)
moves the gradient Tensor back with these same ops, so it is differentiable to any order.
"""

from __future__ import annotations

from ..autograd.function import Function, unbroadcast
from ..backend import array_module


class Reshape(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return a.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.shape), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.reshape(ctx.shape), None


class Permute(Function):
    @staticmethod
    def forward(ctx, a, perm):
        ctx.perm = perm
        return a.transpose(perm)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.perm)
        for i, p in enumerate(ctx.perm):
            inv[p] = i
        return g.transpose(inv), None

    @staticmethod
    def differentiable_backward(ctx, g):
        inv = [0] * len(ctx.perm)
        for i, p in enumerate(ctx.perm):
            inv[p] = i
        return g.permute(*inv), None


class Expand(Function):
    @staticmethod
    def forward(ctx, a, shape):
        ctx.shape = a.shape
        return array_module(a).broadcast_to(a, shape)

    @staticmethod
    def backward(ctx, g):
        return unbroadcast(g, ctx.shape), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.sum_to_size(ctx.shape), None


class Cat(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        ctx.sizes = [a.shape[dim] for a in arrays]
        return array_module(*arrays).concatenate(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out = [None]
        start = 0
        needs = ctx.needs_input_grad
        for i, n in enumerate(ctx.sizes):
            if needs[i + 1]:
                sl = [slice(None)] * g.ndim
                sl[ctx.dim] = slice(start, start + n)
                out.append(g[tuple(sl)])
            else:
                out.append(None)
            start += n
        return tuple(out)

    @staticmethod
    def differentiable_backward(ctx, g):
        out, start = [None], 0
        for i, n in enumerate(ctx.sizes):
            out.append(g.narrow(ctx.dim, start, n) if ctx.needs_input_grad[i + 1] else None)
            start += n
        return tuple(out)


class Stack(Function):
    @staticmethod
    def forward(ctx, dim, *arrays):
        ctx.dim = dim
        return array_module(*arrays).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        parts = [xp.take(g, i, axis=ctx.dim) for i in range(g.shape[ctx.dim])]
        return (None, *[p if n else None for p, n in zip(parts, ctx.needs_input_grad[1:])])

    @staticmethod
    def differentiable_backward(ctx, g):
        return (None, *[g.select(ctx.dim, i) if n else None
                        for i, n in enumerate(ctx.needs_input_grad[1:])])


class Split(Function):
    """Split along ``dim`` into pieces of the given sizes (several outputs)."""

    @staticmethod
    def forward(ctx, a, sizes, dim):
        ctx.shape, ctx.dim = a.shape, dim
        outs, start = [], 0
        for n in sizes:
            sl = [slice(None)] * a.ndim
            sl[dim] = slice(start, start + n)
            outs.append(a[tuple(sl)])
            start += n
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        xp = array_module(*grads)
        return xp.concatenate(grads, axis=ctx.dim), None, None

    @staticmethod
    def differentiable_backward(ctx, *grads):
        return Cat.apply(ctx.dim, *grads), None, None


class Flip(Function):
    @staticmethod
    def forward(ctx, a, dims):
        ctx.dims = dims
        return array_module(a).flip(a, dims)

    @staticmethod
    def backward(ctx, g):
        return array_module(g).flip(g, ctx.dims), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g.flip(*ctx.dims), None


class Roll(Function):
    @staticmethod
    def forward(ctx, a, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(a).roll(a, shifts, dims)

    @staticmethod
    def backward(ctx, g):
        shifts = ctx.shifts
        neg = tuple(-s for s in shifts) if isinstance(shifts, (tuple, list)) else -shifts
        return array_module(g).roll(g, neg, ctx.dims), None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        shifts = ctx.shifts
        neg = tuple(-s for s in shifts) if isinstance(shifts, (tuple, list)) else -shifts
        return g.roll(neg, ctx.dims), None, None


def _is_basic(idx):
    """True if ``idx`` uses only ints, slices, None and Ellipsis (a view, no repeated elements)."""
    items = idx if isinstance(idx, tuple) else (idx,)
    return all(isinstance(i, (int, slice)) or i is None or i is Ellipsis for i in items)


class GetItem(Function):
    """x[index] for ints, slices, None, Ellipsis, integer arrays and boolean masks.

    The gradient is scattered back with ``add.at`` so an element selected twice receives the sum
    of both gradients (repeated indices).
    """

    @staticmethod
    def forward(ctx, a, idx):
        ctx.shape, ctx.dtype, ctx.idx = a.shape, a.dtype, idx
        ctx.basic = _is_basic(idx)
        return a[idx]

    @staticmethod
    def backward(ctx, g):
        return _index_put_array(g, ctx.shape, ctx.idx, ctx.basic), None

    @staticmethod
    def differentiable_backward(ctx, g):
        return IndexPut.apply(g, ctx.shape, ctx.idx, ctx.basic), None


def _index_put_array(g, shape, idx, basic):
    """A zero array of ``shape`` with ``g`` added at ``idx`` (``basic``: idx is a view)."""
    xp = array_module(g)
    out = xp.zeros(shape, dtype=g.dtype)
    if basic:
        out[idx] = g
    elif xp.__name__ == "numpy":
        xp.add.at(out, idx, g)
    else:  # pragma: no cover - cupy
        import cupyx  # type: ignore
        cupyx.scatter_add(out, idx, g)
    return out


class IndexPut(Function):
    """The adjoint of ``x[idx]``: a zero tensor of ``shape`` with ``g`` added at ``idx``
    (GetItem's gradient as an op, so that it can be differentiated again: its own gradient
    is ``gg[idx]``)."""

    @staticmethod
    def forward(ctx, g, shape, idx, basic):
        ctx.idx = idx
        return _index_put_array(g, shape, idx, basic)

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.idx], None, None, None

    @staticmethod
    def differentiable_backward(ctx, gg):
        return GetItem.apply(gg, ctx.idx), None, None, None


class Gather(Function):
    """out[i][j][k] = a[i][index[i][j][k]][k] along ``dim`` (torch.gather)."""

    @staticmethod
    def forward(ctx, a, dim, index):
        xp = array_module(a)
        ctx.shape, ctx.dim = a.shape, dim
        ctx.save_for_backward(index)
        if index.shape[:dim] + index.shape[dim + 1:] != a.shape[:dim] + a.shape[dim + 1:]:
            # torch allows index smaller than input in non-gather dims
            sl = tuple(slice(0, s) if i != dim else slice(None) for i, s in enumerate(index.shape))
            a = a[sl]
        return xp.take_along_axis(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        out = scatter_add_array(array_module(g).zeros(ctx.shape, g.dtype), ctx.dim, index, g)
        return out, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        (index,) = ctx.saved_tensors
        z = ctx.constant(array_module(g._data).zeros(ctx.shape, g._data.dtype), g.dtype)
        return ScatterAdd.apply(z, ctx.dim, index, g), None, None


def _full_index(xp, dim, index):
    """Open-mesh index arrays that address a[..., index, ...] elementwise along ``dim``."""
    grids = list(xp.ogrid[tuple(slice(0, s) for s in index.shape)]) if index.ndim else []
    grids[dim] = index
    return tuple(grids)


def scatter_add_array(out, dim, index, src):
    """out[..., index[i,j,k], ...] += src[i,j,k] along ``dim`` (repeated indices add up)."""
    xp = array_module(out)
    src = src[tuple(slice(0, s) for s in index.shape)]
    ix = _full_index(xp, dim, index)
    if xp.__name__ == "numpy":
        xp.add.at(out, ix, src)
    else:  # pragma: no cover - cupy
        import cupyx  # type: ignore
        cupyx.scatter_add(out, ix, src)
    return out


class ScatterAdd(Function):
    @staticmethod
    def forward(ctx, a, dim, index, src):
        ctx.dim = dim
        ctx.save_for_backward(index)
        ctx.src_shape = src.shape
        return scatter_add_array(a.copy(), dim, index, src)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = array_module(g)
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = xp.zeros(ctx.src_shape, g.dtype)
            sl = tuple(slice(0, s) for s in index.shape)
            gsrc[sl] = g[_full_index(xp, ctx.dim, index)]
        return g, None, None, gsrc

    @staticmethod
    def differentiable_backward(ctx, g):
        (index,) = ctx.saved_tensors
        gsrc = None
        if ctx.needs_input_grad[3]:
            if tuple(index.shape) != tuple(ctx.src_shape):  # src larger than index: not written
                return NotImplemented
            gsrc = Gather.apply(g, ctx.dim, index)
        return g, None, None, gsrc


class ScatterProd(Function):
    """scatter_reduce(..., 'prod'): out = a with out[..., index[i, j], ...] *= src[i, j] along
    ``dim`` (with ``include_self=False`` the scattered positions start from 1, not from a).

    The gradient of a product with respect to one factor is the product of the others; it is
    computed without dividing by a zero factor (PyTorch's formula): self's zeros are replaced
    by 1 before the product is taken again, and a source that is the only zero sent to its
    position gets the product of the rest, taken with that zero replaced by 1."""

    @staticmethod
    def forward(ctx, a, dim, index, src, include_self):
        xp = array_module(a)
        ix = _full_index(xp, dim, index)
        base = a.copy()
        if not include_self:
            base[ix] = 1
        out = base.copy()
        xp.multiply.at(out, ix, src)
        ctx.dim, ctx.include_self = dim, include_self
        ctx.save_for_backward(a, index, src, out)
        return out

    @staticmethod
    def backward(ctx, g):
        a, index, src, out = ctx.saved_tensors
        xp = array_module(g)
        ix = _full_index(xp, ctx.dim, index)
        ga = gsrc = None
        if ctx.needs_input_grad[0]:
            ones_for_zeros = xp.where(a == 0, 1, a)
            others = ones_for_zeros.copy()
            if not ctx.include_self:
                others[ix] = 1
            xp.multiply.at(others, ix, src)
            ga = g * others / ones_for_zeros
            if not ctx.include_self:
                ga[ix] = 0  # a's value at a scattered position was never used
        if ctx.needs_input_grad[3]:
            src_zero = src == 0
            zeros_at = xp.zeros(a.shape, g.dtype)
            xp.add.at(zeros_at, ix, src_zero.astype(g.dtype))
            single = src_zero & (zeros_at[ix] == 1)
            rest = a.copy()
            if not ctx.include_self:
                rest[ix] = 1
            xp.multiply.at(rest, ix, xp.where(single, 1, src))
            gsrc = xp.where(single, (g * rest)[ix],
                            (g * out)[ix] / xp.where(src_zero, 1, src)).astype(g.dtype)
        return ga, None, None, gsrc, None

    differentiable_backward = None  # no second derivative


class IndexSelect(Function):
    @staticmethod
    def forward(ctx, a, dim, index):
        ctx.shape, ctx.dim = a.shape, dim
        ctx.save_for_backward(index)
        return array_module(a).take(a, index, axis=dim)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = array_module(g)
        out = xp.zeros(ctx.shape, g.dtype)
        _index_add_array(out, ctx.dim, index, g)
        return out, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        (index,) = ctx.saved_tensors
        z = ctx.constant(array_module(g._data).zeros(ctx.shape, g._data.dtype), g.dtype)
        return IndexAdd.apply(z, ctx.dim, index, g, 1), None, None


def _index_add_array(out, dim, index, src):
    xp = array_module(out)
    sl = (slice(None),) * dim + (index,)
    if xp.__name__ == "numpy":
        xp.add.at(out, sl, src)
    else:  # pragma: no cover
        import cupyx  # type: ignore
        cupyx.scatter_add(out, sl, src)
    return out


class IndexAdd(Function):
    @staticmethod
    def forward(ctx, a, dim, index, src, alpha):
        ctx.dim, ctx.alpha = dim, alpha
        ctx.save_for_backward(index)
        return _index_add_array(a.copy(), dim, index, src * alpha if alpha != 1 else src)

    @staticmethod
    def backward(ctx, g):
        (index,) = ctx.saved_tensors
        xp = array_module(g)
        gsrc = xp.take(g, index, axis=ctx.dim) * ctx.alpha if ctx.needs_input_grad[3] else None
        return g, None, None, gsrc, None

    @staticmethod
    def differentiable_backward(ctx, g):
        (index,) = ctx.saved_tensors
        gsrc = None
        if ctx.needs_input_grad[3]:
            gsrc = IndexSelect.apply(g, ctx.dim, index)
            if ctx.alpha != 1:
                gsrc = gsrc * ctx.alpha
        return g, None, None, gsrc, None
