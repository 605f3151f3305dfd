"""Graph neural networks: the GCN node classifier and a graph-level classifier.

Lecture 002 ends its tour of structured inputs with graphs, where "locality (neighbourhood)
varies for each node": a graph convolution shares its weights across nodes like a CNN shares
them across pixels, but aggregates over each node's own neighbours.

* ``GCN``: Kipf & Welling 2017's semi-supervised node classifier, ``GCNConv -> ReLU ->
  [Dropout] -> GCNConv``: with two layers every node sees its 2-hop neighbourhood, so labels on
  a few nodes spread to their communities;
* ``GraphClassifier``: graph convolutions, a global mean (or sum / max) pool over each graph's
  nodes and a linear read-out: one label per graph (molecules, for instance).
"""

from __future__ import annotations

import itertools

from glassnet import nn
from glassnet.nn import functional as F

from .registry import register

__all__ = ["GCN", "GraphClassifier"]

_POOLS = {"mean": nn.global_mean_pool, "add": nn.global_add_pool, "sum": nn.global_add_pool,
          "max": nn.global_max_pool}


def _convs(in_channels, hidden_channels, num_layers, out_channels):
    if num_layers < 1:
        raise ValueError(f"GCN: num_layers must be at least 1, got {num_layers}")
    sizes = [in_channels] + [hidden_channels] * (num_layers - 1) + [out_channels]
    return nn.ModuleList([nn.GCNConv(a, b) for a, b in itertools.pairwise(sizes)])


class GCN(nn.Module):
    """A stack of ``GCNConv`` layers with ReLU and dropout between them (PyTorch Geometric's
    ``models.GCN`` signature): ``GCN(in_channels, hidden_channels, num_layers=2,
    out_channels=None, dropout=0.0)``; ``out_channels`` defaults to ``hidden_channels``.

    With two layers this is Kipf & Welling's model, softmax(Â ReLU(Â X W_1) W_2) with
    Â = D^-1/2 (A + I) D^-1/2 (their recipe uses dropout 0.5; the registered ``gcn`` does).

    Shape: x (N, in_channels), edge_index (2, E), edge_weight (E,) or None -> (N, out_channels).
    """

    def __init__(self, in_channels, hidden_channels=16, num_layers=2, out_channels=None,
                 dropout=0.0):
        super().__init__()
        self.in_channels, self.hidden_channels, self.num_layers = (in_channels, hidden_channels,
                                                                   num_layers)
        self.out_channels = hidden_channels if out_channels is None else out_channels
        self.dropout = float(dropout)
        self.convs = _convs(in_channels, hidden_channels, num_layers, self.out_channels)

    def forward(self, x, edge_index, edge_weight=None):
        last = len(self.convs) - 1
        for k, conv in enumerate(self.convs):
            x = conv(x, edge_index, edge_weight)
            if k < last:
                x = F.dropout(F.relu(x), self.dropout, self.training)
        return x

    def extra_repr(self):
        return f"{self.in_channels}, {self.out_channels}, num_layers={self.num_layers}"


class GraphClassifier(nn.Module):
    """GCN layers (ReLU after each) -> global pooling per graph -> [Dropout] -> Linear.

    ``batch`` (N,) names the graph of every node when several graphs share one ``edge_index``
    (their node ids offset, as a PyTorch Geometric mini-batch); None means one graph.

    Shape: x (N, in_channels), edge_index (2, E), batch (N,) or None -> (B, num_classes).
    """

    def __init__(self, in_channels, hidden_channels=32, num_classes=2, num_layers=2,
                 dropout=0.0, pool="mean"):
        super().__init__()
        if pool not in _POOLS:
            raise ValueError(f"GraphClassifier: pool must be 'mean', 'add' or 'max', got {pool!r}")
        self.pool, self.dropout = pool, float(dropout)
        self.convs = _convs(in_channels, hidden_channels, num_layers, hidden_channels)
        self.fc = nn.Linear(hidden_channels, num_classes)

    def forward(self, x, edge_index, batch=None, edge_weight=None):
        for conv in self.convs:
            x = F.relu(conv(x, edge_index, edge_weight))
        g = _POOLS[self.pool](x, batch)
        return self.fc(F.dropout(g, self.dropout, self.training))


@register("gcn", "GCN (Kipf & Welling 2017): 2-layer graph convolution node classifier",
          kind="graph")
def gcn(in_channels=1433, hidden_channels=16, num_classes=7, dropout=0.5):
    return GCN(in_channels, hidden_channels, 2, num_classes, dropout)


@register("graph-classifier", "graph-level classifier: GCN layers, global mean pool, linear",
          kind="graph")
def graph_classifier(in_channels=16, hidden_channels=32, num_classes=2, num_layers=2):
    return GraphClassifier(in_channels, hidden_channels, num_classes, num_layers)
