"""RNN, LSTM, GRU and their cells against PyTorch, plus float64 finite-difference checks.

Parity copies a PyTorch module's state_dict into the glassnet module through NumPy, runs both on
the same input and initial state, backpropagates the same random upstream gradient through every
output (sequence output and final states) and compares outputs, final states and all gradients:
input, initial states and every weight and bias.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import TOL, assert_close, gradcheck, torch_dtype

import glassnet as gn
from glassnet import nn
from glassnet.nn.functional import rnn as R

MODES = [("RNN", {}), ("RNN", {"nonlinearity": "relu"}), ("LSTM", {}), ("GRU", {})]


def _build(mode, kw, dtype, *args, **more):
    t = getattr(tnn, mode)(*args, **kw, **more).to(torch_dtype(dtype))
    g = getattr(nn, mode)(*args, **kw, **more).to(dtype)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    return g, t


def _pairs(rng, arrays, dtype):
    g = [gn.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    t = [torch.tensor(np.asarray(a, dtype=dtype), requires_grad=True) for a in arrays]
    return g, t


def _flat(out):
    """(output, h) or (output, (h, c)) or (h, c) or h -> list of tensors."""
    if isinstance(out, (tuple, list)):
        return [y for o in out for y in _flat(o)]
    return [out]


def run_parity(gmod, tmod, inputs, call, dtype, rng):
    """``call(module, *inputs)``; compare every output, then every input and parameter grad."""
    rtol, atol = TOL[np.dtype(dtype)]
    gi, ti = _pairs(rng, inputs, dtype)
    go, to = _flat(call(gmod, *gi)), _flat(call(tmod, *ti))
    assert len(go) == len(to)
    for k, (a, b) in enumerate(zip(go, to)):
        assert tuple(a.shape) == tuple(b.shape), f"output {k}: {a.shape} vs {tuple(b.shape)}"
        assert a.dtype == np.dtype(dtype)
        assert_close(a, b, rtol, atol, f"output {k}")
    ups = [rng.standard_normal(tuple(b.shape)) for b in to]
    torch.autograd.backward(to, [torch.tensor(u, dtype=b.dtype) for u, b in zip(ups, to)])
    gn.autograd.backward(go, [gn.tensor(u, dtype=dtype) for u in ups])
    for k, (a, b) in enumerate(zip(gi, ti)):
        assert_close(a.grad, b.grad, rtol, atol, f"gradient of input {k}")
    tparams = dict(tmod.named_parameters())
    names = [n for n, _ in gmod.named_parameters()]
    assert names == list(tparams)
    for name, p in gmod.named_parameters():
        assert p.grad.dtype == np.dtype(dtype)
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"gradient of {name}")


GRID = [  # (num_layers, bidirectional, batch_first, unbatched, with_state, bias, dtype)
    (1, False, False, False, True, True, np.float64),
    (2, True, False, False, True, True, np.float64),
    (2, False, True, False, False, True, np.float32),
    (1, True, True, False, True, False, np.float32),
    (2, True, False, True, True, True, np.float32),
    (1, False, False, True, False, True, np.float64),
    (2, True, True, False, True, False, np.float64),
]


@pytest.mark.parametrize("mode,kw", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("layers,bi,bf,unbatched,with_state,bias,dtype", GRID)
def test_recurrent_layer_parity(mode, kw, layers, bi, bf, unbatched, with_state, bias, dtype, rng):
    T, N, I, H = 5, 3, 4, 6
    g, t = _build(mode, kw, dtype, I, H, num_layers=layers, bidirectional=bi, batch_first=bf,
                  bias=bias)
    D = 2 if bi else 1
    x = rng.standard_normal((T, I) if unbatched else ((N, T, I) if bf else (T, N, I)))
    hshape = (D * layers, H) if unbatched else (D * layers, N, H)
    n_states = 2 if mode == "LSTM" else 1
    states = [rng.standard_normal(hshape) for _ in range(n_states)] if with_state else []

    def call(m, x, *s):
        if not s:
            return m(x)
        return m(x, tuple(s) if mode == "LSTM" else s[0])

    run_parity(g, t, [x, *states], call, dtype, rng)


@pytest.mark.parametrize("mode,kw", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_gradient_through_final_state_only(mode, kw, rng):
    """A classifier reads only h_n: the output's gradient is zero, the recurrence carries all."""
    g, t = _build(mode, kw, np.float64, 3, 4, num_layers=2, bidirectional=True)
    x = rng.standard_normal((6, 2, 3))
    gi, ti = _pairs(rng, [x], np.float64)

    def h_n(m, x):
        _, h = m(x)
        return h[0] if mode == "LSTM" else h

    (h_n(g, gi[0]) ** 2).sum().backward()
    (h_n(t, ti[0]) ** 2).sum().backward()
    assert_close(gi[0].grad, ti[0].grad, 1e-7, 1e-7, "input gradient")
    tp = dict(t.named_parameters())
    for name, p in g.named_parameters():
        assert_close(p.grad, tp[name].grad, 1e-7, 1e-7, name)


CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
         ("GRUCell", {})]


@pytest.mark.parametrize("mode,kw", CELLS, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("unbatched,with_state,bias,dtype", [
    (False, True, True, np.float32), (False, False, True, np.float64),
    (True, True, False, np.float64), (True, False, True, np.float32)])
def test_cell_parity(mode, kw, unbatched, with_state, bias, dtype, rng):
    N, I, H = 4, 3, 5
    g, t = _build(mode, kw, dtype, I, H, bias=bias)
    x = rng.standard_normal((I,) if unbatched else (N, I))
    hshape = (H,) if unbatched else (N, H)
    states = [rng.standard_normal(hshape) for _ in range(2 if mode == "LSTMCell" else 1)]

    def call(m, x, *s):
        if not with_state:
            return m(x)
        return m(x, tuple(s) if mode == "LSTMCell" else s[0])

    run_parity(g, t, [x, *(states if with_state else [])], call, dtype, rng)


def test_cell_unrolled_equals_layer(rng):
    """An LSTMCell applied step by step is the one-layer LSTM with the same weights."""
    layer, cell = nn.LSTM(3, 4).double(), nn.LSTMCell(3, 4).double()
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = gn.tensor(rng.standard_normal((5, 2, 3)))
    out, (_h, c) = layer(x)
    hc = None
    for t in range(5):
        hc = cell(x[t], hc)
        assert_close(hc[0], out[t], 1e-12, 1e-12)
    assert_close(hc[1], c[0], 1e-12, 1e-12)


def test_small_lstm_module_gradcheck(rng):
    lstm = nn.LSTM(2, 3, num_layers=2, bidirectional=True).double()
    params = [p.detach().numpy().copy() for p in lstm.parameters()]
    names = [n for n, _ in lstm.named_parameters()]

    def fn(x, *ps):
        for n, p in zip(names, ps):  # the module reads the tensors the check perturbs
            lstm._parameters[n] = p
        out, (h, c) = lstm(x)
        return out, h, c

    gradcheck(fn, [rng.standard_normal((4, 2, 2)), *params])


@pytest.mark.parametrize("mode,kw", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
def test_parameters_names_shapes_init_and_repr(mode, kw):
    args = {"num_layers": 2, "bidirectional": True, "batch_first": True, "dropout": 0.25}
    g, t = getattr(nn, mode)(5, 8, **kw, **args), getattr(tnn, mode)(5, 8, **kw, **args)
    tsd = t.state_dict()
    assert [(k, tuple(v.shape)) for k, v in g.state_dict().items()] == \
        [(k, tuple(v.shape)) for k, v in tsd.items()]
    bound = 1 / np.sqrt(8)
    for p in g.parameters():
        assert p.dtype == np.float32 and np.abs(p._data).max() <= bound
    assert np.std(g.weight_hh_l1_reverse._data) > 0.5 * bound  # not all zeros
    assert repr(g) == repr(t)
    assert [[p.shape for p in ws] for ws in g.all_weights] == \
        [[tuple(p.shape) for p in ws] for ws in t.all_weights]
    assert g._flat_weights_names == t._flat_weights_names


def test_cell_repr_and_params():
    for mode, kw in CELLS:
        g, t = getattr(nn, mode)(3, 4, **kw), getattr(tnn, mode)(3, 4, **kw)
        assert repr(g) == repr(t)
        assert list(g.state_dict()) == list(t.state_dict())
    assert list(nn.GRUCell(3, 4, bias=False).state_dict()) == ["weight_ih", "weight_hh"]


def test_dropout_between_layers(rng):
    g = nn.LSTM(3, 4, num_layers=2, dropout=0.5)
    x = gn.tensor(rng.standard_normal((5, 2, 3)).astype(np.float32))
    g.eval()
    a, b = g(x)[0], g(x)[0]
    assert_close(a, b, 0, 0)
    g.train()
    c = g(x)[0]
    assert not np.allclose(a._data, c._data)
    with pytest.warns(UserWarning, match="non-zero dropout expects num_layers greater than 1"):
        nn.GRU(3, 4, dropout=0.3)


def test_no_grad_forward_and_float32_throughout(rng):
    g = nn.GRU(3, 4, batch_first=True)
    x = gn.tensor(rng.standard_normal((2, 5, 3)).astype(np.float32))
    with gn.no_grad():
        out, h = g(x)
    assert not out.requires_grad and out.dtype == np.float32 and h.dtype == np.float32
    assert out.shape == (2, 5, 4) and h.shape == (1, 2, 4)
    assert_close(out[:, -1], h[0], 0, 0)


def test_errors_name_what_was_expected():
    lstm = nn.LSTM(4, 6, num_layers=2)
    with pytest.raises(RuntimeError, match="input.size\\(-1\\) must be equal to input_size. "
                                           "Expected 4, got 3"):
        lstm(gn.randn(5, 2, 3))
    with pytest.raises(ValueError, match="Expected input to be 2D or 3D, got 4D"):
        lstm(gn.randn(5, 2, 3, 4))
    with pytest.raises(RuntimeError, match=r"Expected hidden\[0\] size \(2, 2, 6\), got \[1, 2, 6\]"):
        lstm(gn.randn(5, 2, 4), (gn.zeros(1, 2, 6), gn.zeros(2, 2, 6)))
    with pytest.raises(RuntimeError, match="hx should also be 3-D"):
        nn.GRU(4, 6)(gn.randn(5, 2, 4), gn.zeros(1, 6))
    with pytest.raises(ValueError, match="input must have the type float32, got type float64"):
        lstm(gn.randn(5, 2, 4, dtype=gn.float64))
    with pytest.raises(ValueError, match="Unknown nonlinearity 'sigmoid'"):
        nn.RNN(3, 4, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match="hidden_size must be greater than zero"):
        nn.LSTM(3, 0)
    with pytest.raises(ValueError, match="dropout should be a number in range"):
        nn.LSTM(3, 4, dropout=1.5)
    with pytest.raises(RuntimeError, match="inconsistent input_size: got 2 expected 3"):
        nn.LSTMCell(3, 4)(gn.randn(5, 2))
    with pytest.raises(RuntimeError, match="sequence length larger than 0"):
        R.gru_layer(gn.randn(0, 2, 3), None, gn.randn(12, 3), gn.randn(12, 4))


def test_torch_state_dict_loads_and_matches_outputs(rng):
    """The training loop of a user script: a torch checkpoint runs unchanged in glassnet."""
    t = tnn.LSTM(3, 5, num_layers=2, batch_first=True)
    g = nn.LSTM(3, 5, num_layers=2, batch_first=True)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = rng.standard_normal((4, 7, 3)).astype(np.float32)
    for (go, (gh, gc)), (to, (th, tc)) in [(g(gn.tensor(x)), t(torch.tensor(x)))]:
        for a, b in ((go, to), (gh, th), (gc, tc)):
            assert_close(a, b, 1e-5, 1e-6)


@pytest.mark.parametrize("T,N", list(itertools.product([1, 3], [1, 2])))
def test_short_sequences_and_single_sample(T, N, rng):
    g, t = _build("LSTM", {}, np.float64, 2, 3, bidirectional=True)
    run_parity(g, t, [rng.standard_normal((T, N, 2))], lambda m, x: m(x), np.float64, rng)


@pytest.mark.parametrize("mode,kw", MODES, ids=["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("bi,enforce_sorted,batch_first", [(False, True, False),
                                                           (True, False, True)])
def test_packed_sequence_parity(mode, kw, bi, enforce_sorted, batch_first, rng):
    """Each sequence stops at its own length: outputs, final states and all gradients."""
    from torch.nn.utils import rnn as trnn

    from glassnet.nn.utils import rnn as grnn

    T, B, I, H = 5, 4, 3, 4
    g, t = _build(mode, kw, np.float64, I, H, num_layers=2, bidirectional=bi,
                  batch_first=batch_first)
    lengths = [5, 4, 2, 1] if enforce_sorted else [2, 5, 1, 4]
    D = 2 if bi else 1
    x = rng.standard_normal((B, T, I) if batch_first else (T, B, I))
    states = [rng.standard_normal((2 * D, B, H)) for _ in range(2 if mode == "LSTM" else 1)]

    def call(lib, m, x, *s):
        packed = lib.pack_padded_sequence(x, lengths, batch_first=batch_first,
                                          enforce_sorted=enforce_sorted)
        out, h = m(packed, tuple(s) if mode == "LSTM" else s[0])
        padded, lens = lib.pad_packed_sequence(out, batch_first=batch_first)
        assert lens.tolist() == lengths
        assert out.batch_sizes.tolist() == [4, 3, 2, 2, 1]
        return padded, h

    run_parity(g, t, [x, *states], lambda m, *a: call(grnn if m is g else trnn, m, *a),
               np.float64, rng)


@pytest.mark.parametrize("layers,bi,bf,unbatched,with_state,bias,dtype", GRID[:5])
def test_lstm_projection_parity(layers, bi, bf, unbatched, with_state, bias, dtype, rng):
    """proj_size: h' = W_hr (o * tanh(c')); h has P features, c keeps H."""
    T, N, I, H, P = 4, 3, 4, 5, 2
    g, t = _build("LSTM", {}, dtype, I, H, num_layers=layers, bidirectional=bi, batch_first=bf,
                  bias=bias, proj_size=P)
    assert repr(g) == repr(t)
    D = 2 if bi else 1
    x = rng.standard_normal((T, I) if unbatched else ((N, T, I) if bf else (T, N, I)))
    lead = (D * layers,) if unbatched else (D * layers, N)
    states = [rng.standard_normal(lead + (P,)), rng.standard_normal(lead + (H,))] \
        if with_state else []
    run_parity(g, t, [x, *states], lambda m, x, *s: m(x, tuple(s)) if s else m(x), dtype, rng)


def test_lstm_projection_packed_and_errors(rng):
    from torch.nn.utils import rnn as trnn

    from glassnet.nn.utils import rnn as grnn

    g, t = _build("LSTM", {}, np.float64, 3, 4, bidirectional=True, proj_size=2)
    lengths = [2, 5, 1, 4]

    def call(lib, m, x):
        out, h = m(lib.pack_padded_sequence(x, lengths, enforce_sorted=False))
        return lib.pad_packed_sequence(out)[0], h

    run_parity(g, t, [rng.standard_normal((5, 4, 3))],
               lambda m, x: call(grnn if m is g else trnn, m, x), np.float64, rng)
    with pytest.raises(ValueError, match="proj_size has to be smaller than hidden_size"):
        nn.LSTM(3, 4, proj_size=4)
    with pytest.raises((ValueError, TypeError)):
        nn.GRU(3, 4, proj_size=2)
