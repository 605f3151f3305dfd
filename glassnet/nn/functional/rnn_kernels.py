"""The recurrent Functions: one layer in one direction over a whole sequence, forward and BPTT.

Each Function's forward loops over time on raw arrays; its backward is backpropagation through
time in closed form. Work that does not depend on the recurrence is done for all steps at once:
the input projection x_t W_ih^T + b is one (T*B, I) @ (I, G*H) product before the loop, the
activation derivatives are a few whole-array passes before the backward loop, and the weight
gradients are one product each after it:

    dL/dW_ih = sum_t dA_t^T x_t = dA^T X,      dL/dW_hh = sum_t dA_t^T h_{t-1} = dA^T H_prev

with dA_t = dL/d(pre-activation at step t). Only h_{t-1} W_hh^T and the gate arithmetic remain
inside the loops. Sigmoid gates are evaluated as sigma(a) = (1 + tanh(a / 2)) / 2 with the
halving folded into the weights (scaling by 1/2 is exact in binary floating point), so every gate
block is one ``tanh`` call per step.

A *packed* batch (``batch_sizes`` given, sequences sorted by decreasing length) runs only the
first batch_sizes[t] rows at step t: the finished (or, backwards, not yet started) sequences keep
their state, their outputs stay 0, and no gradient reaches their padding.
"""

from __future__ import annotations

import numpy as np

from ...autograd import Function
from ...backend import array_module
from .rnn_unrolled import elman_step, gru_step, lstm_step, unrolled_layer


# ----------------------------------------------------------------------------- helpers
class _Plan:
    """The steps of one direction and how many rows (sequences) run at each."""

    def __init__(self, x, batch_sizes, reverse):
        self.T, self.B = x.shape[0], x.shape[1]
        self.reverse = reverse
        sizes = None if batch_sizes is None else [int(s) for s in batch_sizes]
        self.packed = sizes is not None and min(sizes) < self.B
        self.sizes = sizes if self.packed else None
        order = range(self.T - 1, -1, -1) if reverse else range(self.T)
        self.forward = [(t, self.rows(t)) for t in order]
        self.backward = self.forward[::-1]

    def rows(self, t):
        return self.B if self.sizes is None else self.sizes[t]

    def inactive(self, xp):
        """(T, B) bool: the padding positions of a packed batch."""
        return xp.arange(self.B)[None, :] >= xp.asarray(self.sizes)[:, None]

    def alloc(self, xp, shape, dtype):
        """Zeros for a packed batch (its padding must read 0), uninitialised otherwise."""
        return (xp.zeros if self.packed else xp.empty)(shape, dtype=dtype)

    def prev(self, first, seq):
        """(T, B, H): the state each row holds *before* step t (first = the initial state)."""
        xp = array_module(seq)
        if not self.reverse:  # rows running at t also ran at t - 1 (lengths decrease)
            return xp.concatenate([first[None], seq[:-1]], axis=0)
        prev = xp.concatenate([seq[1:], first[None]], axis=0)
        if self.packed:  # a sequence of length L starts its reverse pass at t = L - 1
            starts = xp.arange(self.B)[None, :] >= xp.asarray(self.sizes[1:])[:, None]
            prev[:-1] = xp.where(starts[..., None], first[None], prev[:-1])
        return prev


def _state(x, s, H, packed):
    """The initial state as a buffer: zeros, the given array, or (packed) a private copy."""
    if s is None:
        return array_module(x).zeros((x.shape[1], H), dtype=x.dtype)
    return s.copy() if packed else s


def _project(x, w_ih, bias):
    """x_t W_ih^T + bias for all steps at once: (T, B, I) -> (T, B, G*H), one matmul."""
    T, B, I = x.shape
    gx = x.reshape(T * B, I) @ w_ih.T
    if bias is not None:
        gx += bias
    return gx.reshape(T, B, -1)


def _bias_sum(b_ih, b_hh):
    if b_ih is None:
        return b_hh
    return b_ih if b_hh is None else b_ih + b_hh


def _weight_grads(need, dA, x, w_ih, hprev, first):
    """dL/dx and the weight and bias gradients from dA (T, B, G*H), in closed form.
    ``first`` is the position of w_ih among the Function's arguments."""
    T, B, I = x.shape
    dA2 = dA.reshape(T * B, -1)
    dx = (dA2 @ w_ih).reshape(T, B, I) if need[0] else None
    dw_ih = dA2.T @ x.reshape(T * B, I) if need[first] else None
    dw_hh = dA2.T @ hprev.reshape(T * B, -1) if need[first + 1] else None
    db = dA2.sum(axis=0) if need[first + 2] or need[first + 3] else None
    db_ih = db if need[first + 2] else None
    db_hh = (db.copy() if db_ih is not None else db) if need[first + 3] else None
    return dx, dw_ih, dw_hh, db_ih, db_hh


# ----------------------------------------------------------------------------- Elman RNN
class RNNLayer(Function):
    """h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh), act = tanh or relu."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse, batch_sizes):
        xp = array_module(x)
        H = w_hh.shape[1]
        plan = _Plan(x, batch_sizes, reverse)
        h = _state(x, h0, H, plan.packed)
        a = _project(x, w_ih, _bias_sum(b_ih, b_hh))  # becomes the outputs, in place
        whhT = xp.ascontiguousarray(w_hh.T)  # BLAS is faster on (H, H) than on a transposed view
        tanh = nonlinearity == "tanh"
        for k, (t, n) in enumerate(plan.forward):
            at = a[t, :n]
            if k or h0 is not None:  # a zero initial state adds nothing
                at += h[:n] @ whhT
            if tanh:
                xp.tanh(at, out=at)
            else:
                xp.maximum(at, 0, out=at)
            if plan.packed:
                h[:n] = at
            else:
                h = at
        if plan.packed:
            a[plan.inactive(xp)] = 0
        ctx.save_for_backward(x, h0, w_ih, w_hh, a)
        ctx.tanh, ctx.plan = tanh, plan
        ctx.biases = (b_ih, b_hh)  # for create_graph, which rebuilds the layer
        return a, h.copy()

    @staticmethod
    def backward(ctx, dout, dhn):
        x, h0, w_ih, w_hh, out = ctx.saved_tensors
        xp, plan = array_module(x), ctx.plan
        # dL/da_t = dL/dh_t * act'(a_t), with act' read off the output: 1 - h^2 or [h > 0].
        D = 1 - out * out if ctx.tanh else (out > 0).astype(out.dtype)
        dA = dout * D  # dout's part of every step, in one pass; the loop adds the recurrence
        if plan.packed:
            dA[plan.inactive(xp)] = 0
        dh = dhn.copy()
        need = ctx.needs_input_grad
        for k, (t, n) in enumerate(plan.backward):
            dAt = dA[t, :n]
            dAt += dh[:n] * D[t, :n]
            if k < plan.T - 1 or need[1]:  # the last product is dL/dh0 only
                if plan.packed:
                    dh[:n] = dAt @ w_hh
                else:
                    dh = dAt @ w_hh
        hprev = plan.prev(_state(x, h0, w_hh.shape[1], False), out)
        dx, dw_ih, dw_hh, db_ih, db_hh = _weight_grads(need, dA, x, w_ih, hprev, 2)
        return dx, dh if need[1] else None, dw_ih, dw_hh, db_ih, db_hh, None, None, None

    @staticmethod
    def differentiable_backward(ctx, dout, dhn):
        # the layer rebuilt from Tensor operations and differentiated (rnn_unrolled.py)
        from ...autograd.recompute import recompute
        x, h0, w_ih, w_hh = ctx.saved_tensors[:4]
        step = elman_step(not ctx.tanh)
        return recompute(ctx, (dout, dhn), (x, h0, w_ih, w_hh) + ctx.biases,
                         lambda x, h0, wi, wh, bi, bh: unrolled_layer(x, [h0], wi, wh, bi, bh,
                                                                      step, ctx.plan))

    @staticmethod
    def to_onnx(g, rec):
        x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, reverse, sizes = rec.args
        act = "Tanh" if nonlinearity == "tanh" else "Relu"
        _onnx_recurrent(g, rec, "RNN", x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse, sizes,
                        activations=[act])


# ----------------------------------------------------------------------------- LSTM
def _to_internal(a, H):
    """Gate blocks from PyTorch's order (i, f, g, o) to (o, i, f, g) along axis 0: the sigmoid
    gates o, i, f become one contiguous block, and so do i, f, g (the blocks dL/dc feeds)."""
    return array_module(a).concatenate([a[3 * H:], a[:3 * H]], axis=0)


def _from_internal(a, H):
    return array_module(a).concatenate([a[H:], a[:H]], axis=0)


class LSTMLayer(Function):
    """c_t = f * c_{t-1} + i * g,  h_t = o * tanh(c_t), gates i, f, g, o as PyTorch."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
        xp = array_module(x)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        plan = _Plan(x, batch_sizes, reverse)
        h, c = _state(x, h0, H, plan.packed), _state(x, c0, H, plan.packed)
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
        out, cs, tcs = (plan.alloc(xp, (T, B, H), x.dtype) for _ in range(3))
        ig = xp.empty((B, H), dtype=x.dtype)
        for k, (t, n) in enumerate(plan.forward):
            G = gates[t, :n]
            if k or h0 is not None:  # a zero initial state adds nothing
                G += h[:n] @ whhT
            xp.tanh(G, out=G)
            S = G[:, :3 * H]
            S *= 0.5
            S += 0.5
            o, i, f, g = G[:, :H], G[:, H:2 * H], G[:, 2 * H:3 * H], G[:, 3 * H:]
            c_new, tc, h_new = cs[t, :n], tcs[t, :n], out[t, :n]
            xp.multiply(f, c[:n], out=c_new)
            xp.multiply(i, g, out=ig[:n])
            c_new += ig[:n]
            xp.tanh(c_new, out=tc)
            xp.multiply(o, tc, out=h_new)
            if plan.packed:
                h[:n], c[:n] = h_new, c_new
            else:
                h, c = h_new, c_new
        ctx.save_for_backward(x, h0, c0, w_ih, w_hh, gates, cs, tcs, out)
        ctx.plan = plan
        ctx.biases = (b_ih, b_hh)  # for create_graph, which rebuilds the layer
        return out, h.copy(), c.copy()

    @staticmethod
    def backward(ctx, dout, dhn, dcn):
        x, h0, c0, w_ih, w_hh, gates, cs, tcs, out = ctx.saved_tensors
        xp, plan = array_module(x), ctx.plan
        T, B, _ = x.shape
        H = w_hh.shape[1]
        # Everything that does not depend on the recurrence, for all steps in a few passes.
        # With s' = s (1 - s) and tanh' = 1 - tanh^2, the pre-activation gradients are
        #   dA_o = dh * tanh(c) o',   dA_i = dc * g i',   dA_f = dc * c_{t-1} f',   dA_g = dc * i g'
        # so K holds the factors after dh (block o) and after dc (blocks i, f, g), and
        # od = o tanh'(c) carries dL/dh into dL/dc.
        cprev = plan.prev(_state(x, c0, H, False), cs)
        o, i, f, g = (gates[..., k * H:(k + 1) * H] for k in range(4))
        K = gates * (1 - gates)
        K[..., 3 * H:] = 1 - g * g
        K[..., :H] *= tcs
        K[..., H:2 * H] *= g
        K[..., 2 * H:3 * H] *= cprev
        K[..., 3 * H:] *= i
        od = o * (1 - tcs * tcs)
        whh = _to_internal(w_hh, H)
        dA = plan.alloc(xp, gates.shape, x.dtype)
        dh, dc = dhn.copy(), dcn.copy()
        tmp = xp.empty((B, H), dtype=x.dtype)
        need = ctx.needs_input_grad
        for k, (t, n) in enumerate(plan.backward):
            dhv, dcv = dh[:n], dc[:n]
            dhv += dout[t, :n]
            xp.multiply(dhv, od[t, :n], out=tmp[:n])
            dcv += tmp[:n]                                                # dL/dc_t
            dG, Kt = dA[t, :n], K[t, :n]
            xp.multiply(dhv, Kt[:, :H], out=dG[:, :H])                    # block o
            xp.multiply(dcv[:, None, :], Kt[:, H:].reshape(n, 3, H),      # blocks i, f, g
                        out=dG[:, H:].reshape(n, 3, H))
            dcv *= f[t, :n]                                               # dL/dc_{t-1}
            if k < T - 1 or need[1]:                                      # dL/dh_{t-1}
                if plan.packed:
                    dh[:n] = dG @ whh
                else:
                    dh = dG @ whh
        hprev = plan.prev(_state(x, h0, H, False), out)
        T_B = T * B
        dA2 = dA.reshape(T_B, 4 * H)
        dx = (dA2 @ _to_internal(w_ih, H)).reshape(x.shape) if need[0] else None
        dw_ih = _from_internal(dA2.T @ x.reshape(T_B, -1), H) if need[3] else None
        dw_hh = _from_internal(dA2.T @ hprev.reshape(T_B, H), H) if need[4] else None
        db = _from_internal(dA2.sum(axis=0), H) if need[5] or need[6] else None
        db_hh = (db.copy() if need[5] else db) if need[6] else None
        return (dx, dh if need[1] else None, dc if need[2] else None, dw_ih, dw_hh,
                db if need[5] else None, db_hh, None, None)

    @staticmethod
    def differentiable_backward(ctx, dout, dhn, dcn):
        from ...autograd.recompute import recompute
        x, h0, c0, w_ih, w_hh = ctx.saved_tensors[:5]
        return recompute(ctx, (dout, dhn, dcn), (x, h0, c0, w_ih, w_hh) + ctx.biases,
                         lambda x, h0, c0, wi, wh, bi, bh: unrolled_layer(
                             x, [h0, c0], wi, wh, bi, bh, lstm_step, ctx.plan))

    @staticmethod
    def to_onnx(g, rec):
        x, h0, c0, w_ih, w_hh, b_ih, b_hh, reverse, sizes = rec.args
        _onnx_recurrent(g, rec, "LSTM", x, (h0, c0), w_ih, w_hh, b_ih, b_hh, reverse, sizes)


# ----------------------------------------------------------------------------- GRU
class GRULayer(Function):
    """h_t = (1 - z) * n + z * h_{t-1},  n = tanh(W_in x + b_in + r * (W_hn h + b_hn))."""

    fresh_grads = True

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes):
        xp = array_module(x)
        T, B, _ = x.shape
        H = w_hh.shape[1]
        plan = _Plan(x, batch_sizes, reverse)
        h = _state(x, h0, H, plan.packed)
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
        ghn = plan.alloc(xp, (T, B, H), x.dtype)  # W_hn h + b_hn per step (for backward)
        out = plan.alloc(xp, (T, B, H), x.dtype)
        for k, (t, m) in enumerate(plan.forward):
            hp = h[:m]
            gh = hp @ whhT if k or h0 is not None else xp.zeros((m, 3 * H), dtype=x.dtype)
            rz = gx[t, :m, :2 * H]
            rz += gh[:, :2 * H]
            xp.tanh(rz, out=rz)
            rz *= 0.5
            rz += 0.5
            r, z = rz[:, :H], rz[:, H:]
            hn = ghn[t, :m]
            if b_hn is None:
                hn[...] = gh[:, 2 * H:]
            else:
                xp.add(gh[:, 2 * H:], b_hn, out=hn)
            n = gx[t, :m, 2 * H:]
            n += r * hn
            xp.tanh(n, out=n)
            ht = out[t, :m]
            xp.subtract(hp, n, out=ht)   # h' = n + z * (h - n)
            ht *= z
            ht += n
            if plan.packed:
                h[:m] = ht
            else:
                h = ht
        ctx.save_for_backward(x, h0, w_ih, w_hh, gx, ghn, out)
        ctx.plan = plan
        ctx.biases = (b_ih, b_hh)  # for create_graph, which rebuilds the layer
        return out, h.copy()

    @staticmethod
    def backward(ctx, dout, dhn):
        x, h0, w_ih, w_hh, gates, ghn, out = ctx.saved_tensors
        xp, plan = array_module(x), ctx.plan
        T, B, _ = x.shape
        H = w_hh.shape[1]
        hprev = plan.prev(_state(x, h0, H, False), out)
        r, z, n = gates[..., :H], gates[..., H:2 * H], gates[..., 2 * H:]
        # With dh = dL/dh': dn_pre = dh (1 - z)(1 - n^2); dr_pre = dn_pre (W_hn h + b_hn) r (1 - r);
        # dz_pre = dh (h - n) z (1 - z); dL/dh gets dh z plus the recurrent product.
        Kn = (1 - z) * (1 - n * n)
        Kr = ghn * r * (1 - r)
        Kz = (hprev - n) * z * (1 - z)
        dAh = plan.alloc(xp, gates.shape, x.dtype)   # dL/d(W_hh h + b_hh), blocks r, z, n
        dn = plan.alloc(xp, (T, B, H), x.dtype)
        dh = dhn.copy()
        need = ctx.needs_input_grad
        for k, (t, m) in enumerate(plan.backward):
            dhv = dh[:m]
            dhv += dout[t, :m]
            dG, dnt = dAh[t, :m], dn[t, :m]
            xp.multiply(dhv, Kn[t, :m], out=dnt)
            xp.multiply(dnt, Kr[t, :m], out=dG[:, :H])
            xp.multiply(dhv, Kz[t, :m], out=dG[:, H:2 * H])
            xp.multiply(dnt, r[t, :m], out=dG[:, 2 * H:])
            if k < T - 1 or need[1]:
                dhv *= z[t, :m]
                dhv += dG @ w_hh
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
        return dx, (dh if need[1] else None), dw_ih, dw_hh, db_ih, db_hh, None, None

    @staticmethod
    def differentiable_backward(ctx, dout, dhn):
        from ...autograd.recompute import recompute
        x, h0, w_ih, w_hh = ctx.saved_tensors[:4]
        return recompute(ctx, (dout, dhn), (x, h0, w_ih, w_hh) + ctx.biases,
                         lambda x, h0, wi, wh, bi, bh: unrolled_layer(x, [h0], wi, wh, bi, bh,
                                                                      gru_step, ctx.plan))

    @staticmethod
    def to_onnx(g, rec):
        x, h0, w_ih, w_hh, b_ih, b_hh, reverse, sizes = rec.args
        _onnx_recurrent(g, rec, "GRU", x, (h0,), w_ih, w_hh, b_ih, b_hh, reverse, sizes,
                        linear_before_reset=1)


# ----------------------------------------------------------------------------- ONNX
# One ONNX RNN / LSTM / GRU node per layer and direction. ONNX orders the gates differently from
# PyTorch, so the weights are regrouped in the graph (Split + Concat on the parameters, folded by
# any runtime): LSTM i, f, g, o becomes i, o, f, c; GRU r, z, n becomes z, r, h, and
# ``linear_before_reset=1`` gives PyTorch's GRU, where the reset gate multiplies (W_hn h + b_hn)
# rather than h.
_ONNX_GATES = {"LSTM": [0, 3, 1, 2], "GRU": [1, 0, 2], "RNN": [0]}


def _onnx_regroup(g, w, rows, kind):
    """(G H, X) weight (a value or a name) as ONNX's (1, G H, X) in ONNX's gate order."""
    name = w if isinstance(w, str) else g.value(w)
    order = _ONNX_GATES[kind]
    if len(order) > 1:
        h = rows // len(order)
        parts = g.op("Split", [name, g.ints([h] * len(order))], n_out=len(order), axis=0)
        name = g.op("Concat", [parts[i] for i in order], axis=0)
    return g.unsqueeze(name, [0])


def _onnx_recurrent(g, rec, kind, x, states, w_ih, w_hh, b_ih, b_hh, reverse, batch_sizes, **attrs):
    if batch_sizes is not None:
        g.unsupported(f"{kind} over a packed sequence (PackedSequence): export the padded "
                      "batch instead")
    hidden = g.shape(w_hh)[1]
    rows = g.shape(w_ih)[0]
    ins = [g.value(x), _onnx_regroup(g, w_ih, rows, kind), _onnx_regroup(g, w_hh, rows, kind)]
    if b_ih is not None or b_hh is not None:
        zeros = g.const(np.zeros((rows,), g.dtype(x)))
        bi = g.value(b_ih) if b_ih is not None else zeros
        bh = g.value(b_hh) if b_hh is not None else zeros
        ins.append(g.op("Concat", [_onnx_regroup(g, bi, rows, kind),
                                   _onnx_regroup(g, bh, rows, kind)], axis=1))
    else:
        ins.append("")
    ins.append("")  # sequence_lens
    for s in states:
        ins.append("" if s is None else g.unsqueeze(g.value(s), [0]))
    while ins[-1] == "":
        ins.pop()
    n_out = 1 + len(states)
    outs = g.op(kind, ins, n_out=n_out, hidden_size=int(hidden),
                direction="reverse" if reverse else "forward", **attrs)
    g.out(g.squeeze(outs[0], [1]), 0)
    for i in range(1, n_out):
        g.out(g.squeeze(outs[i], [0]), i)
