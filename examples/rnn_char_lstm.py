"""A character-level LSTM language model (char-rnn) that learns to write like its training text.

At every step the network reads one character and predicts the next; the hidden state (and the
LSTM's cell state) carries what it has read so far (lectures 002 "Recurrent Neural Networks",
004 on the LSTM). Training is cross-entropy between the prediction at step t and the character at
t + 1 over random windows of the text; generation feeds each sampled character back in.

The loss starts near ln(vocabulary size) (a uniform guess) and falls as the model learns letter
frequencies, then common words, then longer phrases; the samples printed along the way show it.

    python examples/rnn_char_lstm.py [--steps 300] [--text FILE]
"""

import argparse
import math
import time
from pathlib import Path

import numpy as np

import glassnet as gn
from glassnet import optim
from glassnet.models import CharRNN, CharVocab
from glassnet.nn import functional as F

TEXT = """\
A recurrent network reads a sequence one element at a time and keeps a hidden state that \
summarises what it has read so far. The same weights are used at every step, so the network \
unfolded in time is a deep feed-forward network whose layers share their weights. Training it is \
backpropagation through time: the gradient flows backwards from the last step to the first, \
multiplied by one Jacobian per step, and in a plain recurrent network it shrinks until it \
vanishes. The long short-term memory network keeps a second state, the cell, that changes by \
addition: the forget gate decides what to keep, the input gate what to write, and the output \
gate what to show. Because the cell changes by addition, the gradient can flow through many \
steps, and the network can learn what to remember and for how long. A bidirectional network \
reads the sequence in both directions, so that every output sees the past and the future.
"""


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--seq", type=int, default=64)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--text", default=None, help="train on this text file instead")
    a = ap.parse_args()
    text = Path(a.text).read_text(encoding="utf-8") if a.text else TEXT
    gn.manual_seed(0)
    rng = np.random.default_rng(0)
    vocab = CharVocab(text)
    ids = vocab.encode(text)
    model = CharRNN(len(vocab), embedding_dim=32, hidden_size=128, num_layers=2)
    opt = optim.Adam(model.parameters(), lr=0.005)
    print(f"{len(text)} characters, vocabulary {len(vocab)}; a uniform guess scores "
          f"{math.log(len(vocab)):.2f}")
    t0 = time.perf_counter()
    for step in range(1, a.steps + 1):
        starts = rng.integers(0, len(ids) - a.seq - 1, a.batch)
        x = gn.tensor(np.stack([ids[s:s + a.seq] for s in starts]))
        y = gn.tensor(np.stack([ids[s + 1:s + a.seq + 1] for s in starts]))
        opt.zero_grad()
        logits, _ = model(x)
        loss = F.cross_entropy(logits.reshape(-1, len(vocab)), y.reshape(-1))
        loss.backward()
        gn.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        if step % (a.steps // 4) == 0 or step == 1:
            sample = vocab.decode(model.sample(vocab.encode("The "), 120, temperature=0.7))
            print(f"\nstep {step}, loss {loss.item():.3f} ({time.perf_counter() - t0:.0f} s)\n"
                  f"  The {sample!r}")


if __name__ == "__main__":
    main()
