"""Sequence models: a recurrent classifier and a character-level language model.

Lecture 002 ("Other structures: Sequences") shows the recurrent network unfolded in time, the LSTM
cell and the bidirectional stack; lecture 004 places the LSTM (Hochreiter & Schmidhuber 1997) in
the history of deep learning. Both models here are embedding (or raw features) -> recurrent
layers -> a linear read-out:

* ``SequenceClassifier`` reads a whole sequence and classifies it from the final hidden state
  (both directions when bidirectional): sentiment-style tasks, the parity or sign of a bit
  string, or an image read row by row (an MNIST digit is 28 steps of 28 pixels);
* ``SequenceTagger`` labels every step of a sequence (part-of-speech style); bidirectional, each
  label can depend on what comes later as well as on what came before;
* ``CharRNN`` predicts the next character at every step (Karpathy's char-rnn) and samples text.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend, nn
from glassnet.autograd import no_grad
from glassnet.tensor import Tensor

from .registry import register

__all__ = ["CharRNN", "CharVocab", "SequenceClassifier", "SequenceTagger", "recurrent_layer"]

_CELLS = {"lstm": "LSTM", "gru": "GRU", "rnn": "RNN", "rnn_tanh": "RNN", "rnn_relu": "RNN"}


def recurrent_layer(cell, input_size, hidden_size, **kw):
    """``nn.LSTM`` / ``nn.GRU`` / ``nn.RNN`` from a name ('lstm', 'gru', 'rnn', 'rnn_relu')."""
    key = str(cell).lower().replace("-", "_")
    if key not in _CELLS:
        raise ValueError(f"recurrent_layer: unknown cell {cell!r}; expected 'lstm', 'gru', 'rnn' "
                         "or 'rnn_relu'")
    if key == "rnn_relu":
        kw["nonlinearity"] = "relu"
    return getattr(nn, _CELLS[key])(input_size, hidden_size, batch_first=True, **kw)


class SequenceClassifier(nn.Module):
    """[Embedding ->] LSTM/GRU/RNN (batch first) -> final hidden state -> [Dropout ->] Linear.

    Give ``vocab_size`` to read integer tokens (N, T) through an ``nn.Embedding``, or
    ``input_size`` to read features (N, T, input_size). Images (N, C, H, W) are read as H steps of
    C * W features (``input_size = C * W``), and flat signals (N, L) as L steps of one feature.
    The logits come from the last layer's final hidden state, the two directions concatenated
    when ``bidirectional``.

    Shape:
        - Input: (N, T) int64 tokens, or (N, T, input_size), (N, L), (N, C, H, W) floats
        - Output: (N, num_classes)
    """

    def __init__(self, input_size=None, num_classes=2, vocab_size=None, embedding_dim=32,
                 hidden_size=64, num_layers=1, cell="lstm", bidirectional=False, dropout=0.0,
                 padding_idx=None):
        super().__init__()
        if (input_size is None) == (vocab_size is None):
            raise ValueError("SequenceClassifier: give exactly one of input_size (feature "
                             "sequences) and vocab_size (token sequences)")
        self.input_size, self.vocab_size, self.num_classes = input_size, vocab_size, num_classes
        self.cell, self.bidirectional = str(cell).lower(), bool(bidirectional)
        if vocab_size is not None:
            self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=padding_idx)
            width = embedding_dim
        else:
            self.embedding = None
            width = input_size
        self.rnn = recurrent_layer(cell, width, hidden_size, num_layers=num_layers,
                                   bidirectional=bidirectional,
                                   dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.fc = nn.Linear(hidden_size * (2 if bidirectional else 1), num_classes)

    def sequence(self, x):
        """The (N, T, features) sequence the recurrent layer reads."""
        if self.embedding is not None:
            if x.dtype.kind not in "iu":
                raise TypeError(f"SequenceClassifier: built for tokens (vocab_size="
                                f"{self.vocab_size}) but got a {x.dtype} input; pass int64 "
                                "token ids of shape (N, T)")
            return self.embedding(x)
        if x.ndim == 4:  # images: one row per step
            n, c, h, w = x.shape
            x = x.permute(0, 2, 1, 3).reshape(n, h, c * w)
        elif x.ndim == 2:
            x = x.unsqueeze(-1)
        if x.ndim != 3 or x.shape[-1] != self.input_size:
            raise RuntimeError(f"SequenceClassifier: expected (N, T, {self.input_size}) features "
                               f"(or images with C * W = {self.input_size}), got shape "
                               f"{tuple(x.shape)}")
        return x

    def forward(self, x):
        _, h = self.rnn(self.sequence(x))
        h = h[0] if isinstance(h, tuple) else h  # LSTM: (h_n, c_n)
        if self.bidirectional:  # last layer's forward and backward final states
            last = h[-2:].permute(1, 0, 2).reshape(h.shape[1], -1)
        else:
            last = h[-1]
        return self.fc(self.dropout(last))


class SequenceTagger(nn.Module):
    """Embedding -> LSTM/GRU/RNN (batch first) -> Linear at every step: one label per token.

    The output at step t comes from the hidden state at t: with ``bidirectional=False`` it has
    seen tokens 0..t only; with ``bidirectional=True`` the forward state (tokens 0..t) and the
    backward state (tokens t..T-1) are concatenated, so a label can depend on later tokens
    (lecture 002: "Bidirectional RNNs use the forward and reverse context of inputs").

    Shape:
        - Input: (N, T) int64 tokens
        - Output: (N, T, num_classes)
    """

    def __init__(self, vocab_size, num_classes=2, embedding_dim=16, hidden_size=32,
                 num_layers=1, cell="lstm", bidirectional=False):
        super().__init__()
        self.vocab_size, self.num_classes = int(vocab_size), int(num_classes)
        self.bidirectional = bool(bidirectional)
        self.embedding = nn.Embedding(self.vocab_size, embedding_dim)
        self.rnn = recurrent_layer(cell, embedding_dim, hidden_size, num_layers=num_layers,
                                   bidirectional=self.bidirectional)
        self.fc = nn.Linear(hidden_size * (2 if self.bidirectional else 1), self.num_classes)

    def forward(self, tokens):
        if tokens.ndim != 2 or tokens.dtype.kind not in "iu":
            raise TypeError(f"SequenceTagger: expected int64 tokens of shape (N, T), got "
                            f"{tokens.dtype} of shape {tuple(tokens.shape)}")
        out, _ = self.rnn(self.embedding(tokens))
        return self.fc(out)


class CharVocab:
    """The characters of a text as ids 0..V-1 (sorted): ``encode(str)``, ``decode(ids)``."""

    def __init__(self, text):
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        try:
            return np.array([self.index[c] for c in text], dtype=np.int64)
        except KeyError as e:
            raise KeyError(f"CharVocab.encode: character {e.args[0]!r} is not in the vocabulary")

    def decode(self, ids):
        ids = ids.tolist() if hasattr(ids, "tolist") else ids
        return "".join(self.chars[int(i)] for i in ids)


class CharRNN(nn.Module):
    """Character-level language model: Embedding -> LSTM/GRU -> Linear to next-character logits.

    Trained with cross-entropy between ``logits[:, t]`` and the character at t + 1; ``sample``
    then generates text one character at a time, feeding each back in with the hidden state.

    Shape: tokens (N, T) int64, hidden as the recurrent layer's (or None) ->
    (logits (N, T, vocab_size), hidden).
    """

    def __init__(self, vocab_size, embedding_dim=64, hidden_size=128, num_layers=2, cell="lstm",
                 dropout=0.0):
        super().__init__()
        self.vocab_size = vocab_size
        self.embedding = nn.Embedding(vocab_size, embedding_dim)
        self.rnn = recurrent_layer(cell, embedding_dim, hidden_size, num_layers=num_layers,
                                   dropout=dropout if num_layers > 1 else 0.0)
        self.dropout = nn.Dropout(dropout) if dropout else nn.Identity()
        self.decoder = nn.Linear(hidden_size, vocab_size)

    def forward(self, tokens, hidden=None):
        out, hidden = self.rnn(self.embedding(tokens), hidden)
        return self.decoder(self.dropout(out)), hidden

    def sample(self, prime, length, temperature=1.0, generator=None):
        """Continue the token ids ``prime`` by ``length`` tokens; returns the new ids (a list).

        Each step draws from softmax(logits / temperature); ``temperature=0`` takes the argmax.
        """
        was_training = self.training
        self.eval()
        rng = backend.rng(generator)
        ids = [int(i) for i in (prime.tolist() if hasattr(prime, "tolist") else prime)]
        if not ids:
            raise ValueError("CharRNN.sample: prime must hold at least one token")
        out = []
        dev = self.decoder.weight.device

        def tokens(a):
            return Tensor._make(backend.to_device(np.asarray(a, dtype=np.int64), dev), False)

        with no_grad():
            x = tokens([ids])
            hidden = None
            for _ in range(length):
                logits, hidden = self(x, hidden)
                z = np.asarray(backend.to_numpy(logits._data[0, -1]), dtype=np.float64)
                if temperature == 0:
                    nxt = int(z.argmax())
                else:
                    p = np.exp((z - z.max()) / temperature)
                    nxt = int(rng.choice(len(p), p=p / p.sum()))
                out.append(nxt)
                x = tokens([[nxt]])
        self.train(was_training)
        return out


def _classifier(cell, bidirectional=False):
    def build(input_size=28, num_classes=10, hidden_size=128, num_layers=1, dropout=0.0,
              vocab_size=None):
        if vocab_size is not None:
            input_size = None
        return SequenceClassifier(input_size, num_classes, vocab_size, hidden_size=hidden_size,
                                  num_layers=num_layers, cell=cell, bidirectional=bidirectional,
                                  dropout=dropout)
    return build


lstm = register("lstm", "LSTM sequence classifier: images row by row (28 steps of 28 px), "
                "signals step by step", kind="sequence")(_classifier("lstm"))
bilstm = register("bilstm", "bidirectional LSTM classifier: past and future context per step",
                  kind="sequence")(_classifier("lstm", True))
gru = register("gru", "GRU sequence classifier (Cho 2014): a lighter gated cell than the LSTM",
               kind="sequence")(_classifier("gru"))


@register("sequence-tagger", "LSTM (or bidirectional) tagger: one label per token of a sequence",
          kind="language")
def sequence_tagger(vocab_size=16, num_classes=2, embedding_dim=16, hidden_size=32,
                    num_layers=1, cell="lstm", bidirectional=False):
    return SequenceTagger(vocab_size, num_classes, embedding_dim, hidden_size, num_layers, cell,
                          bidirectional)


@register("char-rnn", "character-level LSTM language model (next-character prediction, "
          "sampling)", kind="language")
def char_rnn(vocab_size=128, embedding_dim=64, hidden_size=128, num_layers=2, cell="lstm",
             dropout=0.0):
    return CharRNN(vocab_size, embedding_dim, hidden_size, num_layers, cell, dropout)
