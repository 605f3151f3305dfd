"""Graph models (glassnet/models/graph.py) learn small tasks in seconds: a GCN uses the
graph to label nodes whose own features are too noisy to tell their community, and a graph
classifier tells stars from paths."""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import models, optim
from glassnet.nn import functional as F
from glassnet.nn.functional import graph as G

from ._util import _fit


def _two_communities(rng, n=40):
    ei = G.stochastic_blockmodel_graph([n, n], [[0.3, 0.02], [0.02, 0.3]])
    y = np.repeat([0, 1], n)
    x = rng.standard_normal((2 * n, 8)) + 0.7 * np.eye(8)[y]  # a weak signal in the features
    train = np.zeros(2 * n, bool)
    train[[0, 1, 2, 3, n, n + 1, n + 2, n + 3]] = True     # four labelled nodes per community
    return gn.tensor(x.astype(np.float32)), ei, y, train


def test_gcn_labels_two_communities_from_eight_labels(rng):
    x, ei, y, train = _two_communities(rng)
    model = models.GCN(8, 16, 2, 2, dropout=0.5)
    opt = optim.Adam(model.parameters(), lr=0.02, weight_decay=5e-4)
    mask, labels = gn.tensor(train), gn.tensor(y)
    for _ in range(100):
        opt.zero_grad()
        F.cross_entropy(model(x, ei)[mask], labels[mask]).backward()
        opt.step()
    model.eval()
    with gn.no_grad():
        pred = model(x, ei).argmax(1).numpy()
    assert (pred[~train] == y[~train]).mean() > 0.9
    # The same features without the graph: an MLP trained on the 8 labels does much worse.
    mlp = models.MLP([8, 16, 2])
    _fit(mlp, lambda: (x[mask], labels[mask]), 100, 0.02)
    with gn.no_grad():
        assert (mlp(x).argmax(1).numpy()[~train] == y[~train]).mean() < 0.85


def _star_or_path(rng, count=12):
    """Graphs of 5-8 nodes: label 0 a path, label 1 a star; node features (1, degree / 4)."""
    xs, edges, batch, labels, offset = [], [], [], [], 0
    for g in range(count):
        n, star = int(rng.integers(5, 9)), g % 2
        pairs = [(0, k) for k in range(1, n)] if star else [(k, k + 1) for k in range(n - 1)]
        e = np.array(pairs).T
        e = np.concatenate([e, e[::-1]], axis=1)
        deg = np.bincount(e[1], minlength=n)
        xs.append(np.stack([np.ones(n), deg / 4], 1))
        edges.append(e + offset)
        batch += [g] * n
        labels.append(star)
        offset += n
    return (gn.tensor(np.concatenate(xs).astype(np.float32)), gn.tensor(np.concatenate(edges, 1)),
            gn.tensor(np.array(batch)), gn.tensor(np.array(labels)))


def test_graph_classifier_tells_stars_from_paths(rng):
    x, ei, batch, y = _star_or_path(rng, 24)
    model = models.GraphClassifier(2, 16, 2)
    opt = optim.Adam(model.parameters(), lr=0.05)
    for _ in range(120):
        opt.zero_grad()
        F.cross_entropy(model(x, ei, batch), y).backward()
        opt.step()
    x, ei, batch, y = _star_or_path(rng)
    with gn.no_grad():
        assert (model(x, ei, batch).argmax(1).numpy() == y.numpy()).all()
