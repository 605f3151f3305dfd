"""Matrix products: batched matmul with broadcasting, and einsum.

For C = A B the chain rule gives dL/dA = dL/dC B^T and dL/dB = A^T dL/dC (for complex
matrices the conjugate transposes B^H and A^H, see ops/complex.py); batch dimensions
that were broadcast are summed back (``unbroadcast``). ``differentiable_backward``
(``create_graph=True``) is the same pair of products on Tensors.
"""

from __future__ import annotations

import math

from ..autograd.function import Function, unbroadcast
from ..backend import array_module, blas_threads_for, compute_in_float32
from .complex import conj


def _macs(a, b) -> int:
    """The multiply-adds of a @ b: batch x M x N x K (a 1-D operand is one row or column; a
    broadcast batch counts as the larger one)."""
    if a.ndim == 0 or b.ndim == 0:
        return 0
    k = a.shape[-1]
    m = a.shape[-2] if a.ndim > 1 else 1
    n = b.shape[-1] if b.ndim > 1 else 1
    batch = max(a.size // max(1, m * k), b.size // max(1, k * n))
    return batch * m * n * k


class MatMul(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        with blas_threads_for(_macs(a, b)):
            return a @ b

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        xp = array_module(g)
        # Promote 1-D operands to matrices as matmul does, then undo it on the gradients.
        a2 = a[None, :] if a.ndim == 1 else a
        b2 = b[:, None] if b.ndim == 1 else b
        g2 = g
        if a.ndim == 1 and b.ndim == 1:  # a dot product: g is a scalar
            g2 = g.reshape(1, 1)
        elif a.ndim == 1:
            g2 = xp.expand_dims(g2, -2)
        elif b.ndim == 1:
            g2 = xp.expand_dims(g2, -1)
        ga = gb = None
        with blas_threads_for(_macs(a, b)):  # each gradient: as many multiply-adds
            if na:
                ga = g2 @ conj(xp.swapaxes(b2, -1, -2))
                ga = unbroadcast(ga, a2.shape) if ga.shape != a2.shape else ga
                ga = ga.reshape(a.shape)
            if nb:
                if b2.ndim == 2 and a2.ndim > 2:
                    # A weight shared by every batch element: the sum over the batch of A_i^T G_i
                    # is one big matmul over the flattened batch.
                    # (explicit row counts: reshape(-1, 0) is ambiguous for a zero-size inner dim)
                    rows = math.prod(a2.shape[:-1])
                    gb = conj(a2.reshape(rows, a2.shape[-1]).T) @ g2.reshape(rows, g2.shape[-1])
                else:
                    gb = conj(xp.swapaxes(a2, -1, -2)) @ g2
                    gb = unbroadcast(gb, b2.shape) if gb.shape != b2.shape else gb
                gb = gb.reshape(b.shape)
        return ga, gb

    @staticmethod
    def differentiable_backward(ctx, g):
        a, b = ctx.saved_tensors
        A, B = ctx.input_tensor(0, a), ctx.input_tensor(1, b)
        na, nb = ctx.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # a dot product
            return (g * conj(B) if na else None), (g * conj(A) if nb else None)
        a2 = A.unsqueeze(0) if a.ndim == 1 else A
        b2 = B.unsqueeze(-1) if b.ndim == 1 else B
        g2 = g.unsqueeze(-2) if a.ndim == 1 else g.unsqueeze(-1) if b.ndim == 1 else g
        ga = gb = None
        if na:
            ga = (g2 @ conj(b2.transpose(-1, -2))).sum_to_size(a2.shape).reshape(a.shape)
        if nb:
            gb = (conj(a2.transpose(-1, -2)) @ g2).sum_to_size(b2.shape).reshape(b.shape)
        return ga, gb


class Einsum(Function):
    """einsum with one output: the gradient of each operand is another einsum."""

    @staticmethod
    def forward(ctx, spec, *ops):
        xp = array_module(*ops)
        ins, out = _parse(spec, ops)
        ctx.ins, ctx.out = ins, out
        ctx.save_for_backward(*ops)
        return xp.einsum(f"{','.join(ins)}->{out}", *ops, optimize=len(ops) > 2)

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        xp = array_module(g)
        grads = [None]
        for i, op in enumerate(ops):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            target = ctx.ins[i]
            others = [ctx.ins[j] for j in range(len(ops)) if j != i]
            other_ops = [conj(ops[j]) for j in range(len(ops)) if j != i]  # complex: conj
            # Letters of the operand that appear nowhere else were summed out: broadcast back.
            avail = set(ctx.out).union(*others) if others else set(ctx.out)
            keep = "".join(c for c in dict.fromkeys(target) if c in avail)
            gi = xp.einsum(f"{','.join([ctx.out] + others)}->{keep}", g, *other_ops,
                           optimize=len(ops) > 2)
            # Expand to the operand's letters (handles summed-out letters and repeated
            # letters such as a diagonal 'ii').
            grads.append(_expand_to(xp, gi, keep, target, op.shape, op.dtype))
        return tuple(grads)

    @staticmethod
    def differentiable_backward(ctx, g):
        ops = ctx.saved_tensors
        T = [ctx.input_tensor(i + 1, op) for i, op in enumerate(ops)]
        grads = [None]
        for i, op in enumerate(ops):
            if not ctx.needs_input_grad[i + 1]:
                grads.append(None)
                continue
            target = ctx.ins[i]
            if len(set(target)) != len(target):  # a diagonal ('ii'): not written on Tensors
                return NotImplemented
            others = [ctx.ins[j] for j in range(len(ops)) if j != i]
            avail = set(ctx.out).union(*others) if others else set(ctx.out)
            keep = "".join(c for c in target if c in avail)
            gi = Einsum.apply(f"{','.join([ctx.out] + others)}->{keep}", g,
                              *[conj(T[j]) for j in range(len(ops)) if j != i])
            for c in target:  # letters summed out of this operand alone: broadcast back
                if c not in keep:
                    gi = gi.unsqueeze(-1)
                    keep += c
            gi = gi.expand(*[op.shape[target.index(c)] for c in keep])
            if keep != target:
                gi = gi.permute(*[keep.index(c) for c in target])
            grads.append(gi)
        return tuple(grads)


def _expand_to(xp, gi, keep, target, shape, dtype):
    letters = list(dict.fromkeys(target))
    sizes = {c: shape[target.index(c)] for c in letters}
    full = gi
    for c in letters:
        if c not in keep:
            full = xp.expand_dims(full, -1)
            keep += c
    # An operand dim of size 1 that einsum broadcast: its gradient is the sum over that dim.
    axes = tuple(k for k, c in enumerate(keep) if sizes[c] == 1 and full.shape[k] != 1)
    if axes:
        full = full.sum(axis=axes, keepdims=True)
    full = xp.broadcast_to(full, [sizes[c] for c in keep])
    if len(set(target)) == len(target):
        return xp.einsum(f"{keep}->{target}", full).astype(dtype, copy=False)
    # Repeated letters (diagonals): scatter onto the diagonal positions.
    out = xp.zeros(shape, dtype)
    idx = xp.indices([sizes[c] for c in keep])
    pos = tuple(idx[keep.index(c)] for c in target)
    xp.add.at(out, pos, full)
    return out


def _parse(spec, ops):
    spec = spec.replace(" ", "")
    lhs, arrow, out = spec.partition("->")
    ins = lhs.split(",")
    if len(ins) != len(ops):
        raise ValueError(f"einsum: the equation names {len(ins)} operands but {len(ops)} were given")
    ell = ""
    if "..." in spec:
        ins, ell = _name_ellipsis(ins, ops, spec)
        out = out.replace("...", ell)
    if not arrow:  # implicit output: the broadcast dims, then letters used once, sorted
        letters = "".join(ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1
                                   and c not in ell))
    for s, o in zip(ins, ops):
        if len(s) != o.ndim:
            raise ValueError(
                f"einsum: subscripts '{s}' have {len(s)} letters but the operand has "
                f"{o.ndim} dimensions (shape {tuple(o.shape)})")
    return ins, out


def _name_ellipsis(ins, ops, spec):
    """Replace '...' by fresh letters, right-aligned as broadcasting aligns the dims it covers."""
    used = set(spec)
    free = [c for c in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz" if c not in used]
    counts = [o.ndim - (len(s) - 3) if "..." in s else 0 for s, o in zip(ins, ops)]
    if min(counts) < 0:
        raise ValueError(f"einsum: '{spec}' names more dimensions than an operand has")
    ell = "".join(free[:max(counts)])
    named = [s.replace("...", ell[len(ell) - k:]) for s, k in zip(ins, counts)]
    return named, ell
