"""Differentiable gradients of the recurrent layers, embedding bags, scans, matrix
decompositions and grid sampling (``create_graph=True``).

Same contract as glassnet/_grad_formulas.py. Two ways of writing a formula appear here:

* a closed form with Tensor operations (embedding_bag, logcumsumexp, cholesky, slogdet, eigh),
  the op's first-order backward rewritten so that it is recorded;
* ``recompute``: a fused op whose backward is a long closed-form loop (an LSTM's
  backpropagation through time) is rebuilt from primitive Tensor operations on its inputs, and
  that graph is differentiated with ``create_graph=True``. The rebuilt graph hangs off identity
  nodes of the op's inputs (``Relabel``), so the gradients it returns are connected to the
  original graph and can be differentiated again, to any order.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from . import autograd
from ._grad_registry import O, Relabel, const, register
from ._grad_registry import input_tensor as I
from .backend import array_module
from .ops import decomp as DC
from .ops import scan as SC
from .ops import shape as S
from .ops import unary as U
from .tensor_arith import where

_F = "glassnet.nn.functional."
EB = importlib.import_module(_F + "embedding_bag")
GR = importlib.import_module(_F + "graph")
GS = importlib.import_module(_F + "grid_sample")
HK = importlib.import_module("glassnet.nn.hooks")
RK = importlib.import_module(_F + "rnn_kernels")


def _zeros(shape, like):
    xp = array_module(like._data)
    return autograd._Tensor._make(xp.zeros(tuple(shape), dtype=like._data.dtype), False)


# ----------------------------------------------------------------------------- recompute
def recompute(ctx, grads, arrays, build):
    """The gradients of node ``ctx`` from a rebuilt, differentiable copy of its forward pass.

    ``arrays`` holds the value of each forward argument (None for non-tensors and absent
    tensors); ``build(*tensors)`` returns the op's outputs computed with Tensor operations.
    Inputs that need a gradient enter through an identity node each: the inner ``grad`` stops
    there, and the gradients it returns lead, through those nodes, back into the graph.
    """
    from . import _double_backward
    Tensor = autograd._Tensor
    ins, want = [], []
    for i, a in enumerate(arrays):
        t = I(ctx, i, a) if a is not None else None
        if isinstance(t, Tensor) and t.requires_grad:
            t = Relabel.apply(t, a)
            want.append(i)
        ins.append(t)
    outs = build(*ins)
    outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
    res = [None] * len(ctx.next_edges)
    if want and pairs:
        gs = _double_backward.grad([o for o, _ in pairs], [ins[i] for i in want],
                                   [g for _, g in pairs], retain_graph=True, allow_unused=True)
        for i, g in zip(want, gs):
            res[i] = g
    return tuple(res)


# ----------------------------------------------------------------------------- recurrent layers
def _layer(x, states, w_ih, w_hh, b_ih, b_hh, cell, plan):
    """One layer-direction with Tensor ops: the loop of rnn_kernels, packed batches included
    (at step t only the first batch_sizes[t] rows advance; the others keep their state)."""
    from .functions import cat, stack
    T, B = x.shape[0], x.shape[1]
    H = w_hh.shape[1]
    states = [_zeros((B, H), x) if s is None else s for s in states]
    xw = x.matmul(w_ih.t())
    if b_ih is not None:
        xw = xw + b_ih
    outs = [None] * T
    for t, n in plan.forward:
        if n < B:
            new = cell(xw[t, :n], [s[:n] for s in states], w_hh, b_hh)
            outs[t] = cat([new[0], _zeros((B - n, H), x)], 0)
            states = [cat([a, s[n:]], 0) for a, s in zip(new, states)]
        else:
            states = cell(xw[t], states, w_hh, b_hh)
            outs[t] = states[0]
    return (stack(outs, 0), *states)


def _hidden(h, w_hh, b_hh):
    gh = h.matmul(w_hh.t())
    return gh if b_hh is None else gh + b_hh


def _rnn_cell(relu):
    def cell(xw, states, w_hh, b_hh):
        a = xw + _hidden(states[0], w_hh, b_hh)
        return [a.relu() if relu else a.tanh()]
    return cell


def _lstm_cell(xw, states, w_hh, b_hh):
    h, c = states
    i, f, g, o = (xw + _hidden(h, w_hh, b_hh)).chunk(4, 1)
    c = f.sigmoid() * c + i.sigmoid() * g.tanh()
    return [o.sigmoid() * c.tanh(), c]


def _gru_cell(xw, states, w_hh, b_hh):
    (h,) = states
    xr, xz, xn = xw.chunk(3, 1)
    hr, hz, hn = _hidden(h, w_hh, b_hh).chunk(3, 1)
    r, z = (xr + hr).sigmoid(), (xz + hz).sigmoid()
    n = (xn + r * hn).tanh()
    return [(1 - z) * n + z * h]


@register(RK.RNNLayer)
def _rnn_layer(ctx, dout, dhn):
    x, h0, w_ih, w_hh = ctx.saved_tensors[:4]
    cell = _rnn_cell(not ctx.tanh)
    return recompute(ctx, (dout, dhn), (x, h0, w_ih, w_hh) + ctx.biases,
                     lambda x, h0, wi, wh, bi, bh: _layer(x, [h0], wi, wh, bi, bh, cell, ctx.plan))


@register(RK.LSTMLayer)
def _lstm_layer(ctx, dout, dhn, dcn):
    x, h0, c0, w_ih, w_hh = ctx.saved_tensors[:5]
    return recompute(ctx, (dout, dhn, dcn), (x, h0, c0, w_ih, w_hh) + ctx.biases,
                     lambda x, h0, c0, wi, wh, bi, bh: _layer(x, [h0, c0], wi, wh, bi, bh,
                                                              _lstm_cell, ctx.plan))


@register(RK.GRULayer)
def _gru_layer(ctx, dout, dhn):
    x, h0, w_ih, w_hh = ctx.saved_tensors[:4]
    return recompute(ctx, (dout, dhn), (x, h0, w_ih, w_hh) + ctx.biases,
                     lambda x, h0, wi, wh, bi, bh: _layer(x, [h0], wi, wh, bi, bh, _gru_cell,
                                                          ctx.plan))


# ----------------------------------------------------------------------------- embedding_bag
@register(EB._EmbeddingBag)
def _embedding_bag(ctx, g):
    nw, npsw = ctx.needs_input_grad[:2]
    xp = array_module(g._data)
    n, D = ctx.wshape
    gw = gpsw = None
    if ctx.mode == "max":  # each output element came from one row (its arg-max)
        if nw:
            b, d = xp.nonzero(ctx.argrow >= 0)
            src = S.IndexSelect.apply(g.reshape(-1), 0, b * D + d)
            gw = S.IndexAdd.apply(_zeros((n * D,), g), 0, ctx.argrow[b, d] * D + d, src, 1)
            gw = gw.reshape(n, D)
        return (gw,) + (None,) * 6
    saved = ctx.saved_tensors  # (per_sample_weights, looked-up rows) when weights were given
    g_rows = S.IndexSelect.apply(g, 0, ctx.seg)  # every entry gets its bag's gradient
    if npsw:
        rows = saved[1]
        if ctx.next_edges[0] is None:
            R = const(rows, g.dtype)
        else:  # the weight's value matters only at the rows looked up
            full = xp.zeros(ctx.wshape, dtype=rows.dtype)
            full[ctx.idx] = rows
            R = S.IndexSelect.apply(I(ctx, 0, full), 0, ctx.idx)
        gpsw = (g_rows * R).sum(1)
    if nw:
        if ctx.mode == "mean":
            g_rows = g_rows / const(ctx.counts[ctx.seg][:, None], g.dtype)
        elif saved:
            g_rows = g_rows * I(ctx, 1, saved[0]).unsqueeze(1)
        if ctx.scale:
            freq = xp.bincount(ctx.idx, minlength=n)
            g_rows = g_rows / const(freq[ctx.idx][:, None], g.dtype)
        gw = S.IndexAdd.apply(_zeros(ctx.wshape, g), 0, ctx.idx, g_rows, 1)
    return (gw, gpsw) + (None,) * 5


# ----------------------------------------------------------------------------- scans
def _cumprod_loop(a, dim):
    from .functions import stack
    out = [a.select(dim, 0)]
    for k in range(1, a.shape[dim]):
        out.append(out[-1] * a.select(dim, k))
    return stack(out, dim)


@register(SC.Cumprod)
def _cumprod(ctx, g):
    # The gradient divides by x in closed form (wrong at zeros): differentiate the product
    # chain itself instead, exact everywhere.
    (a,) = ctx.saved_tensors
    if a.shape[ctx.dim] == 0:
        return g, None
    return recompute(ctx, (g,), (a, None), lambda A, _: _cumprod_loop(A, ctx.dim))


@register(SC.LogCumSumExp)
def _logcumsumexp(ctx, g):
    # grad_i = sum_(j >= i) g_j exp(x_i - out_j), summed in log space for the positive and
    # negative parts of g apart (PyTorch's formula; differentiable through logcumsumexp again).
    a, out = ctx.saved_tensors
    d = ctx.dim
    if a.shape[d] == 0:
        return g, None
    X, Y = I(ctx, 0, a), O(ctx, out)
    low = float(np.finfo(g.dtype).min)
    logabs = where(g._data != 0, g, 1.0).abs().log()
    res = 0
    for sign, mask in ((1, g._data > 0), (-1, g._data < 0)):
        lg = where(mask, logabs, low)
        rev = SC.LogCumSumExp.apply((lg - Y).flip(d), d).flip(d)
        res = res + sign * (rev + X).exp()
    return res, None


# ----------------------------------------------------------------------------- decompositions
def _solve(a, b):
    return DC.Solve.apply(a, b)


@register(DC.Cholesky)
def _cholesky(ctx, g):
    # gA = L^-T Phi(L^T gL) L^-1 with Phi the lower triangle, diagonal halved (symmetric).
    (low,) = ctx.saved_tensors
    L = O(ctx, low.swapaxes(-1, -2).copy() if ctx.upper else low)
    if ctx.upper:
        L, g = L.mT, g.mT
    phi = (L.mT @ g).tril()
    phi = 0.5 * (phi + phi.tril(-1).mT)
    s = _solve(L.mT, phi)             # L^-T Phi
    return _solve(L.mT, s.mT).mT, None  # (L^-T Phi) L^-1


@register(DC.SlogDet)
def _slogdet(ctx, gsign, glog):
    from .linalg import inv
    (a,) = ctx.saved_tensors
    return inv(I(ctx, 0, a)).mT * glog.unsqueeze(-1).unsqueeze(-1)


@register(DC.Eigh)
def _eigh(ctx, gw, gv):
    # gA = V (diag(gw) + skew(V^T gV) / E) V^T, E_ij = w_j - w_i (1 on the diagonal)
    w, v = ctx.saved_tensors
    W, V = O(ctx, w, 0), O(ctx, v, 1)
    eye = const(array_module(w).eye(w.shape[-1]), gw.dtype)
    vg = V.mT @ gv
    E = W.unsqueeze(-2) - W.unsqueeze(-1) + eye
    inner = 0.5 * (vg - vg.mT) / E + gw.unsqueeze(-1) * eye
    return V @ inner @ V.mT, None


@register(DC.Pinv)
def _pinv(ctx, g):
    # -X^T G X^T + (I - A X) G^T X X^T + X^T X G^T (I - X A), X = A^+ (Golub & Pereyra)
    a, x = ctx.saved_tensors
    A, X = I(ctx, 0, a), O(ctx, x)
    xp = array_module(a)
    im = const(xp.eye(a.shape[-2]), g.dtype)
    i_n = const(xp.eye(a.shape[-1]), g.dtype)
    Xt, Gt = X.mT, g.mT
    return (-(Xt @ g @ Xt) + (im - A @ X) @ Gt @ X @ Xt + Xt @ X @ Gt @ (i_n - X @ A),
            None, None)


@register(U.Sinc)
def _sinc(ctx, g):
    # d sinc / dx = (cos(pi x) - sinc(x)) / x, set to 0 at x = 0 as PyTorch does
    a, out = ctx.saved_tensors
    A, Y = I(ctx, 0, a), O(ctx, out)
    zero = a == 0
    safe = where(zero, 1.0, A)
    return where(zero, 0.0, g * ((math.pi * safe).cos() - Y) / safe)


# ----------------------------------------------------------------------------- graph ops, hooks
# Gathering rows and summing them back per node are each other's transposes.
register(GR._Gather)(lambda ctx, g: (GR._ScatterSum.apply(g, ctx.seg), None, None))
register(GR._ScatterSum)(lambda ctx, g: (GR._Gather.apply(g, ctx.seg.index, ctx.seg), None))


@register(GR._ScatterExtreme)
def _scatter_extreme(ctx, g):
    values, out = ctx.saved_tensors  # the gradient is shared among the tied arg-extremes
    seg = ctx.seg
    hit = (values == out[seg.index]).astype(values.dtype)
    ties = seg.sum(hit)
    ties[ties == 0] = 1
    share = const(hit / ties[seg.index], g.dtype)
    return GR._Gather.apply(g, seg.index, seg) * share, None, None


@register(HK._OutputIdentity)
def _module_output(ctx, *grads):
    # A module's full backward hooks see grad_output and grad_input as graph Tensors here.
    st = ctx.state
    st.grad_output = tuple(grads)
    if st.n_inputs == 0:
        HK._run(st, (None,))
    return (None, *grads)


@register(HK._InputIdentity)
def _module_input(ctx, *grads):
    st = ctx.state
    if st.grad_output is None:  # not through the module's outputs: no hooks (PyTorch's rule)
        return (None, *grads)
    gi = HK._run(st, tuple(grads))
    st.grad_output = None
    return (None, *gi)


# ----------------------------------------------------------------------------- grid_sample
def _grid_sample_build(ctx):
    x, ix, iy, dx, dy = ctx.saved_tensors
    n, c, h, w = x.shape
    mode = ctx.opts[0]
    xp = array_module(x)

    def build(X, G):
        # Pixel coordinates: exactly the saved ones, with d ix / d grid = dx (the padding rule
        # is piecewise linear, so that is the whole dependence on the grid).
        IX = IY = None
        if G is not None:
            IX = Relabel.apply(G[..., 0] * const(dx, X.dtype), ix)
            IY = Relabel.apply(G[..., 1] * const(dy, X.dtype), iy)
        flat = X.reshape(n, c, h * w)
        out = 0
        if mode == "nearest":
            taps = [(idx, ok, None) for idx, _, ok, _ in GS._taps(xp, ix, iy, h, w, *ctx.opts)]
        else:
            x0, y0 = xp.floor(ix), xp.floor(iy)
            ax = ix - x0 if IX is None else IX - const(x0, X.dtype)
            ay = iy - y0 if IY is None else IY - const(y0, X.dtype)
            raw = GS._taps(xp, ix, iy, h, w, *ctx.opts)
            if mode == "bicubic":
                wx, wy = GS._cubic(ax)[0], GS._cubic(ay)[0]
                wts = [wx[i] * wy[j] for j in range(4) for i in range(4)]
            else:
                bx, by = 1 - ax, 1 - ay
                wts = [bx * by, ax * by, bx * ay, ax * ay]
            taps = [(idx, ok, wt) for (idx, _, ok, _), wt in zip(raw, wts)]
        for idx, ok, wt in taps:
            safe = xp.ascontiguousarray(xp.broadcast_to(
                xp.where(ok, idx, 0).reshape(n, 1, -1), (n, c, idx[0].size)))
            v = S.Gather.apply(flat, 2, safe).reshape((n, c) + ix.shape[1:])
            k = const(ok, X.dtype) if wt is None else (
                const(wt * ok, X.dtype) if not isinstance(wt, autograd._Tensor)
                else wt * const(ok, X.dtype))
            out = out + v * k.unsqueeze(1)
        return out

    return build, x, ix


@register(GS.GridSample2d)
def _grid_sample(ctx, g):
    build, x, ix = _grid_sample_build(ctx)
    # The grid's own value is never read (the coordinates come from the saved ones).
    grid = array_module(ix).zeros(ix.shape + (2,), dtype=ix.dtype)
    return recompute(ctx, (g,), (x, grid, None, None, None),
                     lambda X, G, *_: build(X, G))
