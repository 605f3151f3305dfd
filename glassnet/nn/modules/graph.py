"""Graph layers: the MessagePassing base, GCNConv, GraphConv, SAGEConv, and global pooling.

On a grid a convolution mixes each pixel with a fixed neighbourhood through shared weights; on a
graph "locality (neighbourhood) varies for each node" (lectures, 002 "Graphs"), so a graph layer
instead lets every node *aggregate messages* from however many neighbours it has, with weights
shared by all nodes (Gilmer et al. 2017's message passing):

    x'_i = update( aggregate_{j in N(i)} message(x_i, x_j, e_ji) )

where the aggregation (sum, mean, max) does not depend on the order of the neighbours, so the
layer is *permutation equivariant*: renumbering the nodes renumbers the outputs the same way.

The API follows PyTorch Geometric: ``x`` (N, F) node features, ``edge_index`` (2, E) int64 with
column (j, i) an edge from source j to target i, and parameter names (``lin.weight``, ``bias``,
``lin_rel``, ``lin_root``, ``lin_l``, ``lin_r``) such that a PyG state_dict loads.
"""

from __future__ import annotations

import inspect

from ...backend import array_module
from ...tensor.sparse_coo import sparse_coo_tensor
from .. import functional as F
from .. import init
from ..functional import graph as G
from ..functional.graph import global_add_pool, global_max_pool, global_mean_pool
from ..parameter import empty_param
from .linear import Linear
from .module import Module

__all__ = [
    "GCNConv",
    "GraphConv",
    "MessagePassing",
    "SAGEConv",
    "global_add_pool",
    "global_max_pool",
    "global_mean_pool",
]

_AGGRS = {"add": "sum", "sum": "sum", "mean": "mean", "max": "max", "min": "min"}
_SPECIAL = {"index", "edge_index", "edge_index_i", "edge_index_j", "size_i", "size_j", "dim_size"}


class MessagePassing(Module):
    """Base class of message-passing layers (PyTorch Geometric's interface).

    Subclasses write ``message(...)`` (default: ``x_j``) and maybe ``update(aggr_out, ...)``,
    and call ``self.propagate(edge_index, x=x, **other)`` in ``forward``. An argument of
    ``message`` named ``<name>_j`` receives ``<name>`` gathered at each edge's source node,
    ``<name>_i`` at its target node; other names are passed through from ``propagate``'s
    keyword arguments, and ``index`` (the target of every edge), ``edge_index``, ``size_i`` and
    ``size_j`` are provided. A tuple ``x=(x_src, x_dst)`` gives bipartite graphs.

    ``aggr``: 'add' (= 'sum'), 'mean', 'max' or 'min'; ``flow``: 'source_to_target' (messages
    from edge_index[0] to edge_index[1]) or 'target_to_source'.

    Shape: node tensors (N, *) with nodes along ``node_dim`` (default -2); messages (E, *).
    """

    def __init__(self, aggr="add", flow="source_to_target", node_dim=-2):
        super().__init__()
        if aggr not in _AGGRS:
            raise ValueError(f"{type(self).__name__}: aggr must be 'add', 'sum', 'mean', 'max' "
                             f"or 'min', got {aggr!r}")
        if flow not in ("source_to_target", "target_to_source"):
            raise ValueError(f"{type(self).__name__}: flow must be 'source_to_target' or "
                             f"'target_to_source', got {flow!r}")
        self.aggr, self.flow, self.node_dim = aggr, flow, node_dim
        self._msg_params = list(inspect.signature(self.message).parameters)
        self._upd_params = list(inspect.signature(self.update).parameters)[1:]

    def propagate(self, edge_index, size=None, **kwargs):
        """Gather, message, aggregate, update (see the class docstring). Returns the update."""
        name = type(self).__name__
        ei = G._edges(edge_index, f"{name}.propagate")
        j, i = (0, 1) if self.flow == "source_to_target" else (1, 0)
        size = list(size) if size is not None else [None, None]
        msg_args = {}
        for p in self._msg_params:
            if p in _SPECIAL:
                continue
            base, side = p[:-2], p[-2:]
            if side in ("_i", "_j") and base in kwargs:
                v = kwargs[base]
                k = 1 if side == "_i" else 0
                if isinstance(v, (tuple, list)):
                    v = v[k]
                if v is None:
                    msg_args[p] = None
                    continue
                n = v.shape[self.node_dim]
                if size[k] is None:
                    size[k] = n
                elif size[k] != n:
                    raise ValueError(f"{name}.propagate: {base} has {n} nodes along node_dim "
                                     f"but the graph has {size[k]}")
                msg_args[p] = G.gather(v, ei[i if side == "_i" else j], self.node_dim)
            elif p in kwargs:
                msg_args[p] = kwargs[p]
        n_out = size[1] if size[1] is not None else size[0]
        if n_out is None:
            n_out = int(ei.max()) + 1 if ei.size else 0
        special = {"index": ei[i], "edge_index": edge_index, "edge_index_i": ei[i],
                   "edge_index_j": ei[j], "size_i": n_out, "size_j": size[0],
                   "dim_size": n_out}
        for p in self._msg_params:
            if p in _SPECIAL:
                msg_args[p] = special[p]
        messages = self.message(**msg_args)
        out = self.aggregate(messages, ei[i], dim_size=n_out)
        return self.update(out, **{p: kwargs[p] for p in self._upd_params if p in kwargs})

    def message(self, x_j):
        """The message along one edge j -> i (default: the source's features)."""
        return x_j

    def aggregate(self, inputs, index, dim_size=None):
        """Combine the messages arriving at each node with ``self.aggr``."""
        return G.scatter(inputs, index, self.node_dim, dim_size, _AGGRS[self.aggr])

    def update(self, aggr_out):
        """The new node features from the aggregated messages (default: unchanged)."""
        return aggr_out

    def extra_repr(self):
        return f"aggr={self.aggr!r}" if self.aggr != "add" else ""


def _propagation_matrix(edge_index, edge_weight, x, flow):
    """A_hat (N, N) as a sparse COO tensor with entry (i, j) = w_ji for every edge j -> i (i, j
    swapped for flow='target_to_source'), so that (A_hat @ x)[i] = sum_j w_ji x_j: message
    passing with weighted sums, done by ``glassnet.sparse.mm``."""
    ei = G._edges(edge_index, "GCNConv")
    n = x.shape[0]
    G._check_range(ei, n, "GCNConv")
    dst, src = (ei[1], ei[0]) if flow == "source_to_target" else (ei[0], ei[1])
    w = x.new_ones(ei.shape[1]) if edge_weight is None else edge_weight.to(x.dtype)
    return sparse_coo_tensor(array_module(ei).stack([dst, src]), w, (n, n))


class GCNConv(MessagePassing):
    """Graph convolution of Kipf & Welling 2017:  X' = D^-1/2 (A + I) D^-1/2 X W^T + b.

    Every node averages its own and its neighbours' transformed features, each edge j -> i
    weighted by 1 / sqrt(deg(j) deg(i)) (degrees counting the self loop), so feature scales stay
    stable whatever a node's degree. As message passing: x'_i = sum_{j in N(i) + i}
    w'_ji (W x_j) + b with w' from ``F.graph.gcn_norm``.

    ``GCNConv(in_channels, out_channels, improved=False, cached=False, add_self_loops=None,
    normalize=True, bias=True)``: ``improved`` gives self loops weight 2; ``cached`` keeps the
    normalised edge weights of the first call (for a fixed graph); ``add_self_loops`` defaults
    to ``normalize``. Parameters ``lin.weight`` (out, in), Glorot-uniform, and ``bias`` (out,),
    zeros, as PyTorch Geometric.

    Shape: x (N, in_channels), edge_index (2, E), edge_weight (E,) or None -> (N, out_channels).
    """

    def __init__(self, in_channels, out_channels, improved=False, cached=False,
                 add_self_loops=None, normalize=True, bias=True, **kwargs):
        kwargs.setdefault("aggr", "add")
        super().__init__(**kwargs)
        if add_self_loops is None:
            add_self_loops = normalize
        if add_self_loops and not normalize:
            raise ValueError("GCNConv does not support adding self-loops to the graph when no "
                             "on-the-fly normalization is applied")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.improved, self.cached = improved, cached
        self.add_self_loops, self.normalize = add_self_loops, normalize
        self._cached_edges = None
        self.lin = Linear(in_channels, out_channels, bias=False)
        if bias:
            self.bias = empty_param((out_channels,))
        else:
            self.register_parameter("bias", None)
        self.reset_parameters()

    def reset_parameters(self):
        init.xavier_uniform_(self.lin.weight)
        if self.bias is not None:
            init.zeros_(self.bias)
        self._cached_edges = None

    def forward(self, x, edge_index, edge_weight=None):
        if x.shape[-1] != self.in_channels:
            raise RuntimeError(f"GCNConv: x has {x.shape[-1]} features (shape {tuple(x.shape)}) "
                               f"but in_channels is {self.in_channels}")
        if self.normalize:
            if self.cached and self._cached_edges is not None:
                edge_index, edge_weight = self._cached_edges
            else:
                edge_index, edge_weight = G.gcn_norm(
                    edge_index, edge_weight, x.shape[self.node_dim], self.improved,
                    self.add_self_loops, self.flow, x.dtype)
                if self.cached:
                    self._cached_edges = (edge_index, edge_weight)
        x = self.lin(x)
        if x.ndim == 2:  # the weighted sum over neighbours is one sparse product, A_hat @ x
            out = _propagation_matrix(edge_index, edge_weight, x, self.flow) @ x
        else:
            out = self.propagate(edge_index, x=x, edge_weight=edge_weight)
        if self.bias is not None:
            out = out + self.bias
        return out

    def message(self, x_j, edge_weight):
        return x_j if edge_weight is None else edge_weight.reshape(-1, 1) * x_j

    def __repr__(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"


class GraphConv(MessagePassing):
    """The graph convolution of Morris et al. 2019 ("Weisfeiler and Leman go neural"):

        x'_i = W_1 x_i + W_2 aggregate_{j in N(i)} e_ji x_j   (+ bias, inside W_2's Linear)

    no normalisation: with aggr='add' the sum also counts the neighbours. Parameters
    ``lin_rel`` (Linear with bias, applied to the aggregate) and ``lin_root`` (no bias).

    Shape: x (N, in_channels), edge_index (2, E), edge_weight (E,) or None -> (N, out_channels).
    """

    def __init__(self, in_channels, out_channels, aggr="add", bias=True, **kwargs):
        super().__init__(aggr=aggr, **kwargs)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.lin_rel = Linear(in_channels, out_channels, bias=bias)
        self.lin_root = Linear(in_channels, out_channels, bias=False)

    def reset_parameters(self):
        self.lin_rel.reset_parameters()
        self.lin_root.reset_parameters()

    def forward(self, x, edge_index, edge_weight=None):
        x_src, x_dst = (x, x) if not isinstance(x, (tuple, list)) else x
        out = self.propagate(edge_index, x=(x_src, x_dst), edge_weight=edge_weight)
        out = self.lin_rel(out)
        if x_dst is not None:
            out = out + self.lin_root(x_dst)
        return out

    def message(self, x_j, edge_weight):
        return x_j if edge_weight is None else edge_weight.reshape(-1, 1) * x_j

    def __repr__(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels})"


class SAGEConv(MessagePassing):
    """GraphSAGE (Hamilton et al. 2017): x'_i = W_1 x_i + W_2 mean_{j in N(i)} x_j.

    ``normalize=True`` scales every output row to unit L2 norm; ``root_weight=False`` drops the
    W_1 x_i term. Parameters ``lin_l`` (Linear with bias, on the aggregate) and ``lin_r``
    (no bias, on the node itself).

    Shape: x (N, in_channels), edge_index (2, E) -> (N, out_channels).
    """

    def __init__(self, in_channels, out_channels, aggr="mean", normalize=False, root_weight=True,
                 bias=True, **kwargs):
        super().__init__(aggr=aggr, **kwargs)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.normalize, self.root_weight = normalize, root_weight
        self.lin_l = Linear(in_channels, out_channels, bias=bias)
        if root_weight:
            self.lin_r = Linear(in_channels, out_channels, bias=False)

    def reset_parameters(self):
        self.lin_l.reset_parameters()
        if self.root_weight:
            self.lin_r.reset_parameters()

    def forward(self, x, edge_index, size=None):
        x_src, x_dst = (x, x) if not isinstance(x, (tuple, list)) else x
        out = self.lin_l(self.propagate(edge_index, x=(x_src, x_dst), size=size))
        if self.root_weight and x_dst is not None:
            out = out + self.lin_r(x_dst)
        if self.normalize:
            out = F.normalize(out, p=2.0, dim=-1)
        return out

    def __repr__(self):
        return f"{type(self).__name__}({self.in_channels}, {self.out_channels}, aggr={self.aggr})"
