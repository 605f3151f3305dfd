"""Recurrent layers as functions: one call runs a whole sequence through one layer-direction.

A recurrent network applies the same cell at every time step, feeding back its hidden state
(lectures, "Recurrent Neural Networks": the unfolded network is a deep feed-forward network whose
layers share weights). Unrolled op by op that is some ten tiny ops per step, each with its own
graph node; here each layer-direction is one fused Function (``rnn_kernels``) whose forward loops
over time and whose backward is backpropagation through time in closed form.

Cells (PyTorch's gate order and formulas), with sigma the logistic sigmoid:

    Elman RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)          (or relu)
    LSTM:       i, f, g, o = sigma(.), sigma(.), tanh(.), sigma(.) of W_ih x + b_ih + W_hh h + b_hh
                c' = f * c + i * g,   h' = o * tanh(c')             (Hochreiter & Schmidhuber 1997)
    GRU:        r, z = sigma(W_ir x + b_ir + W_hr h + b_hr), sigma(W_iz x + b_iz + W_hz h + b_hz)
                n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

Shape (time-major): input (T, B, I); hx, cx (B, H) or None (zeros); w_ih (G*H, I), w_hh (G*H, H),
b_ih, b_hh (G*H,) or None, with G = 1 (RNN), 3 (GRU), 4 (LSTM); output (T, B, H) and the final
state(s) (B, H). ``reverse=True`` runs t = T-1 ... 0 (the backward half of a bidirectional
layer) and writes output[t] at its own time index. ``batch_sizes`` (T,) non-increasing runs a
packed batch: at step t only the first batch_sizes[t] sequences advance (those still running);
the others keep their state and output 0, so each final state is taken at its sequence's end.
"""

from __future__ import annotations

import functools
import itertools

from ...tensor import Tensor
from .adjoint import zeros
from .rnn_kernels import GRULayer, LSTMLayer, RNNLayer, _Plan
from .rnn_unrolled import lstm_step, unrolled_layer

__all__ = [
    "gru_cell",
    "gru_layer",
    "lstm_cell",
    "lstm_layer",
    "lstm_proj_layer",
    "rnn_layer",
    "rnn_relu_cell",
    "rnn_tanh_cell",
]


# ----------------------------------------------------------------------------- public functions
def _check(op, x, states, w_ih, w_hh, b_ih, b_hh, n_gates, batch_sizes=None):
    """Validate the arguments (naming the op, what was expected and what came); returns
    ``batch_sizes`` as a list of ints (or None)."""
    for name, t in (("input", x), ("weight_ih", w_ih), ("weight_hh", w_hh)):
        if not isinstance(t, Tensor):
            raise TypeError(f"{op}: {name} must be a Tensor, got {type(t).__name__}")
    if x.ndim != 3:
        raise RuntimeError(f"{op}: expected a time-major input (T, B, input_size), got shape "
                           f"{tuple(x.shape)}")
    if x.shape[0] == 0:
        raise RuntimeError(f"{op}: expected a sequence length larger than 0, got input of shape "
                           f"{tuple(x.shape)}")
    GH, I = w_ih.shape
    H = w_hh.shape[1]
    if GH != n_gates * H or tuple(w_hh.shape) != (GH, H):
        raise RuntimeError(f"{op}: weight_ih {tuple(w_ih.shape)} and weight_hh "
                           f"{tuple(w_hh.shape)} do not fit {n_gates} gate(s) of hidden size {H}")
    if x.shape[2] != I:
        raise RuntimeError(f"{op}: input.size(-1) must be equal to input_size. Expected {I}, got "
                           f"{x.shape[2]}")
    named = [("weight_ih", w_ih), ("weight_hh", w_hh), ("bias_ih", b_ih), ("bias_hh", b_hh)]
    for name, t in named + [("hx", s) for s in states]:
        if t is not None and t.dtype != x.dtype:
            raise RuntimeError(f"{op}: input dtype {x.dtype} and {name} dtype {t.dtype} must be "
                               "the same (use .to(dtype) or model.double())")
    for s in states:
        if s is not None and tuple(s.shape) != (x.shape[1], H):
            raise RuntimeError(f"{op}: expected hidden state of shape {(x.shape[1], H)}, got "
                               f"{tuple(s.shape)}")
    if batch_sizes is None:
        return None
    sizes = [int(b) for b in (batch_sizes.tolist() if hasattr(batch_sizes, "tolist")
                              else batch_sizes)]
    if len(sizes) != x.shape[0] or any(b < 1 or b > x.shape[1] for b in sizes) or \
            any(a < b for a, b in itertools.pairwise(sizes)):
        raise RuntimeError(f"{op}: batch_sizes must hold {x.shape[0]} non-increasing counts in "
                           f"[1, {x.shape[1]}] (one per step), got {sizes}")
    return sizes


def rnn_layer(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False,
              batch_sizes=None):
    """One Elman RNN layer over a whole sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Shape: input (T, B, I), hx (B, H) or None -> (output (T, B, H), h_n (B, H)).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or "
                         "'relu')")
    sizes = _check("rnn_layer", input, (hx,), w_ih, w_hh, b_ih, b_hh, 1, batch_sizes)
    return RNNLayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity, bool(reverse), sizes)


def lstm_layer(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, batch_sizes=None):
    """One LSTM layer over a whole sequence (gate order i, f, g, o as PyTorch).

    Shape: input (T, B, I), hx and cx (B, H) or None -> (output (T, B, H), h_n, c_n (B, H)).
    """
    sizes = _check("lstm_layer", input, (hx, cx), w_ih, w_hh, b_ih, b_hh, 4, batch_sizes)
    return LSTMLayer.apply(input, hx, cx, w_ih, w_hh, b_ih, b_hh, bool(reverse), sizes)


def lstm_proj_layer(input, hx, cx, w_ih, w_hh, b_ih, b_hh, w_hr, reverse=False,
                    batch_sizes=None):
    """One LSTM layer with a projection (``proj_size``, Sak et al. 2014): the cell as in
    ``lstm_layer``, then h' = W_hr (o * tanh(c')), a P < H dimensional hidden state.

    Unrolled into Tensor operations step by step (rnn_unrolled.py: one graph node per op; the
    fused kernel covers the common case without projection).

    Shape: input (T, B, I), hx (B, P), cx (B, H) or None, w_hh (4H, P), w_hr (P, H) ->
    (output (T, B, P), h_n (B, P), c_n (B, H)).
    """
    B, H = input.shape[1], w_hr.shape[1]
    c = zeros((B, H), input) if cx is None else cx
    plan = _Plan(input._data, batch_sizes, reverse)
    return unrolled_layer(input, [hx, c], w_ih, w_hh, b_ih, b_hh,
                          functools.partial(lstm_step, w_hr=w_hr), plan)


def gru_layer(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False, batch_sizes=None):
    """One GRU layer over a whole sequence (gate order r, z, n as PyTorch).

    Shape: input (T, B, I), hx (B, H) or None -> (output (T, B, H), h_n (B, H)).
    """
    sizes = _check("gru_layer", input, (hx,), w_ih, w_hh, b_ih, b_hh, 3, batch_sizes)
    return GRULayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, bool(reverse), sizes)


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step h' = tanh(W_ih x + b_ih + W_hh h + b_hh). Shape: input (B, I), hx (B, H)."""
    return rnn_layer(input.unsqueeze(0), hx, w_ih, w_hh, b_ih, b_hh, "tanh")[1]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step h' = relu(W_ih x + b_ih + W_hh h + b_hh). Shape: input (B, I), hx (B, H)."""
    return rnn_layer(input.unsqueeze(0), hx, w_ih, w_hh, b_ih, b_hh, "relu")[1]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step; ``hx`` is a pair (h, c) or None. Returns (h', c'), each (B, H)."""
    h, c = (None, None) if hx is None else hx
    _, h1, c1 = lstm_layer(input.unsqueeze(0), h, c, w_ih, w_hh, b_ih, b_hh)
    return h1, c1


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step h' = (1 - z) n + z h. Shape: input (B, I), hx (B, H) or None -> (B, H)."""
    return gru_layer(input.unsqueeze(0), hx, w_ih, w_hh, b_ih, b_hh)[1]
