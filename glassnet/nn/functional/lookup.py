"""Table lookups: one-hot codes, ``embedding`` and ``embedding_bag``.

An embedding is a linear layer applied to a one-hot vector: one_hot(i) @ W selects row i of W,
so it is computed as a lookup and its gradient is a scatter-add into the selected rows.

``embedding_bag`` gives the sum, mean or max of the embeddings in each bag, without
materialising them. A *bag* is a variable-length set of indices (the words of a sentence, the
items of a basket). Bag b's output is a reduction of the rows of ``weight`` its indices select::

    sum:  y_b = sum_{i in b} w_i e_{x_i}        (w_i = per_sample_weights, or 1)
    mean: y_b = (1 / |b|) sum_{i in b} e_{x_i}
    max:  y_b = max_{i in b} e_{x_i}             (element-wise)

which equals ``embedding`` followed by the reduction, but skips the (n_indices, D) intermediate.
Bags are given either as a 2-D input (B, L) of B bags of L indices, or as a flat 1-D input with
``offsets`` (B,) holding where each bag starts (``include_last_offset``: B + 1 offsets, the last
one the end). Entries equal to ``padding_idx`` are left out of their bag; an empty bag gives
zeros. The gradient is a scatter-add into the selected rows (to the arg-max row per dimension for
``max``), as for ``embedding``.
"""

from __future__ import annotations

from ... import backend
from ...autograd import Function
from ...backend import array_module
from ...ops.shape import IndexAdd, IndexSelect
from ...tensor import Tensor
from .adjoint import zeros

__all__ = ["one_hot", "embedding", "embedding_bag"]


def one_hot(tensor, num_classes=-1):
    """Encode integer class labels as one-hot rows: label c becomes e_c (length num_classes).

    ``num_classes=-1`` infers it as max(label) + 1. Returns an int64 tensor.

    Shape: (*) -> (*, num_classes)
    """
    d = tensor._data if isinstance(tensor, Tensor) else backend.array_module(tensor).asarray(tensor)
    if d.dtype.kind not in "iu":
        raise RuntimeError(f"one_hot: expected an integer (int64) tensor of class indices, got "
                           f"dtype {d.dtype}")
    xp = array_module(d)
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("one_hot: can not infer total number of classes from empty tensor")
        num_classes = int(d.max()) + 1
    if d.size:
        if int(d.min()) < 0:
            raise RuntimeError(f"one_hot: class values must be non-negative, got {int(d.min())}")
        if int(d.max()) >= num_classes:
            raise RuntimeError(f"one_hot: class value {int(d.max())} is out of range for "
                               f"num_classes={num_classes} (must be smaller)")
    out = (d[..., None] == xp.arange(num_classes)).astype(backend.int64)
    return Tensor._make(out, False)


class _Embedding(Function):
    @staticmethod
    def forward(ctx, weight, idx, padding_idx, scale_grad_by_freq):
        ctx.idx = idx
        ctx.shape = weight.shape
        ctx.padding_idx = padding_idx
        ctx.scale = scale_grad_by_freq
        return weight[idx]

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        idx = ctx.idx.reshape(-1)
        g2 = g.reshape(-1, ctx.shape[1])
        if ctx.scale:
            counts = xp.bincount(idx, minlength=ctx.shape[0])
            g2 = g2 / counts[idx][:, None].astype(g2.dtype)
        gw = xp.zeros(ctx.shape, dtype=g.dtype)
        # Each row was copied once per occurrence of its index: the adjoint sums them back.
        xp.add.at(gw, idx, g2)
        if ctx.padding_idx is not None:
            gw[ctx.padding_idx] = 0
        return gw, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        xp = array_module(g._data)
        idx = ctx.idx.reshape(-1)
        g2 = g.reshape(-1, ctx.shape[1])
        if ctx.scale:
            counts = xp.bincount(idx, minlength=ctx.shape[0])
            g2 = g2 / ctx.constant(counts[idx][:, None], g.dtype)
        gw = IndexAdd.apply(zeros(ctx.shape, g), 0, idx, g2, 1)
        if ctx.padding_idx is not None:
            keep = xp.ones((ctx.shape[0], 1), dtype=bool)
            keep[ctx.padding_idx] = False
            gw = gw * ctx.constant(keep, g.dtype)
        return gw, None, None, None

    @staticmethod
    def to_onnx(g, rec):
        weight, idx = rec.args[:2]
        g.out(g.op("Gather", [g.value(weight), g.value(idx)], axis=0))


def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Look up rows of ``weight``: the same as one_hot(input) @ weight, without building the
    one-hot matrix. ``padding_idx`` rows get no gradient; ``max_norm`` renormalises looked-up rows
    in place to norm at most ``max_norm``.

    Shape: input (*) integer; weight (num_embeddings, embedding_dim); output (*, embedding_dim).
    """
    idx = input._data if isinstance(input, Tensor) else backend.array_module(input).asarray(input)
    if idx.dtype.kind not in "iu":
        raise RuntimeError(f"embedding: expected an integer index tensor (int64), got dtype "
                           f"{idx.dtype}")
    n = weight.shape[0]
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"embedding: index {bad} is out of range for an embedding with "
                         f"{n} rows (num_embeddings)")
    if padding_idx is not None and padding_idx < 0:
        padding_idx += n
    if max_norm is not None:
        _renorm(weight, idx, max_norm, norm_type)
    if sparse:
        raise NotImplementedError("embedding: sparse gradients are not supported by glassnet")
    return _Embedding.apply(weight, idx, padding_idx, scale_grad_by_freq)


# ----------------------------------------------------------------------------- bags
_MODES = ("sum", "mean", "max")


class _EmbeddingBag(Function):
    @staticmethod
    def forward(ctx, weight, psw, idx, seg, nbags, mode, scale_grad_by_freq):
        xp = array_module(weight)
        D = weight.shape[1]
        rows = weight[idx]  # (M, D): the kept entries, bag by bag
        ctx.idx, ctx.seg, ctx.mode, ctx.scale = idx, seg, mode, scale_grad_by_freq
        ctx.wshape = weight.shape
        if mode == "max":
            return _bag_max(ctx, xp, rows, seg, nbags, D, weight.dtype)
        if psw is not None:
            ctx.save_for_backward(psw, rows)
            rows = rows * psw[:, None]
        out = xp.zeros((nbags, D), dtype=weight.dtype)
        xp.add.at(out, seg, rows)
        if mode == "mean":
            counts = xp.bincount(seg, minlength=nbags).astype(weight.dtype)
            ctx.counts = xp.maximum(counts, 1)
            out /= ctx.counts[:, None]
        return out

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        gw = gpsw = None
        if ctx.mode == "max":
            if ctx.needs_input_grad[0]:
                gw = xp.zeros(ctx.wshape, dtype=g.dtype)
                # each output element came from one row (its arg-max); empty bags from none
                b, d = xp.nonzero(ctx.argrow >= 0)
                xp.add.at(gw, (ctx.argrow[b, d], d), g[b, d])
            return gw, None, None, None, None, None, None
        g_rows = g[ctx.seg]  # (M, D): every entry receives its bag's gradient
        if ctx.needs_input_grad[1]:
            rows = ctx.saved_tensors[1]
            gpsw = (g_rows * rows).sum(axis=1)
        if ctx.needs_input_grad[0]:
            if ctx.mode == "mean":
                g_rows = g_rows / ctx.counts[ctx.seg][:, None]
            elif ctx.saved_tensors:
                g_rows = g_rows * ctx.saved_tensors[0][:, None]
            if ctx.scale:
                freq = xp.bincount(ctx.idx, minlength=ctx.wshape[0])
                g_rows = g_rows / freq[ctx.idx][:, None].astype(g.dtype)
            gw = xp.zeros(ctx.wshape, dtype=g.dtype)
            xp.add.at(gw, ctx.idx, g_rows)
        return gw, gpsw, None, None, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        nw, npsw = ctx.needs_input_grad[:2]
        xp = array_module(g._data)
        n, D = ctx.wshape
        gw = gpsw = None
        if ctx.mode == "max":  # each output element came from one row (its arg-max)
            if nw:
                b, d = xp.nonzero(ctx.argrow >= 0)
                src = IndexSelect.apply(g.reshape(-1), 0, b * D + d)
                gw = IndexAdd.apply(zeros((n * D,), g), 0, ctx.argrow[b, d] * D + d, src, 1)
                gw = gw.reshape(n, D)
            return (gw,) + (None,) * 6
        saved = ctx.saved_tensors  # (per_sample_weights, looked-up rows) when weights were given
        g_rows = IndexSelect.apply(g, 0, ctx.seg)  # every entry gets its bag's gradient
        if npsw:
            rows = saved[1]
            if ctx.next_edges[0] is None:
                R = ctx.constant(rows, g.dtype)
            else:  # the weight's value matters only at the rows looked up
                full = xp.zeros(ctx.wshape, dtype=rows.dtype)
                full[ctx.idx] = rows
                R = IndexSelect.apply(ctx.input_tensor(0, full), 0, ctx.idx)
            gpsw = (g_rows * R).sum(1)
        if nw:
            if ctx.mode == "mean":
                g_rows = g_rows / ctx.constant(ctx.counts[ctx.seg][:, None], g.dtype)
            elif saved:
                g_rows = g_rows * ctx.input_tensor(1, saved[0]).unsqueeze(1)
            if ctx.scale:
                freq = xp.bincount(ctx.idx, minlength=n)
                g_rows = g_rows / ctx.constant(freq[ctx.idx][:, None], g.dtype)
            gw = IndexAdd.apply(zeros(ctx.wshape, g), 0, ctx.idx, g_rows, 1)
        return (gw, gpsw) + (None,) * 5


def _bag_max(ctx, xp, rows, seg, nbags, D, dtype):
    """Element-wise max per bag, through a dense (bags, longest bag, D) block padded with -inf;
    remembers the weight row of each maximum (the first one on ties, as PyTorch) for backward."""
    counts = xp.bincount(seg, minlength=nbags)
    longest = int(counts.max()) if counts.size else 0
    starts = xp.cumsum(counts) - counts
    pos = xp.arange(seg.shape[0]) - starts[seg]  # position of each entry inside its bag
    block = xp.full((nbags, max(longest, 1), D), -xp.inf, dtype=dtype)
    block[seg, pos] = rows
    arg = block.argmax(axis=1)  # (B, D) position in the bag
    out = xp.take_along_axis(block, arg[:, None, :], axis=1)[:, 0, :]
    empty = counts == 0
    out[empty] = 0
    rowid = xp.full((nbags, max(longest, 1)), -1, dtype=ctx.idx.dtype)
    rowid[seg, pos] = ctx.idx
    ctx.argrow = xp.take_along_axis(rowid, arg, axis=1)
    ctx.argrow[empty] = -1
    return out


def _as_index(t, name):
    arr = t._data if isinstance(t, Tensor) else backend.array_module(t).asarray(t)
    if arr.dtype.kind not in "iu":
        raise RuntimeError(f"embedding_bag: expected {name} to be an integer (int64 or int32) "
                           f"tensor, got dtype {arr.dtype}")
    return arr


def _renorm(weight, idx, max_norm, norm_type):
    """Rescale, in place and outside the graph, every looked-up row whose norm exceeds
    ``max_norm`` to norm ``max_norm`` (PyTorch's embedding_renorm_)."""
    xp = array_module(weight._data)
    rows = xp.unique(idx)
    norms = (xp.abs(weight._data[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0)
    weight._data[rows] *= scale[:, None].astype(weight._data.dtype)


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Sum, mean or max of the embeddings in each bag (see the module docstring).

    ``per_sample_weights`` (input's shape) scale each entry, with ``mode='sum'`` only.
    ``max_norm`` renormalises the looked-up rows in place first, as ``embedding`` does.
    ``scale_grad_by_freq`` divides each row's gradient by how often its index occurs in
    ``input`` (the documented rule; PyTorch 2.13's CPU kernel miscounts some rows, issue
    pytorch#190063). With ``include_last_offset`` the last offset should be ``len(input)``.

    Shape:
        - input: (B, L) with offsets None, or (M,) with offsets (B,) ((B + 1,) with
          ``include_last_offset``), integer
        - weight: (num_embeddings, embedding_dim)
        - output: (B, embedding_dim)
    """
    op = "embedding_bag"
    idx = _as_index(input, "input")
    if weight.ndim != 2:
        raise ValueError(f"weight has to be a 2D Tensor, but got Tensor of dimension "
                         f"{weight.ndim}")
    if per_sample_weights is not None and tuple(per_sample_weights.shape) != tuple(idx.shape):
        raise ValueError(f"{op}: If per_sample_weights ({tuple(per_sample_weights.shape)}) is not "
                         f"None, then it must have the same shape as the input "
                         f"({tuple(idx.shape)})")
    xp = array_module(weight._data)
    if idx.ndim == 2:
        if offsets is not None:
            raise ValueError("if input is 2D, then offsets has to be None, as input is treated "
                             "is a mini-batch of fixed length sequences. However, found offsets "
                             f"of type {type(offsets)}")
        nbags, length = idx.shape
        off = xp.arange(nbags, dtype=xp.int64) * length
        idx, include_last_offset = idx.reshape(-1), False
        if per_sample_weights is not None:
            per_sample_weights = per_sample_weights.reshape(-1)
    elif idx.ndim == 1:
        if offsets is None:
            raise ValueError("offsets has to be a 1D Tensor but got None")
        off = _as_index(offsets, "offsets")
        if off.ndim != 1:
            raise ValueError("offsets has to be a 1D Tensor")
    else:
        raise ValueError(f"input has to be 1D or 2D Tensor, but got Tensor of dimension "
                         f"{idx.ndim}")
    if mode not in _MODES:
        raise ValueError("mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError("max mode does not support scaling the gradient by the frequency")
    if sparse:
        raise NotImplementedError(f"{op}: sparse gradients are not supported by glassnet")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(f"{op}: per_sample_weights was not None. per_sample_weights is "
                                  f"only supported for mode='sum' (got mode='{mode}').")
    if per_sample_weights is not None and per_sample_weights.dtype != weight.dtype:
        raise RuntimeError(f"{op}: expected per_sample_weights to have the weight's dtype "
                           f"({weight.dtype}), got {per_sample_weights.dtype}")

    n, M = weight.shape[0], idx.shape[0]
    if M and (int(idx.min()) < 0 or int(idx.max()) >= n):
        bad = int(idx.min()) if int(idx.min()) < 0 else int(idx.max())
        raise IndexError(f"{op}: index {bad} is out of range for an embedding with {n} rows "
                         "(num_embeddings)")
    off = xp.asarray(off, dtype=xp.int64)
    if off.size and int(off[0]) != 0:
        raise RuntimeError(f"offsets[0] has to be 0, i.e., the first sequence in the mini-batch "
                           f"has to start from position 0. However, got {int(off[0])}")
    if off.size and (int(off[-1]) > M or bool((off[1:] < off[:-1]).any())):
        raise RuntimeError(f"{op}: offsets must be non-decreasing and at most the input's "
                           f"length {M}, got {off.tolist()}")
    nbags = off.size - 1 if include_last_offset else off.size
    ends = off[1:] if include_last_offset else xp.concatenate([off[1:], xp.asarray([M])])
    nbags = max(nbags, 0)
    # the bag of every entry; entries past the last bag's end (include_last_offset) are dropped
    seg = xp.repeat(xp.arange(nbags), (ends[:nbags] - off[:nbags]).astype(xp.int64))
    keep_len = seg.shape[0]
    idx = idx[:keep_len]
    psw = None if per_sample_weights is None else per_sample_weights[:keep_len]
    if padding_idx is not None:
        if not -n <= padding_idx < n:
            raise RuntimeError(f"{op}: padding_idx must be within [-{n}, {n}), got {padding_idx}")
        padding_idx %= n
        kept = xp.nonzero(idx != padding_idx)[0]
        if kept.shape[0] != idx.shape[0]:
            idx, seg = idx[kept], seg[kept]
            psw = None if psw is None else psw[Tensor._make(kept, False)]
    if max_norm is not None:
        _renorm(weight, idx, max_norm, norm_type)
    return _EmbeddingBag.apply(weight, psw, idx, seg, nbags, mode, scale_grad_by_freq)
