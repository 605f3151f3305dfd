"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with PyTorch's names.

A recurrent network reads a sequence x_1 ... x_T one element at a time and carries a hidden state
h_t = cell(x_t, h_{t-1}) from step to step, with the *same* weights at every step (lectures,
"Recurrent Neural Networks": unfolded in time it is a deep feed-forward net with shared weights).
The plain (Elman) cell's gradient through many steps is a product of many Jacobians and vanishes
or explodes; the LSTM (Hochreiter & Schmidhuber 1997, lecture 004's history) adds a cell state
c_t updated additively through gates, so gradients can survive long spans; the GRU (Cho et al.
2014) is a lighter gated cell. A *bidirectional* layer runs a second cell from the end of the
sequence back to its start and concatenates both hidden states, so every output sees the past
and the future context.

Parameters are named as PyTorch's (``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``,
``bias_hh_l0``, ``..._reverse`` for the backward direction), with the same shapes and gate
order, so a PyTorch ``state_dict`` loads unchanged. Every weight and bias starts as
U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as in PyTorch.
"""

from __future__ import annotations

import math
import numbers
import warnings

from ... import backend, functions
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..functional import rnn as R
from ..parameter import empty_param
from ..utils.rnn import PackedSequence, _positions
from .module import Module

__all__ = ["GRU", "LSTM", "RNN", "GRUCell", "LSTMCell", "RNNBase", "RNNCell", "RNNCellBase"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


class RNNBase(Module):
    """The stack of recurrent layers shared by RNN, LSTM and GRU (see those for the formulas).

    Layer k > 0 reads the outputs of layer k - 1 (both directions concatenated), with dropout
    between layers when ``dropout > 0`` and training. ``forward(input, hx=None)`` returns
    ``(output, h_n)`` (LSTM: ``(output, (h_n, c_n))``).

    Shape (D = 2 if bidirectional else 1, L = num_layers):
        - input: (T, N, H_in), or (N, T, H_in) with ``batch_first=True``, or unbatched (T, H_in),
          or a ``PackedSequence`` (``nn.utils.rnn.pack_padded_sequence``): each sequence then
          stops at its own length, the output is packed alike, and h_n is taken at each end
        - hx (and cx): (D * L, N, H_out), unbatched (D * L, H_out); zeros when omitted
        - output: (T, N, D * H_out) (batch first: (N, T, D * H_out); unbatched: (T, D * H_out))
        - h_n (and c_n): like hx
    """

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if not isinstance(dropout, numbers.Number) or isinstance(dropout, bool) \
                or not 0 <= dropout <= 1:
            raise ValueError("dropout should be a number in range [0, 1] representing the "
                             "probability of an element being zeroed")
        if dropout > 0 and num_layers == 1:
            warnings.warn("dropout option adds dropout after all but last recurrent layer, so "
                          "non-zero dropout expects num_layers greater than 1, but got "
                          f"dropout={dropout} and num_layers={num_layers}", stacklevel=3)
        for arg, v in (("hidden_size", hidden_size), ("num_layers", num_layers),
                       ("input_size", input_size)):
            if not isinstance(v, int) or isinstance(v, bool):
                raise TypeError(f"{arg} should be of type int, got: {type(v).__name__}")
        if hidden_size <= 0:
            raise ValueError("hidden_size must be greater than zero")
        if num_layers <= 0:
            raise ValueError("num_layers must be greater than zero")
        if proj_size < 0:
            raise ValueError("proj_size should be a positive integer or zero to disable projections")
        if proj_size >= hidden_size:
            raise ValueError("proj_size has to be smaller than hidden_size")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size argument is only supported for LSTM, not RNN or GRU")
        if mode not in _GATES:
            raise ValueError(f"{name}: unrecognized RNN mode {mode!r}")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bool(bias), bool(batch_first)
        self.dropout, self.bidirectional = float(dropout), bool(bidirectional)
        self.proj_size = int(proj_size)
        D = 2 if bidirectional else 1
        gate_size = _GATES[mode] * hidden_size
        h_out = proj_size or hidden_size  # the hidden state's size (P with a projection)
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(num_layers):
            for direction in range(D):
                layer_in = input_size if layer == 0 else h_out * D
                sfx = f"_l{layer}" + ("_reverse" if direction == 1 else "")
                shapes = [("weight_ih", (gate_size, layer_in)), ("weight_hh", (gate_size, h_out))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if proj_size:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                names = []
                for base, shape in shapes:
                    setattr(self, base + sfx, empty_param(shape, device, dtype))
                    names.append(base + sfx)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        return [[getattr(self, n) for n in names] for names in self._all_weights]

    def flatten_parameters(self):
        """No-op (PyTorch compacts weights for cuDNN here)."""

    # ------------------------------------------------------------------ checks
    def _check_input(self, input):
        name = type(self).__name__
        if input.ndim not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.ndim}D instead")
        w = self.weight_ih_l0
        if input.dtype != w.dtype:
            raise ValueError(f"input must have the type {w.dtype}, got type {input.dtype}")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")

    def _check_state(self, state, batch, what):
        D = 2 if self.bidirectional else 1
        size = self.proj_size if self.proj_size and what != "hidden[1]" else self.hidden_size
        expected = (self.num_layers * D, batch, size)
        if tuple(state.shape) != expected:
            raise RuntimeError(f"Expected {what} size {expected}, got {list(state.shape)}")
        if state.dtype != self.weight_ih_l0.dtype:
            raise RuntimeError(f"{type(self).__name__}: {what} dtype {state.dtype} must match the "
                               f"parameters' dtype {self.weight_ih_l0.dtype}")

    def _states(self, hx, batched, batch):
        """The initial state(s) as a tuple of (D * L, N, H) tensors (or None), batched."""
        lstm = self.mode == "LSTM"
        if hx is None:
            return (None, None) if lstm else (None,)
        states = tuple(hx) if lstm else (hx,)
        if lstm and len(states) != 2:
            raise ValueError("LSTM: hx must be a tuple (h_0, c_0)")
        want = 3 if batched else 2
        for s in states:
            if s.ndim != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                   f"{s.ndim}-D tensor")
        if not batched:
            states = tuple(s.unsqueeze(1) for s in states)
        names = ("hidden[0]", "hidden[1]") if lstm else ("hidden",)
        for s, what in zip(states, names):
            self._check_state(s, batch, what)
        return states

    # ------------------------------------------------------------------ forward
    def _run(self, x, states, layer, direction, reverse, sizes):
        """One layer-direction over the whole (T, N, H_in) sequence."""
        idx = layer * (2 if self.bidirectional else 1) + direction
        w = [getattr(self, n) for n in self._all_weights[idx]]
        if not self.bias:
            w[2:2] = [None, None]
        init_states = [None if s is None else s[idx] for s in states]
        if self.proj_size:
            out, h, c = R.lstm_proj_layer(x, init_states[0], init_states[1], *w, reverse=reverse,
                                          batch_sizes=sizes)
            return out, (h, c)
        if self.mode == "LSTM":
            out, h, c = R.lstm_layer(x, init_states[0], init_states[1], *w, reverse=reverse,
                                     batch_sizes=sizes)
            return out, (h, c)
        if self.mode == "GRU":
            out, h = R.gru_layer(x, init_states[0], *w, reverse=reverse, batch_sizes=sizes)
        else:
            act = "tanh" if self.mode == "RNN_TANH" else "relu"
            out, h = R.rnn_layer(x, init_states[0], *w, nonlinearity=act, reverse=reverse,
                                 batch_sizes=sizes)
        return out, (h,)

    def forward(self, input, hx=None):
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        self._check_input(input)
        batched = input.ndim == 3
        x = input if batched else input.unsqueeze(1)
        if batched and self.batch_first:
            x = x.transpose(0, 1)
        output, h_n = self._layers(x, self._states(hx, batched, x.shape[1]), None)
        if batched and self.batch_first:
            output = output.transpose(0, 1)
        if not batched:
            output = output.squeeze(1)
            h_n = [h.squeeze(1) for h in h_n]
        return output, (tuple(h_n) if self.mode == "LSTM" else h_n[0])

    def _forward_packed(self, packed, hx):
        """A PackedSequence: run the padded (T, B, F) batch with each sequence stopping at its
        end; the output is packed the same way, the final states in the caller's batch order."""
        data, batch_sizes, sorted_idx, unsorted_idx = packed
        self._check_input(data.unsqueeze(0))
        sizes = [int(b) for b in backend.to_numpy(batch_sizes._data).tolist()]
        T, B = len(sizes), sizes[0]
        pos = Tensor._make(_positions(sizes, B), False)
        zeros = functions.zeros(T * B, data.shape[-1], dtype=data.dtype, device=data.device)
        x = zeros.index_add(0, pos, data).reshape(T, B, data.shape[-1])
        if hx is not None and sorted_idx is not None:  # the caller's order -> sorted by length
            hx = tuple(h.index_select(1, sorted_idx) for h in hx) if self.mode == "LSTM" \
                else hx.index_select(1, sorted_idx)
        output, h_n = self._layers(x, self._states(hx, True, B), sizes)
        out = output.reshape(T * B, output.shape[-1])[pos]
        if unsorted_idx is not None:
            h_n = [h.index_select(1, unsorted_idx) for h in h_n]
        return (PackedSequence(out, batch_sizes, sorted_idx, unsorted_idx),
                tuple(h_n) if self.mode == "LSTM" else h_n[0])

    def _layers(self, x, states, sizes):
        """The layer stack on a time-major (T, N, F) batch: (output, [h_n] or [h_n, c_n])."""
        finals = [[] for _ in states]
        D = 2 if self.bidirectional else 1
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                out, fin = self._run(x, states, layer, direction, direction == 1, sizes)
                outs.append(out)
                for lst, f in zip(finals, fin):
                    lst.append(f)
            x = outs[0] if D == 1 else functions.cat(outs, 2)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, [functions.stack(lst, 0) for lst in finals]

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh) (or relu).

    ``RNN(input_size, hidden_size, num_layers=1, nonlinearity='tanh', bias=True,
    batch_first=False, dropout=0.0, bidirectional=False)``. Returns ``(output, h_n)``; shapes
    as in ``RNNBase``. Parameters ``weight_ih_l{k}`` (H, H_in), ``weight_hh_l{k}`` (H, H),
    ``bias_ih_l{k}``, ``bias_hh_l{k}`` (H,).
    """

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        if nonlinearity == "tanh":
            mode = "RNN_TANH"
        elif nonlinearity == "relu":
            mode = "RNN_RELU"
        else:
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             "'relu'.")
        super().__init__(mode, input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)
        self.nonlinearity = nonlinearity


class LSTM(RNNBase):
    """Long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch's formulation:

        i = sigma(W_ii x + b_ii + W_hi h + b_hi)      input gate
        f = sigma(W_if x + b_if + W_hf h + b_hf)      forget gate
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       candidate
        o = sigma(W_io x + b_io + W_ho h + b_ho)      output gate
        c' = f * c + i * g,    h' = o * tanh(c')

    The cell state c changes additively (f * c + i * g), so dL/dc flows back through time scaled
    only by the forget gates: the path that lets LSTMs learn long-range dependencies.

    ``LSTM(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; ``forward(input, (h_0, c_0)=None)`` returns
    ``(output, (h_n, c_n))``. ``weight_ih_l{k}`` is (4H, H_in), the blocks in order i, f, g, o.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, proj_size, device, dtype)


class GRU(RNNBase):
    """Gated recurrent unit (Cho et al. 2014), PyTorch's formulation:

        r = sigma(W_ir x + b_ir + W_hr h + b_hr),   z = sigma(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

    ``GRU(input_size, hidden_size, num_layers=1, bias=True, batch_first=False, dropout=0.0,
    bidirectional=False)``; returns ``(output, h_n)``. ``weight_ih_l{k}`` is (3H, H_in), blocks
    r, z, n.
    """

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first, dropout,
                         bidirectional, 0, device, dtype)


# ----------------------------------------------------------------------------- cells
class RNNCellBase(Module):
    """One step of a recurrent cell: parameters ``weight_ih`` (G*H, H_in), ``weight_hh``
    (G*H, H), ``bias_ih``, ``bias_hh`` (G*H,), all U(-1/sqrt(H), 1/sqrt(H)).

    Shape: input (N, H_in) or unbatched (H_in,); hx (N, H) or (H,), zeros when omitted.
    """

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        self.weight_ih = empty_param((num_chunks * hidden_size, input_size), device, dtype)
        self.weight_hh = empty_param((num_chunks * hidden_size, hidden_size), device, dtype)
        if bias:
            self.bias_ih = empty_param((num_chunks * hidden_size,), device, dtype)
            self.bias_hh = empty_param((num_chunks * hidden_size,), device, dtype)
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def _prepare(self, input, hx):
        """(batched input, batched states or None, was_batched), with PyTorch's checks."""
        name = type(self).__name__
        if input.ndim not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.ndim}D instead")
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[-1]} "
                               f"expected {self.input_size}")
        batched = input.ndim == 2
        x = input if batched else input.unsqueeze(0)
        if hx is None:
            return x, None, batched
        states = tuple(hx) if isinstance(hx, (tuple, list)) else (hx,)
        out = []
        for s in states:
            if s.ndim != input.ndim:
                raise ValueError(f"{name}: Expected hidden to be {input.ndim}D for "
                                 f"{input.ndim}D input, got {s.ndim}D instead")
            s = s if batched else s.unsqueeze(0)
            if tuple(s.shape) != (x.shape[0], self.hidden_size):
                raise RuntimeError(f"hidden{'[0]' if len(states) > 1 else ''} has inconsistent "
                                   f"hidden_size: got {s.shape[-1]}, expected {self.hidden_size}"
                                   if s.shape[-1] != self.hidden_size else
                                   f"Input batch size {x.shape[0]} doesn't match hidden batch "
                                   f"size {s.shape[0]}")
            out.append(s)
        return x, tuple(out), batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        nl = getattr(self, "nonlinearity", "tanh")
        if nl != "tanh":
            s += f", nonlinearity={nl}"
        return s


class RNNCell(RNNCellBase):
    """h' = tanh(x W_ih^T + b_ih + h W_hh^T + b_hh) (or relu), one step of ``RNN``."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity: {nonlinearity}")
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, st, batched = self._prepare(input, hx)
        cell = R.rnn_tanh_cell if self.nonlinearity == "tanh" else R.rnn_relu_cell
        h = cell(x, None if st is None else st[0], *self._weights())
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One step of ``LSTM``: ``forward(input, (h, c)=None)`` returns ``(h', c')``."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, st, batched = self._prepare(input, hx)
        if st is not None and len(st) != 2:
            raise ValueError("LSTMCell: hx must be a tuple (h, c)")
        h, c = R.lstm_cell(x, st, *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One step of ``GRU``: h' = (1 - z) * n + z * h."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, st, batched = self._prepare(input, hx)
        h = R.gru_cell(x, None if st is None else st[0], *self._weights())
        return h if batched else h.squeeze(0)
