"""Sequence models (glassnet/models/sequence.py) learn small tasks in seconds: a recurrent
net must carry a count or a parity along the sequence, a character-level language model
memorises a phrase and samples it; and the input checks."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import models, optim
from glassnet.nn import functional as F

from ._util import _fit


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


def test_sequence_tagger_reads_the_future_only_when_bidirectional():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 6, (3, 8))
    x2 = x.copy()
    x2[:, 5:] = (x2[:, 5:] + 1) % 6  # change the last three tokens
    for bi in (False, True):
        gn.manual_seed(0)
        m = models.get("sequence-tagger", vocab_size=6, num_classes=3, hidden_size=5,
                       bidirectional=bi)
        with gn.no_grad():
            a, b = m(gn.tensor(x)).numpy(), m(gn.tensor(x2)).numpy()
        assert a.shape == (3, 8, 3)
        same_past = np.allclose(a[:, :5], b[:, :5])
        assert same_past is (not bi)  # a left-to-right tagger cannot see later tokens
    with pytest.raises(TypeError, match="int64 tokens"):
        m(gn.randn(3, 8))
