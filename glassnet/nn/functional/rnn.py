"""Recurrent layers as fused Functions: one Function runs a whole sequence in one direction.

A recurrent network applies the same cell at every time step, feeding back its hidden state
(lectures, "Recurrent Neural Networks": the unfolded network is a deep feed-forward network whose
layers share weights). Unrolled op by op that is some ten tiny ops per step, each with its own
graph node; here each layer-direction is a single Function whose forward loops over time on raw
arrays and whose backward is backpropagation through time in closed form:

* the input projection x_t W_ih^T + b for *every* step is one (T*B, I) @ (I, G*H) product before
  the loop, and the weight gradients are one product each after it:
  dL/dW_ih = sum_t dA_t^T x_t = dA^T X and dL/dW_hh = sum_t dA_t^T h_{t-1} = dA^T H_prev;
* inside the loop only the recurrent product h_{t-1} W_hh^T and the gate arithmetic remain.

Cells (PyTorch's gate order and formulas), with sigma the logistic sigmoid:

    Elman RNN:  h' = tanh(W_ih x + b_ih + W_hh h + b_hh)          (or relu)
    LSTM:       i, f, g, o = sigma(.), sigma(.), tanh(.), sigma(.) of W_ih x + b_ih + W_hh h + b_hh
                c' = f * c + i * g,   h' = o * tanh(c')             (Hochreiter & Schmidhuber 1997)
    GRU:        r, z = sigma(W_ir x + b_ir + W_hr h + b_hr), sigma(W_iz x + b_iz + W_hz h + b_hz)
                n = tanh(W_in x + b_in + r * (W_hn h + b_hn)),   h' = (1 - z) * n + z * h

The sigmoid is evaluated as sigma(a) = (1 + tanh(a / 2)) / 2, with the halving folded into the
weights (scaling by 1/2 is exact in binary floating point), so every gate block, sigmoid or tanh,
is one ``tanh`` call per step.

Shape (all Functions, time-major): input (T, B, I); h0, c0 (B, H) or None (zeros);
w_ih (G*H, I), w_hh (G*H, H), b_ih, b_hh (G*H,) or None, with G = 1 (RNN), 3 (GRU), 4 (LSTM);
output (T, B, H) and the final state(s) (B, H). ``reverse=True`` runs t = T-1 ... 0 (the
backward half of a bidirectional layer) and writes output[t] at its own time index.
"""

from __future__ import annotations

from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor

__all__ = [
    "gru_cell",
    "gru_layer",
    "lstm_cell",
    "lstm_layer",
    "rnn_layer",
    "rnn_relu_cell",
    "rnn_tanh_cell",
]


# ----------------------------------------------------------------------------- helpers
def _steps(T, reverse):
    return range(T - 1, -1, -1) if reverse else range(T)


def _prev_states(first, seq, reverse):
    """(T, B, H) array whose entry t is the state *before* step t: first, seq[0], ... (forward)
    or seq[1], ..., seq[T-1], first (reverse)."""
    xp = array_module(seq)
    if reverse:
        return xp.concatenate([seq[1:], first[None]], axis=0)
    return xp.concatenate([first[None], seq[:-1]], axis=0)


def _project(x, w_ih, bias):
    """x_t W_ih^T + bias for all steps at once: (T, B, I) -> (T, B, G*H), one matmul."""
    T, B, I = x.shape
    gx = x.reshape(T * B, I) @ w_ih.T
    if bias is not None:
        gx += bias
    return gx.reshape(T, B, -1)


def _zeros_state(x, H):
    return array_module(x).zeros((x.shape[1], H), dtype=x.dtype)


def _bias_sum(b_ih, b_hh):
    if b_ih is None:
        return b_hh
    return b_ih if b_hh is None else b_ih + b_hh


def _input_grads(ctx, dA, x, w_ih, hprev, first, dfirst):
    """The gradients that do not depend on the time loop: x, weights and the two biases.

    ``dA`` (T, B, G*H) holds dL/d(pre-activation) for every step; ``first`` is the index of x in
    the Function's arguments (the weights follow as w_ih, w_hh, b_ih, b_hh).
    """
    T, B, I = x.shape
    need = ctx.needs_input_grad
    dA2 = dA.reshape(T * B, -1)
    dx = (dA2 @ w_ih).reshape(T, B, I) if need[0] else None
    dw_ih = dA2.T @ x.reshape(T * B, I) if need[first] else None
    dw_hh = dA2.T @ hprev.reshape(T * B, -1) if need[first + 1] else None
    db = dA2.sum(axis=0) if need[first + 2] or need[first + 3] else None
    db_ih = db if need[first + 2] else None
    db_hh = (db.copy() if db_ih is not None else db) if need[first + 3] else None
    return dx, dfirst, dw_ih, dw_hh, db_ih, db_hh


# ----------------------------------------------------------------------------- Elman RNN
class _RNNLayer(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse):
        xp = array_module(x)
        T, _B, _ = x.shape
        H = w_hh.shape[1]
        h = _zeros_state(x, H) if h0 is None else h0
        a = _project(x, w_ih, _bias_sum(b_ih, b_hh))  # becomes the outputs, in place
        whhT = xp.ascontiguousarray(w_hh.T)  # BLAS is faster on (H, H) than on a transposed view
        tanh = nonlinearity == "tanh"
        for k, t in enumerate(_steps(T, reverse)):
            at = a[t]
            if k or h0 is not None:  # a zero initial state adds nothing
                at += h @ whhT
            if tanh:
                xp.tanh(at, out=at)
            else:
                xp.maximum(at, 0, out=at)
            h = at
        ctx.save_for_backward(x, h0, w_ih, w_hh, a)
        ctx.tanh, ctx.reverse = tanh, reverse
        return a, h.copy()

    @staticmethod
    def backward(ctx, dout, dhn):
        x, h0, w_ih, w_hh, out = ctx.saved_tensors
        T = x.shape[0]
        # dL/da_t = dL/dh_t * act'(a_t), with act' read off the output: 1 - h^2 or [h > 0].
        D = 1 - out * out if ctx.tanh else (out > 0).astype(out.dtype)
        dA = dout * D  # dout's part of every step, in one pass; the loop adds the recurrence
        dh = None
        need_h0 = ctx.needs_input_grad[1]
        for k, t in enumerate(_steps(T, not ctx.reverse)):
            dAt = dA[t]
            if dh is None:
                dAt += dhn * D[t]
            else:
                dAt += dh * D[t]
            if k < T - 1 or need_h0:  # the last product is dL/dh0 only
                dh = dAt @ w_hh
        h0 = _zeros_state(x, w_hh.shape[1]) if h0 is None else h0
        hprev = _prev_states(h0, out, ctx.reverse)
        dh0 = dh if ctx.needs_input_grad[1] else None
        return _input_grads(ctx, dA, x, w_ih, hprev, 2, dh0) + (None, None)


# ----------------------------------------------------------------------------- LSTM
def _to_internal(a, H):
    """Gate blocks from PyTorch's order (i, f, g, o) to (o, i, f, g) along axis 0: the sigmoid
    gates o, i, f become one contiguous block, and so do i, f, g (the blocks dL/dc feeds)."""
    xp = array_module(a)
    return xp.concatenate([a[3 * H:], a[:3 * H]], axis=0)


def _from_internal(a, H):
    xp = array_module(a)
    return xp.concatenate([a[H:], a[:H]], axis=0)


class _LSTMLayer(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = array_module(x)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        h = _zeros_state(x, H) if h0 is None else h0
        c = _zeros_state(x, H) if c0 is None else c0
        # Halve the sigmoid blocks' weights and biases (exact), so that one tanh per step gives
        # tanh(a/2) for o, i, f and tanh(a) for g; then sigma(a) = tanh(a/2) / 2 + 1/2.
        wih, whh = _to_internal(w_ih, H), _to_internal(w_hh, H)
        wih[:3 * H] *= 0.5
        whh[:3 * H] *= 0.5
        bias = _bias_sum(b_ih, b_hh)
        if bias is not None:
            bias = _to_internal(bias, H)
            bias[:3 * H] *= 0.5
        gates = _project(x, wih, bias)
        whhT = xp.ascontiguousarray(whh.T)  # BLAS is faster on (H, 4H) than on a transposed view
        out = xp.empty((T, B, H), dtype=x.dtype)
        cs = xp.empty((T, B, H), dtype=x.dtype)
        tcs = xp.empty((T, B, H), dtype=x.dtype)
        ig = xp.empty((B, H), dtype=x.dtype)
        for k, t in enumerate(_steps(T, reverse)):
            G = gates[t]
            if k or h0 is not None:  # a zero initial state adds nothing
                G += h @ whhT
            xp.tanh(G, out=G)
            S = G[:, :3 * H]
            S *= 0.5
            S += 0.5
            o, i, f, g = G[:, :H], G[:, H:2 * H], G[:, 2 * H:3 * H], G[:, 3 * H:]
            c_new = cs[t]
            xp.multiply(f, c, out=c_new)
            xp.multiply(i, g, out=ig)
            c_new += ig
            xp.tanh(c_new, out=tcs[t])
            xp.multiply(o, tcs[t], out=out[t])
            h, c = out[t], c_new
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, gates, cs, tcs, out)
        ctx.reverse = reverse
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, dout, dhn, dcn):
        x, h0, c0, w_ih, w_hh, gates, cs, tcs, out = ctx.saved_tensors
        xp = array_module(x)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        # Everything that does not depend on the recurrence, for all steps in a few passes.
        # With s' = s (1 - s) and tanh' = 1 - tanh^2, the pre-activation gradients are
        #   dA_o = dh * tanh(c) o',   dA_i = dc * g i',   dA_f = dc * c_{t-1} f',   dA_g = dc * i g'
        # so K holds the factors after dh (block o) and after dc (blocks i, f, g), and
        # od = o tanh'(c) carries dL/dh into dL/dc.
        c0 = _zeros_state(x, H) if c0 is None else c0
        cprev = _prev_states(c0, cs, ctx.reverse)
        o, i, f, g = (gates[..., k * H:(k + 1) * H] for k in range(4))
        K = gates * (1 - gates)
        K[..., 3 * H:] = 1 - g * g
        K[..., :H] *= tcs
        K[..., H:2 * H] *= g
        K[..., 2 * H:3 * H] *= cprev
        K[..., 3 * H:] *= i
        od = o * (1 - tcs * tcs)
        whh = _to_internal(w_hh, H)
        dA = xp.empty_like(gates)
        dh = dhn.copy()
        dc = dcn.copy()
        tmp = xp.empty((B, H), dtype=x.dtype)
        need_h0 = ctx.needs_input_grad[1]
        for k, t in enumerate(_steps(T, not ctx.reverse)):
            dh += dout[t]
            xp.multiply(dh, od[t], out=tmp)
            dc += tmp                                                    # dL/dc_t
            dG, Kt = dA[t], K[t]
            xp.multiply(dh, Kt[:, :H], out=dG[:, :H])                    # block o
            xp.multiply(dc[:, None, :], Kt[:, H:].reshape(B, 3, H),      # blocks i, f, g
                        out=dG[:, H:].reshape(B, 3, H))
            dc *= f[t]                                                   # dL/dc_{t-1}
            if k < T - 1 or need_h0:
                dh = dG @ whh                                            # dL/dh_{t-1}
        h0 = _zeros_state(x, H) if h0 is None else h0
        hprev = _prev_states(h0, out, ctx.reverse)
        need = ctx.needs_input_grad
        T_B = T * B
        dA2 = dA.reshape(T_B, 4 * H)
        dx = (dA2 @ _to_internal(w_ih, H)).reshape(x.shape) if need[0] else None
        dw_ih = _from_internal(dA2.T @ x.reshape(T_B, -1), H) if need[3] else None
        dw_hh = _from_internal(dA2.T @ hprev.reshape(T_B, H), H) if need[4] else None
        db = _from_internal(dA2.sum(axis=0), H) if need[5] or need[6] else None
        db_hh = (db.copy() if need[5] else db) if need[6] else None
        return (dx, dh if need[1] else None, dc if need[2] else None, dw_ih, dw_hh,
                db if need[5] else None, db_hh, None)


# ----------------------------------------------------------------------------- GRU
class _GRULayer(Function):
    fresh_grads = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse):
        xp = array_module(x)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        h = _zeros_state(x, H) if h0 is None else h0
        # r and z see b_ih + b_hh; n sees b_in outside and b_hn inside the reset gate.
        bias = b_ih
        if b_hh is not None:
            bias = xp.zeros((3 * H,), dtype=x.dtype) if bias is None else bias.copy()
            bias[:2 * H] += b_hh[:2 * H]
        half = xp.full((3 * H,), 0.5, dtype=x.dtype)
        half[2 * H:] = 1
        gx = _project(x, w_ih, bias)
        gx[..., :2 * H] *= 0.5
        whhT = xp.ascontiguousarray((w_hh * half[:, None]).T)
        b_hn = None if b_hh is None else b_hh[2 * H:]
        ghn = xp.empty((T, B, H), dtype=x.dtype)  # W_hn h + b_hn per step (needed by backward)
        out = xp.empty((T, B, H), dtype=x.dtype)
        for k, t in enumerate(_steps(T, reverse)):
            gh = h @ whhT if k or h0 is not None else xp.zeros((B, 3 * H), dtype=x.dtype)
            rz = gx[t, :, :2 * H]
            rz += gh[:, :2 * H]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z = rz[:, :H], rz[:, H:]
            hn = ghn[t]
            if b_hn is None:
                hn[...] = gh[:, 2 * H:]
            else:
                xp.add(gh[:, 2 * H:], b_hn, out=hn)
            n = gx[t, :, 2 * H:]
            n += r * hn
            xp.tanh(n, out=n)
            ht = out[t]
            xp.subtract(h, n, out=ht)   # h' = n + z * (h - n)
            ht *= z
            ht += n
            h = ht
        ctx.save_for_backward(x, h0, w_ih, w_hh, gx, ghn, out)
        ctx.reverse = reverse
        return out, h.copy()

    @staticmethod
    def backward(ctx, dout, dhn):
        x, h0, w_ih, w_hh, gates, ghn, out = ctx.saved_tensors
        xp = array_module(x)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        h0 = _zeros_state(x, H) if h0 is None else h0
        hprev = _prev_states(h0, out, ctx.reverse)
        r, z, n = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:]
        # With dh = dL/dh': dn_pre = dh (1 - z)(1 - n^2); dr_pre = dn_pre (W_hn h + b_hn) r (1 - r);
        # dz_pre = dh (h - n) z (1 - z); dL/dh gets dh z plus the recurrent product.
        Kn = (1 - z) * (1 - n * n)
        Kr = ghn * r * (1 - r)
        Kz = (hprev - n) * z * (1 - z)
        dAh = xp.empty_like(gates)   # dL/d(W_hh h + b_hh) blocks r, z, n
        dn = xp.empty((T, B, H), dtype=x.dtype)
        dh = dhn.copy()
        need_h0 = ctx.needs_input_grad[1]
        for k, t in enumerate(_steps(T, not ctx.reverse)):
            dh += dout[t]
            dG, dnt = dAh[t], dn[t]
            xp.multiply(dh, Kn[t], out=dnt)
            xp.multiply(dnt, Kr[t], out=dG[:, :H])
            xp.multiply(dh, Kz[t], out=dG[:, H:2 * H])
            xp.multiply(dnt, r[t], out=dG[:, 2 * H:])
            if k < T - 1 or need_h0:
                dh *= z[t]
                dh += dG @ w_hh
        need = ctx.needs_input_grad
        dAx = dAh.copy() if (need[0] or need[2] or need[4]) else None
        if dAx is not None:
            dAx[..., 2 * H:] = dn
        dAh2 = dAh.reshape(T * B, 3 * H)
        dx = dw_ih = db_ih = None
        if dAx is not None:
            dAx2 = dAx.reshape(T * B, 3 * H)
            dx = (dAx2 @ w_ih).reshape(x.shape) if need[0] else None
            dw_ih = dAx2.T @ x.reshape(T * B, -1) if need[2] else None
            db_ih = dAx2.sum(axis=0) if need[4] else None
        dw_hh = dAh2.T @ hprev.reshape(T * B, H) if need[3] else None
        db_hh = dAh2.sum(axis=0) if need[5] else None
        return dx, (dh if need[1] else None), dw_ih, dw_hh, db_ih, db_hh, None


# ----------------------------------------------------------------------------- public functions
def _check(op, x, states, w_ih, w_hh, b_ih, b_hh, n_gates):
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


def rnn_layer(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh", reverse=False):
    """One Elman RNN layer over a whole sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh).

    Shape: input (T, B, I), hx (B, H) or None -> (output (T, B, H), h_n (B, H)).
    """
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_layer: unknown nonlinearity {nonlinearity!r} (expected 'tanh' or "
                         "'relu')")
    _check("rnn_layer", input, (hx,), w_ih, w_hh, b_ih, b_hh, 1)
    return _RNNLayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity, bool(reverse))


def lstm_layer(input, hx, cx, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One LSTM layer over a whole sequence (gate order i, f, g, o as PyTorch).

    Shape: input (T, B, I), hx and cx (B, H) or None -> (output (T, B, H), h_n, c_n (B, H)).
    """
    _check("lstm_layer", input, (hx, cx), w_ih, w_hh, b_ih, b_hh, 4)
    return _LSTMLayer.apply(input, hx, cx, w_ih, w_hh, b_ih, b_hh, bool(reverse))


def gru_layer(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, reverse=False):
    """One GRU layer over a whole sequence (gate order r, z, n as PyTorch).

    Shape: input (T, B, I), hx (B, H) or None -> (output (T, B, H), h_n (B, H)).
    """
    _check("gru_layer", input, (hx,), w_ih, w_hh, b_ih, b_hh, 3)
    return _GRULayer.apply(input, hx, w_ih, w_hh, b_ih, b_hh, bool(reverse))


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
