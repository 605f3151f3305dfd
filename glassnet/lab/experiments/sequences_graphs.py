"""Other structures (lecture 002): sequences read in both directions, and graphs.

* ``bilstm-context``: when a token's label depends on *later* tokens, a unidirectional LSTM
  can do no better than the best guess from the past; a bidirectional LSTM reads the future
  too and gets it right (002 "Bidirectional RNNs use the forward and reverse context").
* ``gnn-communities``: a graph convolutional network recovers communities from a few labelled
  nodes (a stochastic block model; Zachary's karate club) where an MLP that sees each node
  alone cannot (Kipf and Welling 2017; 002 "Graphs").
"""

from __future__ import annotations

import numpy as np

import glassnet as gn
from glassnet import models, optim
from glassnet.data.datasets import karate_club
from glassnet.lab.runner import experiment
from glassnet.nn import functional as F
from glassnet.nn.functional import graph as G

__all__ = ["karate_layout", "marker_sequences", "node_classification", "sbm_task"]


# ====================================================================== bilstm-context
def marker_sequences(n, length, vocab, rng, p_marker=0.5):
    """Random token sequences for a task that needs the future.

    Tokens 1..vocab-1 are filler; with probability ``p_marker`` one position (uniform) holds
    the marker token 0. Token t's label is 1 if the marker comes *later* (at a position > t),
    else 0. Returns ``(tokens (n, length) int64, labels (n, length) int64, open_ (n, length)
    bool)``, ``open_`` marking the tokens whose label the past does not settle (no marker at or
    before t): only the future tells them apart.
    """
    tokens = rng.integers(1, vocab, (n, length))
    has = rng.random(n) < p_marker
    pos = np.where(has, rng.integers(0, length, n), length)  # length: no marker
    tokens[has, pos[has]] = 0
    t = np.arange(length)
    labels = (t[None, :] < pos[:, None]) & has[:, None]
    open_ = t[None, :] < pos[:, None]
    return tokens.astype(np.int64), labels.astype(np.int64), open_


def _train_tagger(model, x, y, epochs, rng, lr=1e-2, batch_size=64, progress=None):
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in (progress or (lambda it, **k: it))(range(int(epochs)), desc="epochs"):
        order = rng.permutation(len(x))
        for i in range(0, len(x), batch_size):
            idx = order[i:i + batch_size]
            out = model(gn.tensor(x[idx]))
            opt.zero_grad()
            loss = F.cross_entropy(out.reshape(-1, out.shape[-1]), gn.tensor(y[idx].reshape(-1)))
            loss.backward()
            opt.step()
    model.eval()
    return model


@experiment("bilstm-context", lecture="002 other structures: sequences, bidirectional RNNs",
            claim="when a token's label depends on later tokens, a unidirectional LSTM does no "
                  "better than the best guess from the past; a bidirectional LSTM labels those "
                  "tokens correctly",
            full="8,000 training sequences and 15 epochs instead of 2,000 and 6")
def bilstm_context(lab):
    length, vocab = 20, 8
    n_train, epochs = lab.pick((2000, 6), (8000, 15))
    x, y, _ = marker_sequences(n_train, length, vocab, lab.rng)
    xt, yt, open_t = marker_sequences(2000, length, vocab, lab.rng)
    results = {}
    for name, bi, hidden in (("LSTM (left to right)", False, 48), ("bidirectional LSTM", True,
                                                                    32)):
        gn.manual_seed(lab.seed)
        model = models.SequenceTagger(vocab, 2, embedding_dim=16, hidden_size=hidden,
                                      bidirectional=bi)
        _train_tagger(model, x, y, epochs, lab.rng, progress=lab.progress)
        with gn.no_grad():
            pred = model(gn.tensor(xt)).numpy().argmax(-1)
        right = pred == yt
        results[name] = {"open": float(right[open_t].mean()),
                         "settled": float(right[~open_t].mean()),
                         "all": float(right.mean()),
                         "by_position": [float(right[:, t][open_t[:, t]].mean())
                                         for t in range(length)],
                         "parameters": models.count_parameters(model)}
    # The best any reader of tokens 0..t can do on an open token: P(marker later | none yet)
    # = (T-1-t) / (2T-1-t) < 1/2 for every t, so always answering 0 is optimal; its accuracy is
    # the share of open tokens labelled 0.
    bayes = float((yt[open_t] == 0).mean())
    bayes_pos = [float((yt[:, t][open_t[:, t]] == 0).mean()) for t in range(length)]
    lab.table(f"Token accuracy ({len(xt):,} test sequences of {length} tokens; 'open': no marker "
              f"yet, the label depends on later tokens)",
              ["model", "parameters", "open tokens", "settled tokens", "all tokens"],
              [[k, r["parameters"], r["open"], r["settled"], r["all"]]
               for k, r in results.items()]
              + [["best causal guess (always 0)", "-", bayes, 1.0, "-"]])
    uni, bi = results["LSTM (left to right)"]["open"], results["bidirectional LSTM"]["open"]
    ref = ("lecture 002, slide 'Bidirectional RNNs use the forward and reverse context of "
           "inputs'; Schuster and Paliwal 1997")
    lab.claim("a left-to-right LSTM cannot use later tokens: on open tokens it does no better "
              "than the best guess from the past (criterion: accuracy <= the best causal "
              "accuracy + 0.02)", measured=f"{uni:.3f} vs best causal {bayes:.3f}",
              reference=ref, holds=uni <= bayes + 0.02)
    lab.claim("a bidirectional LSTM labels the open tokens correctly (criterion: accuracy >= "
              "0.95)", measured=f"{bi:.3f}", reference=ref, holds=bi >= 0.95)
    lab.record(results=results, best_causal=bayes, best_causal_by_position=bayes_pos)
    lab.note(f"Vocabulary of {vocab} tokens (0 is the marker), sequences of {length}; half the "
             f"sequences hold one marker at a uniform position. Label of token t: 1 if the "
             f"marker comes later. {n_train:,} training sequences, {epochs} epochs of Adam "
             f"(lr 1e-2, batch 64); hidden sizes 48 (one direction) and 32 + 32 (two), so the "
             f"two models have about the same number of parameters. The causal bound rises "
             f"towards the end of the sequence, where little future is left to hold a marker.")
    with lab.figure("accuracy-by-position") as fig:
        if fig is not None:
            ax = fig.subplots()
            t = np.arange(length)
            for k, r in results.items():
                ax.plot(t, r["by_position"], "o-", label=k)
            ax.plot(t, bayes_pos, "k:", label="best causal guess")
            ax.set_xlabel("position t in the sequence")
            ax.set_ylabel("accuracy on open tokens (no marker yet)")
            ax.set_ylim(0, 1.05)
            ax.legend()
            ax.grid(alpha=0.3)


# ====================================================================== gnn-communities
def sbm_task(rng, sizes=(50, 50, 50), p_in=0.15, p_out=0.01, features=16, hint=0.8,
             labels_per_class=5):
    """A stochastic block model node-classification task (examples/graph_gcn_communities.py):
    communities joined inside with probability ``p_in``, across with ``p_out``; each node's
    features are Gaussian noise plus a weak hint (``hint`` on its community's coordinate);
    ``labels_per_class`` labelled nodes per community. Returns ``(x (N, F) float32,
    edge_index (2, E), y (N,), train (N,) bool)``."""
    k = len(sizes)
    probs = np.full((k, k), p_out) + np.eye(k) * (p_in - p_out)
    gen = gn.Generator().manual_seed(int(rng.integers(2**31)))
    edge_index = G.stochastic_blockmodel_graph(sizes, probs, generator=gen)
    y = np.repeat(np.arange(k), sizes)
    x = (rng.standard_normal((y.size, features)) + np.eye(features)[y] * hint).astype(np.float32)
    train = np.zeros(y.size, bool)
    for c in range(k):
        train[rng.choice(np.nonzero(y == c)[0], labels_per_class, replace=False)] = True
    return x, edge_index.numpy(), y, train


def node_classification(model, forward, y, train, epochs=200):
    """Train on the labelled nodes (Adam lr 0.01, weight decay 5e-4, Kipf and Welling's recipe);
    return the accuracy on the others and the predictions."""
    opt = optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    mask, labels = gn.tensor(train), gn.tensor(y)
    for _ in range(int(epochs)):
        model.train()
        opt.zero_grad()
        F.cross_entropy(forward()[mask], labels[mask]).backward()
        opt.step()
    model.eval()
    with gn.no_grad():
        pred = forward().numpy().argmax(1)
    return float((pred[~train] == y[~train]).mean()), pred


def karate_layout(edge_index, n):
    """2-D positions of a graph's nodes: the 2nd and 3rd eigenvectors of its Laplacian."""
    a = np.zeros((n, n))
    a[edge_index[0], edge_index[1]] = 1.0
    lap = np.diag(a.sum(1)) - a
    _, v = np.linalg.eigh(lap)
    return v[:, 1:3]


@experiment("gnn-communities", lecture="002 other structures: graphs",
            claim="a graph convolutional network recovers communities from a few labelled "
                  "nodes where an MLP on node features alone cannot (stochastic block model; "
                  "Zachary's karate club)",
            full="20 random graphs and 20 karate-club initialisations instead of 5")
def gnn_communities(lab):
    runs = lab.pick(5, 20)
    sbm = {"MLP (node features only)": [], "GCN, 2 layers": []}
    for _ in range(runs):
        x, ei, y, train = sbm_task(lab.rng)
        xt, eit = gn.tensor(x), gn.tensor(ei)
        mlp = models.MLP([x.shape[1], 16, 3], dropout=0.5)
        gcn = models.GCN(x.shape[1], 16, 2, 3, dropout=0.5)
        sbm["MLP (node features only)"].append(
            node_classification(mlp, lambda m=mlp, v=xt: m(v), y, train)[0])
        sbm["GCN, 2 layers"].append(
            node_classification(gcn, lambda m=gcn, v=xt, e=eit: m(v, e), y, train)[0])
    edge_index, club = karate_club()
    n = len(club)
    ident, eik = gn.tensor(np.eye(n, dtype=np.float32)), gn.tensor(edge_index)
    labelled = np.zeros(n, bool)
    labelled[[0, 33]] = True  # the instructor and the administrator
    karate = {"MLP (node features only)": [], "GCN, 2 layers": []}
    shown = None
    for _ in range(runs):
        mlp = models.MLP([n, 16, 2], dropout=0.5)
        gcn = models.GCN(n, 16, 2, 2, dropout=0.5)
        karate["MLP (node features only)"].append(
            node_classification(mlp, lambda m=mlp: m(ident), club, labelled)[0])
        acc, pred = node_classification(gcn, lambda m=gcn: m(ident, eik), club, labelled)
        karate["GCN, 2 layers"].append(acc)
        shown = pred if shown is None else shown
    mean = {k: float(np.mean(v)) for k, v in sbm.items()}
    kmean = {k: float(np.mean(v)) for k, v in karate.items()}
    lab.table(f"Accuracy on the unlabelled nodes (mean over {runs} runs)",
              ["model", "stochastic block model (150 nodes, 15 labelled)",
               "karate club (34 members, 2 labelled)"],
              [[k, mean[k], kmean[k]] for k in sbm])
    ref = ("Kipf and Welling 2017, tables 2-3 (Cora: GCN 81.5 % vs MLP 55.1 %); lecture 002, "
           "slide 'Other structures: Graphs'")
    g, m = mean["GCN, 2 layers"], mean["MLP (node features only)"]
    lab.claim("on a stochastic block model with weak node features, the GCN classifies "
              "unlabelled nodes far better than an MLP (criterion: mean accuracy at least 0.1 "
              "higher)",
              measured=f"{g:.3f} vs {m:.3f}", reference=ref, holds=g - m >= 0.1)
    kg, km = kmean["GCN, 2 layers"], kmean["MLP (node features only)"]
    lab.claim("from only the instructor and the administrator labelled, the GCN recovers the "
              "karate club's split (criterion: accuracy >= 0.8 and above the MLP's)",
              measured=f"{kg:.3f} vs MLP {km:.3f}",
              reference="Zachary 1977 (the club's split); Kipf and Welling 2017, karate-club "
                        "example (the GCN's embedding separates the communities)",
              holds=kg >= 0.8 and kg > km)
    lab.record(sbm=sbm, karate=karate)
    lab.note("Block model: three communities of 50 nodes, edge probability 0.15 inside and 0.01 "
             "across; 16 features per node, Gaussian noise plus 0.8 on the community's own "
             "coordinate; 5 labelled nodes per community. Karate club: no node features (the "
             "identity matrix, as Kipf and Welling), so an MLP has nothing to go on for an "
             "unlabelled member. Both models: 16 hidden units, dropout 0.5, Adam (lr 0.01, "
             "weight decay 5e-4), 200 epochs.")
    with lab.figure("communities", figsize=(10, 4.5)) as fig:
        if fig is not None:
            ax1, ax2 = fig.subplots(1, 2, gridspec_kw={"width_ratios": [1.4, 1]})
            pos = karate_layout(edge_index, n)
            for a, b in edge_index.T[: edge_index.shape[1] // 2]:
                ax1.plot(pos[[a, b], 0], pos[[a, b], 1], color="lightgray", lw=0.7, zorder=0)
            colours = np.array(["tab:blue", "tab:orange"])
            wrong = shown != club
            ax1.scatter(pos[:, 0], pos[:, 1], c=colours[shown], s=90,
                        edgecolors=np.where(wrong, "red", "black"), linewidths=1.5)
            ax1.scatter(pos[labelled, 0], pos[labelled, 1], marker="*", s=300, c="black")
            ax1.set_title("karate club: GCN prediction (stars labelled, red rim wrong)",
                          fontsize=8)
            ax1.set_xticks([])
            ax1.set_yticks([])
            names = list(sbm)
            xs = np.arange(2)
            ax2.bar(xs - 0.2, [mean[k] for k in names], 0.4, label="block model")
            ax2.bar(xs + 0.2, [kmean[k] for k in names], 0.4, label="karate club")
            ax2.set_xticks(xs, ["MLP", "GCN"])
            ax2.set_ylabel("accuracy on unlabelled nodes")
            ax2.set_ylim(0, 1)
            ax2.legend(fontsize=8)
