"""Graph maths: scatter/gather over edges, self loops, GCN normalisation, global pooling.

A graph network (lectures, 002 "Graphs: locality (neighbourhood) varies for each node") keeps
the two ideas of a CNN, locality and weight sharing, on data without a grid: every node updates
from its own neighbours, with the same weights everywhere. Graphs are stored as in PyTorch
Geometric: node features ``x`` (N, F) and ``edge_index`` (2, E) int64, whose column
(j, i) is an edge from source j to target i. One round of *message passing* is

    gather:  m_e = x[edge_index[0, e]]               (every edge reads its source node)
    scatter: out_i = aggregate_{e: edge_index[1, e] = i} m_e    (sum, mean, max or min)

and the two are each other's adjoint: the gradient of a gather is a scatter-sum of the gradient,
and the gradient of a scatter-sum is a gather. Both are Functions in glassnet/ops/segment.py over
a cached grouping of the edges by node (a stable sort and segment starts), so a training loop
that reuses one ``edge_index`` sorts it once; sparse COO tensors use the same two.
"""

from __future__ import annotations

from ... import backend
from ...backend import array_module
from ...ops.segment import Gather as _Gather
from ...ops.segment import ScatterExtreme as _ScatterExtreme
from ...ops.segment import ScatterSum as _ScatterSum
from ...ops.segment import segments
from ...tensor import Tensor

__all__ = [
    "add_remaining_self_loops",
    "add_self_loops",
    "degree",
    "gather",
    "gcn_norm",
    "global_add_pool",
    "global_max_pool",
    "global_mean_pool",
    "remove_self_loops",
    "scatter",
    "stochastic_blockmodel_graph",
    "to_dense_adj",
    "to_undirected",
]


# ----------------------------------------------------------------------------- scatter / gather
def _index(index, op, length=None):
    a = index._data if isinstance(index, Tensor) else array_module(index).asarray(index)
    if a.dtype.kind not in "iu":
        raise TypeError(f"{op}: index must be an integer (int64) tensor, got dtype {a.dtype}")
    if a.ndim != 1:
        raise ValueError(f"{op}: index must be 1-D, got shape {tuple(a.shape)}")
    if length is not None and a.shape[0] != length:
        raise ValueError(f"{op}: index has {a.shape[0]} entries but the scattered dimension has "
                         f"{length}")
    return a


def _check_range(a, n, op, what="index"):
    if a.size and (int(a.min()) < 0 or int(a.max()) >= n):
        bad = int(a.min()) if int(a.min()) < 0 else int(a.max())
        raise IndexError(f"{op}: {what} {bad} is out of range for {n} nodes")


def scatter(src, index, dim=0, dim_size=None, reduce="sum"):
    """out[i] = reduce over {e : index[e] = i} of src[e], along ``dim`` (PyG's ``scatter``).

    ``reduce``: 'sum' (or 'add'), 'mean', 'max', 'min'; nodes that receive nothing get 0.
    ``dim_size`` defaults to index.max() + 1.

    Shape: src (..., E, ...) with E at ``dim``; index (E,) -> (..., dim_size, ...).
    """
    if reduce not in ("sum", "add", "mean", "max", "min"):
        raise ValueError(f"scatter: reduce must be 'sum', 'mean', 'max' or 'min', got {reduce!r}")
    d = dim % src.ndim
    idx = _index(index, "scatter", src.shape[d])
    n = (int(idx.max()) + 1 if idx.size else 0) if dim_size is None else int(dim_size)
    _check_range(idx, n, "scatter")
    x = src if d == 0 else src.movedim(d, 0)
    seg = segments(idx, n)
    if reduce in ("max", "min"):
        out = _ScatterExtreme.apply(x, seg, reduce)
    else:
        out = _ScatterSum.apply(x, seg)
        if reduce == "mean":
            xp = array_module(idx)
            cnt = xp.maximum(seg.counts, 1).astype(x.dtype).reshape((n,) + (1,) * (x.ndim - 1))
            out = out / Tensor._make(cnt, False)
    return out if d == 0 else out.movedim(0, d)


def gather(src, index, dim=0):
    """src[index] along ``dim``: every edge reads the features of its node. Its gradient is a
    scatter-sum, computed over the cached grouping of ``index``.

    Shape: src (..., N, ...) with N at ``dim``; index (E,) -> (..., E, ...).
    """
    d = dim % src.ndim
    idx = _index(index, "gather")
    n = src.shape[d]
    _check_range(idx, n, "gather")
    x = src if d == 0 else src.movedim(d, 0)
    out = _Gather.apply(x, idx, segments(idx, n))
    return out if d == 0 else out.movedim(0, d)


def degree(index, num_nodes=None, dtype=None):
    """How many entries of ``index`` name each node: in-degree for index = edge_index[1].

    Shape: (E,) -> (num_nodes,), floating (the default dtype) unless ``dtype`` says otherwise.
    """
    idx = _index(index, "degree")
    n = (int(idx.max()) + 1 if idx.size else 0) if num_nodes is None else int(num_nodes)
    _check_range(idx, n, "degree")
    d = backend.to_dtype(dtype) or backend.get_default_dtype()
    counts = array_module(idx).bincount(idx, minlength=n)
    return Tensor._make(counts.astype(d), False)


# ----------------------------------------------------------------------------- edges
def _edges(edge_index, op):
    a = edge_index._data if isinstance(edge_index, Tensor) else \
        array_module(edge_index).asarray(edge_index)
    if a.ndim != 2 or a.shape[0] != 2 or a.dtype.kind not in "iu":
        raise ValueError(f"{op}: edge_index must be an integer tensor of shape (2, E), got "
                         f"shape {tuple(a.shape)} and dtype {a.dtype}")
    return a.astype(backend.int64, copy=False)


def _num_nodes(ei, num_nodes):
    return (int(ei.max()) + 1 if ei.size else 0) if num_nodes is None else int(num_nodes)


def _const(a):
    return Tensor._make(a, False)


def remove_self_loops(edge_index, edge_attr=None):
    """Drop the edges (i, i). Returns ``(edge_index, edge_attr)``."""
    ei = _edges(edge_index, "remove_self_loops")
    keep = ei[0] != ei[1]
    attr = None if edge_attr is None else edge_attr[_const(keep)]
    return _const(ei[:, keep]), attr


def add_self_loops(edge_index, edge_attr=None, fill_value=None, num_nodes=None):
    """Append an edge (i, i) for every node, with attribute ``fill_value`` (default 1).
    Returns ``(edge_index, edge_attr)``."""
    from ...functions import cat, full

    ei = _edges(edge_index, "add_self_loops")
    n = _num_nodes(ei, num_nodes)
    xp = array_module(ei)
    loops = xp.arange(n, dtype=backend.int64)
    out = _const(xp.concatenate([ei, xp.stack([loops, loops])], axis=1))
    if edge_attr is None:
        return out, None
    fill = 1.0 if fill_value is None else fill_value
    loop_attr = full((n,) + tuple(edge_attr.shape[1:]), fill, dtype=edge_attr.dtype)
    return out, cat([edge_attr, loop_attr], 0)


def add_remaining_self_loops(edge_index, edge_attr=None, fill_value=None, num_nodes=None):
    """Add (i, i) with ``fill_value`` (default 1) for every node that has no self loop yet;
    existing self loops keep their attribute. Returns ``(edge_index, edge_attr)``, the loops last.
    """
    from ...functions import cat

    ei = _edges(edge_index, "add_remaining_self_loops")
    n = _num_nodes(ei, num_nodes)
    xp = array_module(ei)
    is_loop = ei[0] == ei[1]
    loops = xp.arange(n, dtype=backend.int64)
    out = _const(xp.concatenate([ei[:, ~is_loop], xp.stack([loops, loops])], axis=1))
    if edge_attr is None:
        return out, None
    fill = 1.0 if fill_value is None else fill_value
    has = xp.zeros(n, dtype=bool)
    has[ei[0, is_loop]] = True
    shape = (n,) + (1,) * (edge_attr.ndim - 1)
    base = xp.where(has, 0.0, fill).astype(edge_attr.dtype).reshape(shape)
    loop_attr = _const(base + xp.zeros((n,) + tuple(edge_attr.shape[1:]), edge_attr.dtype))
    if is_loop.any():  # the loop attributes already present, written at their nodes
        loop_attr = loop_attr + scatter(edge_attr[_const(is_loop)], ei[0, is_loop], 0, n)
    return out, cat([edge_attr[_const(~is_loop)], loop_attr], 0)


def to_undirected(edge_index, num_nodes=None):
    """Add the reverse of every edge and drop duplicates (sorted by source, then target)."""
    ei = _edges(edge_index, "to_undirected")
    n = _num_nodes(ei, num_nodes)
    xp = array_module(ei)
    both = xp.concatenate([ei, ei[::-1]], axis=1)
    key = xp.unique(both[0] * max(n, 1) + both[1])
    return _const(xp.stack([key // max(n, 1), key % max(n, 1)]).astype(backend.int64))


def gcn_norm(edge_index, edge_weight=None, num_nodes=None, improved=False, add_self_loops=True,
             flow="source_to_target", dtype=None):
    """Kipf & Welling's symmetric normalisation of A + I as edge weights.

    w'_ji = w_ji / sqrt(deg(j) deg(i)) with deg(i) = sum of the weights of the edges into i
    (self loops of weight 1, or 2 when ``improved``, included), so that propagating with w'
    computes D^-1/2 (A + I) D^-1/2 X. Returns ``(edge_index, edge_weight)``; gradients flow
    into ``edge_weight`` when it requires them.
    """
    from ...functions import ones

    ei = _edges(edge_index, "gcn_norm")
    n = _num_nodes(ei, num_nodes)
    if edge_weight is None:
        d = backend.to_dtype(dtype) or backend.get_default_dtype()
        edge_weight = ones(ei.shape[1], dtype=d)
    if add_self_loops:
        ei_t, edge_weight = add_remaining_self_loops(ei, edge_weight, 2.0 if improved else 1.0, n)
        ei = ei_t._data
    row, col = ei[0], ei[1]
    idx = col if flow == "source_to_target" else row
    deg = scatter(edge_weight, idx, 0, n, "sum")
    zero = deg == 0
    dis = deg.masked_fill(zero, 1.0) ** -0.5
    dis = dis.masked_fill(zero, 0.0)
    w = gather(dis, row) * edge_weight * gather(dis, col)
    return _const(ei), w


# ----------------------------------------------------------------------------- pooling
def _pool(op, x, batch, size, reduce):
    if batch is None:
        d = -1 if x.ndim == 1 else -2
        if reduce == "sum":
            return x.sum(d, keepdim=True)
        if reduce == "mean":
            return x.mean(d, keepdim=True)
        return x.amax(d, keepdim=True)
    b = _index(batch, op)
    n = (int(b.max()) + 1 if b.size else 0) if size is None else int(size)
    return scatter(x, b, -1 if x.ndim == 1 else -2, n, reduce)


def global_add_pool(x, batch=None, size=None):
    """Sum of the node features of each graph: out[g] = sum_{i: batch[i] = g} x_i.

    Shape: x (N, F), batch (N,) graph id per node, or None for one graph -> (B, F).
    """
    return _pool("global_add_pool", x, batch, size, "sum")


def global_mean_pool(x, batch=None, size=None):
    """Mean of the node features of each graph (the graph-level readout). Shape as
    ``global_add_pool``."""
    return _pool("global_mean_pool", x, batch, size, "mean")


def global_max_pool(x, batch=None, size=None):
    """Feature-wise max over the nodes of each graph. Shape as ``global_add_pool``."""
    return _pool("global_max_pool", x, batch, size, "max")


# ----------------------------------------------------------------------------- dense views, data
def to_dense_adj(edge_index, batch=None, edge_attr=None, max_num_nodes=None):
    """The adjacency matrices A[b, j, i] = sum of the attributes of the edges j -> i (1 each
    when ``edge_attr`` is None), as a constant (no gradient). Shape: (B, N_max, N_max)."""
    ei = _edges(edge_index, "to_dense_adj")
    xp = array_module(ei)
    n_all = _num_nodes(ei, None)
    b = xp.zeros(n_all, dtype=backend.int64) if batch is None else _index(batch, "to_dense_adj")
    B = int(b.max()) + 1 if b.size else 1
    counts = xp.bincount(b, minlength=B)
    first = xp.cumsum(counts) - counts
    N = int(counts.max()) if max_num_nodes is None else int(max_num_nodes)
    w = xp.ones(ei.shape[1], dtype=backend.get_default_dtype()) if edge_attr is None else \
        (edge_attr._data if isinstance(edge_attr, Tensor) else xp.asarray(edge_attr))
    adj = xp.zeros((B, N, N) + tuple(w.shape[1:]), dtype=w.dtype)
    gb = b[ei[0]]
    xp.add.at(adj, (gb, ei[0] - first[gb], ei[1] - first[gb]), w)
    return Tensor._make(adj, False)


def stochastic_blockmodel_graph(block_sizes, edge_probs, directed=False, generator=None):
    """A random graph whose nodes form blocks (communities): nodes of blocks a and b are joined
    with probability ``edge_probs[a][b]``. Returns ``edge_index`` (2, E) without self loops.
    """
    import numpy as np

    sizes = [int(s) for s in block_sizes]
    probs = np.asarray(edge_probs, dtype=np.float64)
    block = np.repeat(np.arange(len(sizes)), sizes)
    n = block.size
    p = probs[block[:, None], block[None, :]]
    keep = backend.rng(generator).random((n, n)) < p
    np.fill_diagonal(keep, False)
    if not directed:
        keep = np.triu(keep)
        keep = keep | keep.T
    src, dst = np.nonzero(keep)
    return Tensor._make(np.stack([src, dst]).astype(np.int64), False)
