"""The recurrent layers unrolled into Tensor operations: one step of one cell at a time.

This is the definition the fused Functions of ``rnn_kernels.py`` compute with raw arrays and
closed-form backpropagation through time. Written with Tensor operations, each step is recorded
in the graph, so autograd differentiates it to any order: the fused layers' differentiable
backward (``create_graph=True``) rebuilds the layer this way and differentiates it
(``glassnet.autograd.recompute``), and the LSTM with a projection, which has no fused kernel,
runs this way. A step maps the projected input xw_t = x_t W_ih^T + b_ih and the states to the
new states (sigma the logistic sigmoid):

    Elman:  h' = act(xw + h W_hh^T + b_hh)
    LSTM:   i, f, g, o = chunks of xw + h W_hh^T + b_hh;  c' = sigma(f) c + sigma(i) tanh(g);
            h' = sigma(o) tanh(c')   (times W_hr^T with a projection)
    GRU:    r, z = sigma(xw_rz + h W_hrz^T + b_hrz);  n = tanh(xw_n + r (h W_hn^T + b_hn));
            h' = (1 - z) n + z h
"""

from __future__ import annotations

from ...functions import cat, stack
from .adjoint import zeros


def unrolled_layer(x, states, w_ih, w_hh, b_ih, b_hh, step, plan):
    """One layer-direction over the sequence x (T, B, I): returns (outputs (T, B, H), *states).

    ``states`` are the initial states (B, size) (None: zeros of w_hh's input size), ``step`` one
    of the steps below, ``plan.forward`` the (t, n) pairs of the time steps in order: a packed
    batch advances only its first n rows at step t; the others keep their state and output 0.
    """
    T, B = x.shape[0], x.shape[1]
    states = [zeros((B, w_hh.shape[1]), x) if s is None else s for s in states]
    xw = x.matmul(w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    outs = [None] * T
    for t, n in plan.forward:
        if n < B:
            new = step(xw[t, :n], [s[:n] for s in states], w_hh, b_hh)
            outs[t] = cat([new[0], zeros((B - n, new[0].shape[1]), x)], 0)
            states = [cat([a, s[n:]], 0) for a, s in zip(new, states)]
        else:
            states = step(xw[t], states, w_hh, b_hh)
            outs[t] = states[0]
    return (stack(outs, 0), *states)


def _hidden(h, w_hh, b_hh):
    gh = h.matmul(w_hh.t())
    return gh if b_hh is None else gh + b_hh


def elman_step(relu):
    """The Elman step with tanh (``relu=False``) or ReLU."""
    def step(xw, states, w_hh, b_hh):
        a = xw + _hidden(states[0], w_hh, b_hh)
        return [a.relu() if relu else a.tanh()]
    return step


def lstm_step(xw, states, w_hh, b_hh, w_hr=None):
    """The LSTM step; with ``w_hr`` (P, H), the projected h' (Sak et al. 2014)."""
    h, c = states
    i, f, g, o = (xw + _hidden(h, w_hh, b_hh)).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    h = o.sigmoid() * c.tanh()
    return [h if w_hr is None else h.matmul(w_hr.t()), c]


def gru_step(xw, states, w_hh, b_hh):
    (h,) = states
    xr, xz, xn = xw.chunk(3, 1)
    hr, hz, hn = _hidden(h, w_hh, b_hh).chunk(3, 1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return [(1 - z) * n + z * h]
