"""Sequence and graph models learn small tasks in seconds; registry entries build and check.

Each task is one a model of that family should solve and a model without its structure would
not: a recurrent net must carry a count or a parity along the sequence, and a GCN must use the
graph to label nodes whose own features are too noisy to tell their community.
"""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, nn, optim
from glassnet.nn import functional as F
from glassnet.nn.functional import graph as G


def _fit(model, batches, steps, lr):
    opt = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        x, y = batches()
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()


def _bits(rng, n, length, label):
    bits = rng.integers(0, 2, (n, length))
    return gn.tensor(bits), gn.tensor(label(bits).astype(np.int64))


def test_lstm_classifier_learns_the_majority_of_bits(rng):
    """Sum sign: is the count of ones above half? The LSTM has to count along the sequence."""
    def majority(b):
        return b.sum(1) > b.shape[1] // 2

    model = models.SequenceClassifier(vocab_size=2, num_classes=2, embedding_dim=8,
                                      hidden_size=16)
    _fit(model, lambda: _bits(rng, 64, 9, majority), 150, 0.02)
    x, y = _bits(rng, 500, 9, majority)
    with gn.no_grad():
        acc = (model(x).argmax(1).numpy() == y.numpy()).mean()
    assert acc > 0.95


def test_gru_classifier_learns_parity(rng):
    def parity(b):
        return b.sum(1) % 2

    model = models.SequenceClassifier(vocab_size=2, num_classes=2, embedding_dim=8,
                                      hidden_size=32, cell="gru")
    _fit(model, lambda: _bits(rng, 32, 3, parity), 300, 0.01)
    x, y = _bits(rng, 500, 3, parity)
    with gn.no_grad():
        assert (model(x).argmax(1).numpy() == y.numpy()).mean() > 0.95


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


def test_char_rnn_memorises_a_phrase_and_samples_it(rng):
    text = "hello world, " * 8
    vocab = models.CharVocab(text)
    ids = vocab.encode(text)
    model = models.CharRNN(len(vocab), embedding_dim=16, hidden_size=32, num_layers=1)
    L = 12

    def batches():
        starts = rng.integers(0, len(ids) - L - 1, 16)
        x = np.stack([ids[s:s + L] for s in starts])
        y = np.stack([ids[s + 1:s + L + 1] for s in starts])
        return gn.tensor(x), gn.tensor(y)

    opt = optim.Adam(model.parameters(), lr=0.02)
    for _ in range(150):
        x, y = batches()
        opt.zero_grad()
        logits, _ = model(x)
        F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1)).backward()
        opt.step()
    out = vocab.decode(model.sample(vocab.encode("hello w"), 12, temperature=0))
    assert out == "orld, hello "
    assert model.training
    assert len(model.sample([0], 5, temperature=1.0, generator=gn.Generator().manual_seed(1))) == 5


def test_registry_builds_sequence_models_for_datasets():
    m = models.build_for("lstm", (1, 28, 28), 10)
    assert m.rnn.input_size == 28 and m.fc.out_features == 10
    with gn.no_grad():
        assert m(gn.randn(3, 1, 28, 28)).shape == (3, 10)
        assert models.build_for("gru", (40,), 10)(gn.randn(2, 40)).shape == (2, 10)
        bi = models.build_for("bilstm", (3, 8, 8), 4)
        assert bi.rnn.input_size == 24 and bi(gn.randn(2, 3, 8, 8)).shape == (2, 4)
        assert models.build_for("lstm", (7, 5), 3)(gn.randn(2, 7, 5)).shape == (2, 3)
    for name in ("lstm", "bilstm", "gru", "char-rnn", "gcn", "graph-classifier"):
        assert name in models.available()
    with pytest.raises(ValueError, match="graph network"):
        models.check_input("gcn", (1, 28, 28))
    with pytest.raises(ValueError, match="language model"):
        models.build_for("char-rnn", (10,), 2)
    assert isinstance(models.get("gcn"), models.GCN)
    assert isinstance(models.get("char-rnn").rnn, nn.LSTM)


def test_model_input_checks():
    with pytest.raises(ValueError, match="exactly one of input_size"):
        models.SequenceClassifier()
    m = models.SequenceClassifier(vocab_size=5)
    with pytest.raises(TypeError, match="int64 token ids"):
        m(gn.randn(2, 3))
    with pytest.raises(RuntimeError, match=r"expected \(N, T, 4\)"):
        models.SequenceClassifier(input_size=4)(gn.randn(2, 3, 5))
    with pytest.raises(ValueError, match="unknown cell"):
        models.SequenceClassifier(input_size=4, cell="transformer")
