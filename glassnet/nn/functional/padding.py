"""Padding: the border strategies of the lectures (zero, constant, mirror, replicate, wrap).

A convolution near the border needs pixels that do not exist. The lectures list the choices:
ignore the border (no padding: the output shrinks), zeros, a constant, the mirror image
(``'reflect'``: ... c b | a b c d | c b ...; the edge pixel itself is not repeated), the edge
pixel repeated (``'replicate'``: a a | a b c d | d d) and wrap-around (``'circular'``:
c d | a b c d | a b, which makes the image a torus and a convolution exactly shift-equivariant).

Every mode is a gather: each output pixel copies one input pixel. The gradient is therefore the
matching scatter-add: the gradient that reaches a mirrored or wrapped border pixel is added
back onto the interior pixel it was copied from.
"""

from __future__ import annotations

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...ops.shape import IndexAdd, _index_add_array
from ...tensor import Tensor
from .adjoint import zeros

_MODES = ("constant", "reflect", "replicate", "circular")


def source_index(xp, mode, size, lo, hi):
    """For each of the lo + size + hi output positions, the input position it copies (a
    negative pad crops: its positions are simply not asked for)."""
    i = xp.arange(-lo, size + hi)
    if mode == "replicate":
        return xp.clip(i, 0, size - 1)
    if mode == "circular":  # wrap around what is left after cropping, as PyTorch does
        start = max(-lo, 0)
        return start + (i - start) % (size - start - max(-hi, 0))
    # reflect: mirror about the first and last pixel, period 2 (size - 1)
    if size == 1:
        return xp.zeros_like(i)
    period = 2 * (size - 1)
    j = i % period
    return xp.where(j >= size, period - j, j)


class ConstantPad(Function):
    """Constant padding; negative pads crop."""

    @staticmethod
    def forward(ctx, x, pads, value):
        xp = array_module(x)
        nd = len(pads)
        lead = x.ndim - nd
        out_shape = x.shape[:lead] + tuple(
            s + lo + hi for s, (lo, hi) in zip(x.shape[lead:], pads))
        src = [slice(None)] * lead
        dst = [slice(None)] * lead
        for s, (lo, hi) in zip(x.shape[lead:], pads):
            src.append(slice(max(-lo, 0), s - max(-hi, 0)))
            dst.append(slice(max(lo, 0), max(lo, 0) + max(s - max(-lo, 0) - max(-hi, 0), 0)))
        ctx.src, ctx.dst, ctx.shape, ctx.pads = tuple(src), tuple(dst), x.shape, pads
        out = xp.full(out_shape, value, dtype=x.dtype) if value != 0 else \
            xp.zeros(out_shape, dtype=x.dtype)
        out[ctx.dst] = x[ctx.src]
        return out

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        gx = xp.zeros(ctx.shape, dtype=g.dtype)
        gx[ctx.src] = g[ctx.dst]
        return gx, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # The adjoint of padding by (lo, hi) is padding by (-lo, -hi) with zeros: a crop of the
        # border (and zeros where the forward cropped), linear and its own kind again.
        return ConstantPad.apply(g, tuple((-lo, -hi) for lo, hi in ctx.pads), 0), None, None

    @staticmethod
    def to_onnx(g, rec):
        x, pads, value = rec.args
        dt = g.operand_dtype()
        ins = [g.value(x), g.ints(onnx_pads(len(g.shape(x)), pads)), g.scalar(value, dt)]
        g.out(g.op("Pad", ins, mode="constant"))


class IndexPad(Function):
    """reflect / replicate / circular padding as a gather along each padded dimension."""

    @staticmethod
    def forward(ctx, x, pads, mode):
        xp = array_module(x)
        lead = x.ndim - len(pads)
        ctx.plan = []
        out = x
        for i, (lo, hi) in enumerate(pads):
            if lo == 0 and hi == 0:
                continue
            axis = lead + i
            idx = source_index(xp, mode, x.shape[axis], lo, hi)
            out = xp.take(out, idx, axis=axis)
            ctx.plan.append((axis, lo, hi, x.shape[axis], idx))
        return out

    @staticmethod
    def backward(ctx, g):
        # Undo the gathers in reverse order: each becomes "interior slice + border adds".
        for axis, lo, hi, size, idx in reversed(ctx.plan):
            pre = (slice(None),) * axis
            if lo < 0 or hi < 0:  # cropped as well: the plain scatter-add of the gather
                shape = list(g.shape)
                shape[axis] = size
                g = _index_add_array(array_module(g).zeros(shape, g.dtype), axis, idx, g)
                continue
            gx = g[pre + (slice(lo, lo + size),)].copy()
            border = list(range(lo)) + list(range(lo + size, lo + size + hi))
            for j in border:
                gx[pre + (int(idx[j]),)] += g[pre + (j,)]
            g = gx
        return g, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        # Each padded dimension was a gather x.take(idx, axis): undo them in reverse order with
        # index_add (whose own gradient is the gather again).
        for axis, _, _, size, idx in reversed(ctx.plan):
            shape = list(g.shape)
            shape[axis] = size
            g = IndexAdd.apply(zeros(shape, g), axis, idx, g, 1)
        return g, None, None

    @staticmethod
    def to_onnx(g, rec):
        x, pads, mode = rec.args
        cropped = any(lo < 0 or hi < 0 for lo, hi in pads)
        if cropped or (mode == "circular" and g.opset < 19):  # gather the source indices
            y = g.value(x)
            shape = g.shape(x)
            lead = len(shape) - len(pads)
            for i, (lo, hi) in enumerate(pads):
                if lo or hi:
                    idx = source_index(np, mode, shape[lead + i], lo, hi).astype(np.int64)
                    y = g.op("Gather", [y, g.const(idx)], axis=lead + i)
            g.out(y)
            return
        onnx_mode = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}[mode]
        ins = [g.value(x), g.ints(onnx_pads(len(g.shape(x)), pads))]
        g.out(g.op("Pad", ins, mode=onnx_mode))


def pad(input, pad, mode="constant", value=None):
    """Pad the last ``len(pad) // 2`` dimensions of ``input``.

    ``pad`` lists (left, right) for the last dimension first, then (top, bottom) for the one
    before, then (front, back): ``pad(x, (1, 1, 2, 0))`` adds one column each side and two rows
    on top. A negative pad crops, in every mode. Modes: ``'constant'`` (``value``, default 0),
    ``'reflect'`` (mirror without repeating the edge, pad < size), ``'replicate'`` (repeat the
    edge), ``'circular'`` (wrap around what is left after cropping, pad <= size).

    Shape:
        input (*, D_in) ... ; output with D_out = left + D_in + right for each padded dimension.
        'reflect', 'replicate' and 'circular' pad the last 1, 2 or 3 dimensions of a
        (batched or unbatched) (N, C, *spatial) input.

    Example: pad([[1, 2, 3]], (2, 2), 'reflect') -> [[3, 2, 1, 2, 3, 2, 1]];
    'replicate' -> [[1, 1, 1, 2, 3, 3, 3]]; 'circular' -> [[2, 3, 1, 2, 3, 1, 2]].
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"pad: input must be a Tensor, got {type(input).__name__}")
    pad = tuple(int(p) for p in pad)
    if len(pad) % 2:
        raise ValueError(f"pad: padding length must be divisible by 2, got {len(pad)} ({pad})")
    nd = len(pad) // 2
    if nd > input.ndim:
        raise ValueError(f"pad: padding length {len(pad)} is too large for a {input.ndim}-D input "
                         "(at most 2 values per dimension)")
    if mode not in _MODES:
        raise NotImplementedError(f"pad: mode must be one of {_MODES}, got {mode!r}")
    # (left, right) of the last dimension first -> per dimension in order
    pads = tuple((pad[2 * i], pad[2 * i + 1]) for i in reversed(range(nd)))
    if mode == "constant":
        v = 0 if value is None else value
        for (lo, hi), s in zip(pads, input.shape[input.ndim - nd:]):
            if s + lo + hi < 0:
                raise RuntimeError(f"pad: the padded size {s + lo + hi} of a dimension of size "
                                   f"{s} (pad {(lo, hi)}) is negative")
        return ConstantPad.apply(input, pads, v)
    if value not in (None, 0):
        raise ValueError(f"pad: padding mode '{mode}' does not take a value (got {value!r})")
    if nd > 3 or input.ndim not in (nd + 1, nd + 2):
        raise NotImplementedError(
            f"pad: mode '{mode}' pads the last 1, 2 or 3 dimensions of a (batched or unbatched) "
            f"(N, C, *spatial) input; got padding of length {len(pad)} for a {input.ndim}-D "
            "input")
    for (lo, hi), s in zip(pads, input.shape[input.ndim - nd:]):
        if s + lo + hi < 0:
            raise RuntimeError(f"pad: the padded size {s + lo + hi} of a dimension of size "
                               f"{s} (pad {(lo, hi)}) is negative")
        if mode == "reflect" and (lo >= s or hi >= s):
            raise RuntimeError(f"pad: reflect padding {(lo, hi)} must be smaller than the "
                               f"dimension it pads (size {s}); input shape {tuple(input.shape)}")
        if mode == "circular" and (lo > s or hi > s):
            raise RuntimeError(f"pad: circular padding {(lo, hi)} must not exceed the dimension "
                               f"it pads (size {s}); input shape {tuple(input.shape)}")
        if mode == "replicate" and s == 0 and (lo or hi):
            raise RuntimeError("pad: cannot replicate-pad an empty dimension")
    return IndexPad.apply(input, pads, mode)


# ----------------------------------------------------------------------------- ONNX
def onnx_pads(ndim, pads):
    """Per-dimension (low, high) of the last len(pads) dims as ONNX's [lows..., highs...]."""
    lead = ndim - len(pads)
    lo = [0] * lead + [int(p[0]) for p in pads]
    hi = [0] * lead + [int(p[1]) for p in pads]
    return lo + hi
