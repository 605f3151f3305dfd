"""Node classification with a graph convolutional network: communities from a few labels.

A stochastic block model draws a graph of three communities: nodes of one community are joined
with probability 0.15, nodes of different communities with probability 0.01. Each node's own
features carry only a weak hint of its community, and just five nodes per community are
labelled. An MLP sees each node alone; a GCN (Kipf & Welling 2017) averages every node with its
neighbours, X' = D^-1/2 (A + I) D^-1/2 X W, so with two layers each node sees its two-hop
neighbourhood, mostly its own community, and the weak hints add up (lectures, 002 "Graphs":
locality that varies per node, and weights shared by all nodes, as a convolution shares them
across pixels).

The script also checks the layer's symmetry: renumbering the nodes renumbers the outputs.

    python examples/graph_gcn_communities.py
"""

import numpy as np

import glassnet as gn
from glassnet import models, optim
from glassnet.nn import functional as F
from glassnet.nn.functional import graph as G

SIZES, P_IN, P_OUT, FEATURES, LABELS_PER_CLASS = (50, 50, 50), 0.15, 0.01, 16, 5


def make_graph(rng):
    k = len(SIZES)
    probs = np.full((k, k), P_OUT) + np.eye(k) * (P_IN - P_OUT)
    edge_index = G.stochastic_blockmodel_graph(SIZES, probs)
    y = np.repeat(np.arange(k), SIZES)
    hint = np.eye(FEATURES)[y] * 0.8                      # a weak community signal
    x = (rng.standard_normal((y.size, FEATURES)) + hint).astype(np.float32)
    train = np.zeros(y.size, bool)
    for c in range(k):
        train[rng.choice(np.nonzero(y == c)[0], LABELS_PER_CLASS, replace=False)] = True
    return gn.tensor(x), edge_index, y, train


def fit(model, forward, y, train, epochs=200):
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    mask, labels = gn.tensor(train), gn.tensor(y)
    for _ in range(epochs):
        model.train()
        opt.zero_grad()
        F.cross_entropy(forward()[mask], labels[mask]).backward()
        opt.step()
    model.eval()
    with gn.no_grad():
        pred = forward().argmax(1).numpy()
    return (pred[~train] == y[~train]).mean()


def main():
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    x, edge_index, y, train = make_graph(rng)
    n, e = y.size, edge_index.shape[1]
    print(f"{n} nodes, {e // 2} undirected edges, {train.sum()} labelled nodes; "
          f"{(y[edge_index.numpy()[0]] == y[edge_index.numpy()[1]]).mean():.0%} of the edges "
          "stay inside a community\n")

    mlp = models.MLP([FEATURES, 16, len(SIZES)], dropout=0.5)
    print(f"MLP (node features only):   test accuracy {fit(mlp, lambda: mlp(x), y, train):.2f}")
    for layers in (1, 2):
        gcn = models.GCN(FEATURES, 16, layers, len(SIZES), dropout=0.5)
        acc = fit(gcn, lambda m=gcn: m(x, edge_index), y, train)
        print(f"GCN, {layers} layer{'s' if layers > 1 else ' '} ({layers}-hop):   "
              f"test accuracy {acc:.2f}")

    # Permutation equivariance: f(P x, P A P^T) = P f(x, A).
    perm = rng.permutation(n)                  # new node i is old node perm[i]
    inv = np.argsort(perm)
    with gn.no_grad():
        out = gcn(x, edge_index).numpy()
        out_perm = gcn(x[gn.tensor(perm)], gn.tensor(inv[edge_index.numpy()])).numpy()
    print(f"\nrenumbered nodes: max |f(Px) - P f(x)| = {np.abs(out_perm - out[perm]).max():.1e}")


if __name__ == "__main__":
    main()
