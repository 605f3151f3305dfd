"""Differentiable gradients of the shape, indexing and matrix ops (``create_graph=True``).

Shape ops only move values, so their gradients move the gradient back with other shape ops;
those are linear in the gradient and differentiable to any order. A matrix product's gradients
are matrix products again: dL/dA = G B^T and dL/dB = A^T G.
"""

from __future__ import annotations

import importlib

import numpy as np

from . import autograd
from ._grad_registry import O, _unsupported, register, sum_to
from ._grad_registry import input_tensor as I
from .ops import decomp as DC
from .ops import linalg as L
from .ops import shape as S
from .tensor_arith import _SetItem

PAD = importlib.import_module("glassnet.nn.functional.padding")

# ----------------------------------------------------------------------------- shapes and indexing
register(S.Reshape)(lambda ctx, g: (g.reshape(ctx.shape), None))
register(S.Expand)(lambda ctx, g: (sum_to(g, ctx.shape), None))
register(S.Flip)(lambda ctx, g: (g.flip(*ctx.dims), None))


@register(S.Permute)
def _permute(ctx, g):
    inv = [0] * len(ctx.perm)
    for i, p in enumerate(ctx.perm):
        inv[p] = i
    return g.permute(*inv), None


@register(S.Roll)
def _roll(ctx, g):
    neg = tuple(-s for s in ctx.shifts) if isinstance(ctx.shifts, tuple) else -ctx.shifts
    return g.roll(neg, ctx.dims), None, None


@register(S.Cat)
def _cat(ctx, g):
    out, start = [None], 0
    for i, n in enumerate(ctx.sizes):
        out.append(g.narrow(ctx.dim, start, n) if ctx.needs_input_grad[i + 1] else None)
        start += n
    return tuple(out)


@register(S.Stack)
def _stack(ctx, g):
    return (None, *[g.select(ctx.dim, i) if n else None
                    for i, n in enumerate(ctx.needs_input_grad[1:])])


@register(S.Split)
def _split(ctx, *grads):
    from .functions import cat
    return cat(list(grads), ctx.dim), None, None


class IndexPut(autograd.Function):
    """The adjoint of ``x[idx]``: a zero tensor of ``shape`` with ``g`` added at ``idx``."""

    @staticmethod
    def forward(ctx, g, shape, idx, basic):
        ctx.idx = idx
        fake = autograd.Context()
        fake.shape, fake.idx, fake.basic = shape, idx, basic
        return S.GetItem.backward(fake, g)[0]

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.idx], None, None, None


register(IndexPut)(lambda ctx, gg: (S.GetItem.apply(gg, ctx.idx), None, None, None))
register(S.GetItem)(lambda ctx, g: (IndexPut.apply(g, ctx.shape, ctx.idx, ctx.basic), None))


@register(S.Gather)
def _gather(ctx, g):
    (index,) = ctx.saved_tensors
    from .functions import zeros
    z = zeros(*ctx.shape, dtype=g.dtype, device=g.device)
    return S.ScatterAdd.apply(z, ctx.dim, index, g), None, None


@register(S.ScatterAdd)
def _scatter_add(ctx, g):
    (index,) = ctx.saved_tensors
    gsrc = None
    if ctx.needs_input_grad[3]:
        if tuple(index.shape) != tuple(ctx.src_shape):
            return _unsupported(ctx, (g,))
        gsrc = S.Gather.apply(g, ctx.dim, index)
    return g, None, None, gsrc


@register(S.IndexSelect)
def _index_select(ctx, g):
    (index,) = ctx.saved_tensors
    from .functions import zeros
    z = zeros(*ctx.shape, dtype=g.dtype, device=g.device)
    return S.IndexAdd.apply(z, ctx.dim, index, g, 1), None, None


@register(S.IndexAdd)
def _index_add(ctx, g):
    (index,) = ctx.saved_tensors
    gsrc = None
    if ctx.needs_input_grad[3]:
        gsrc = S.IndexSelect.apply(g, ctx.dim, index)
        if ctx.alpha != 1:
            gsrc = gsrc * ctx.alpha
    return g, None, None, gsrc, None


# ----------------------------------------------------------------------------- matrix products
@register(L.MatMul)
def _matmul(ctx, g):
    a, b = ctx.saved_tensors
    A, B = I(ctx, 0, a), I(ctx, 1, b)
    na, nb = ctx.needs_input_grad
    if a.ndim == 1 and b.ndim == 1:  # a dot product
        return (g * B if na else None), (g * A if nb else None)
    a2 = A.unsqueeze(0) if a.ndim == 1 else A
    b2 = B.unsqueeze(-1) if b.ndim == 1 else B
    g2 = g.unsqueeze(-2) if a.ndim == 1 else g.unsqueeze(-1) if b.ndim == 1 else g
    ga = gb = None
    if na:
        ga = sum_to(g2 @ b2.transpose(-1, -2), a2.shape).reshape(a.shape)
    if nb:
        gb = sum_to(a2.transpose(-1, -2) @ g2, b2.shape).reshape(b.shape)
    return ga, gb


@register(L.Einsum)
def _einsum(ctx, g):
    from .functions import einsum
    ops = ctx.saved_tensors
    T = [I(ctx, i + 1, op) for i, op in enumerate(ops)]
    grads = [None]
    for i, op in enumerate(ops):
        if not ctx.needs_input_grad[i + 1]:
            grads.append(None)
            continue
        target = ctx.ins[i]
        if len(set(target)) != len(target):  # a diagonal ('ii'): not written yet
            return _unsupported(ctx, (g,))
        others = [ctx.ins[j] for j in range(len(ops)) if j != i]
        avail = set(ctx.out).union(*others) if others else set(ctx.out)
        keep = "".join(c for c in target if c in avail)
        gi = einsum(f"{','.join([ctx.out] + others)}->{keep}", g,
                    *[T[j] for j in range(len(ops)) if j != i])
        for c in target:  # letters summed out of this operand alone: broadcast back
            if c not in keep:
                gi = gi.unsqueeze(-1)
                keep += c
        gi = gi.expand(*[op.shape[target.index(c)] for c in keep])
        if keep != target:
            gi = gi.permute(*[keep.index(c) for c in target])
        grads.append(gi)
    return tuple(grads)


# ----------------------------------------------------------------------------- padding, __setitem__
@register(PAD.ConstantPad)
def _constant_pad(ctx, g):
    return IndexPut.apply(g[ctx.dst], ctx.shape, ctx.src, True), None, None


@register(_SetItem)
def _set_item(ctx, g):
    keep = np.ones(tuple(g.shape), dtype=g.dtype)
    keep[ctx.idx] = 0  # the overwritten elements of a get no gradient
    ga = g * autograd._Tensor._make(keep, False)
    gv = sum_to(g[ctx.idx], ctx.vshape) if ctx.needs_input_grad[2] else None
    return ga, None, gv


# ----------------------------------------------------------------------------- inverse, det, solve
@register(DC.Inv)
def _inv(ctx, g):
    c = O(ctx, ctx.saved_tensors[0]).mT  # d(A^-1) = -A^-1 dA A^-1
    return -(c @ g @ c)


@register(DC.Det)
def _det(ctx, g):
    from .linalg import inv
    a, out = ctx.saved_tensors
    return inv(I(ctx, 0, a)).mT * (g * O(ctx, out)).unsqueeze(-1).unsqueeze(-1)


@register(DC.Solve)
def _solve(ctx, g):
    a, x = ctx.saved_tensors
    gb = DC.Solve.apply(I(ctx, 0, a).mT, g)
    ga = -(gb @ O(ctx, x).mT) if ctx.needs_input_grad[0] else None
    return (sum_to(ga, ctx.sa) if ga is not None else None,
            sum_to(gb, ctx.sb) if ctx.needs_input_grad[1] else None)
