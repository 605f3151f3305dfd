"""ONNX conversions of the recurrent layers: one ONNX RNN / LSTM / GRU node per layer and
direction.

ONNX orders the gates differently from PyTorch, so the weights are regrouped in the graph
(Split + Concat on the parameters, folded by any runtime): LSTM i, f, g, o becomes i, o, f, c;
GRU r, z, n becomes z, r, h, and ``linear_before_reset=1`` gives PyTorch's GRU, where the reset
gate multiplies (W_hn h + b_hn) rather than h.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np

from .onnx_graph import converter, shape_of
from .onnx_ops import out, squeeze, unsqueeze

K = import_module("glassnet.nn.functional.rnn_kernels")

_ORDER = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _regroup(g, w, rows, kind):
    """(G H, X) weight (a value or a name) as ONNX's (1, G H, X) in ONNX's gate order."""
    name = w if isinstance(w, str) else g.value(w)
    order = _ORDER[kind]
    if len(order) > 1:
        h = rows // len(order)
        parts = g.op("Split", [name, g.ints([h] * len(order))], n_out=len(order), axis=0)
        name = g.op("Concat", [parts[i] for i in order], axis=0)
    return unsqueeze(g, name, [0])


def _recurrent(g, rec, kind, x, states, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes, **attrs):
    if batch_sizes is not None:
        g.unsupported(f"{kind} over a packed sequence (PackedSequence): export the padded "
                      "batch instead")
    hidden = shape_of(w_hh)[1]
    rows = shape_of(w_ih)[0]
    ins = [g.value(x), _regroup(g, w_ih, rows, kind), _regroup(g, w_hh, rows, kind)]
    if b_ih is not None or b_hh is not None:
        zeros = g.const(np.zeros((rows,), g.dtype(x)))
        bi = g.value(b_ih) if b_ih is not None else zeros
        bh = g.value(b_hh) if b_hh is not None else zeros
        ins.append(g.op("Concat", [_regroup(g, bi, rows, kind), _regroup(g, bh, rows, kind)],
                        axis=1))
    else:
        ins.append("")
    ins.append("")  # sequence_lens
    for s in states:
        ins.append("" if s is None else unsqueeze(g, g.value(s), [0]))
    while ins[-1] == "":
        ins.pop()
    n_out = 1 + len(states)
    outs = g.op(kind, ins, n_out=n_out, hidden_size=int(hidden),
                direction="reverse" if reverse else "forward", **attrs)
    out(g, rec, squeeze(g, outs[0], [1]), 0)
    for i in range(1, n_out):
        out(g, rec, squeeze(g, outs[i], [0]), i)


@converter(K.LSTMLayer)
def _lstm(g, rec):
    x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, sizes = rec.args
    _recurrent(g, rec, "LSTM", x, (h0, c0), w_ih, w_hh, b_ih, b_hh, reverse, sizes)


@converter(K.GRULayer)
def _gru(g, rec):
    x, h0, w_ih, w_hh, b_ih, b_hh, reverse, sizes = rec.args
    _recurrent(g, rec, "GRU", x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse, sizes,
               linear_before_reset=1)


@converter(K.RNNLayer)
def _rnn(g, rec):
    x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse, sizes = rec.args
    act = "Tanh" if nonlinearity == "tanh" else "Relu"
    _recurrent(g, rec, "RNN", x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse, sizes,
               activations=[act])
