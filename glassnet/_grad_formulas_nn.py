"""Differentiable gradients of the fused Functions in glassnet/nn/functional (``create_graph``).

Same contract as glassnet/_grad_formulas.py. Fused ops save only what their fast first-order
backward needs, so some formulas first rebuild a differentiable version of an intermediate from
the input: softmax from the logits (cross-entropy saves the probabilities p, and the logits are
log p up to a per-row constant, which softmax ignores), x - mean from the normalised x_hat and
1/std (normalisation ignores a shift too). ``Relabel`` then gives it the exact saved value.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from ._grad_registry import O, Relabel, const, register, sum_to
from ._grad_registry import input_tensor as I
from .backend import array_module
from .ops import shape as S
from .tensor_arith import where

_F = "glassnet.nn.functional."
A = importlib.import_module(_F + "activation")  # (F.softmax, F.dropout... are also functions)
AX = importlib.import_module(_F + "activation_extra")
CE = importlib.import_module(_F + "cross_entropy")
D = importlib.import_module(_F + "distance")
DR = importlib.import_module(_F + "dropout")
LIN = importlib.import_module(_F + "linear")
N = importlib.import_module(_F + "normalization")
SM = importlib.import_module(_F + "softmax")


def _mask(ctx, g):
    return (g * const(ctx.saved_tensors[0], g.dtype),) + (None,) * 2


# Piecewise-linear ops: the gradient is g times a saved 0/1 (or constant) mask.
register(A._ReLU, A._Hardtanh, AX._Shrink, AX._RReLUTrain, DR._MulMask)(_mask)
register(D._ClampMinThrough)(lambda ctx, g: (g, None))


@register(A._LeakyReLU)
def _leaky_relu(ctx, g):
    (pos,) = ctx.saved_tensors
    return where(pos, g, g * ctx.slope), None


@register(A._ELU)
def _elu(ctx, g):
    # For x <= 0, d/dx alpha s (e^(k x) - 1) = k (y + alpha s): written with the output y, the
    # second derivative flows back through the ELU node itself.
    pos, e = ctx.saved_tensors
    alpha, scale, input_scale = ctx.c
    y = O(ctx, e * e.dtype.type(alpha * scale))
    return where(pos, g * scale, g * input_scale * (y + alpha * scale)), None, None, None


@register(A._GELU)
def _gelu(ctx, g):
    X = I(ctx, 0, ctx.saved_tensors[0])
    if ctx.approximate == "tanh":
        c = math.sqrt(2.0 / math.pi)
        th = (c * (X + 0.044715 * X * X * X)).tanh()
        d = 0.5 * (1 + th) + 0.5 * X * (1 - th * th) * (c * (1 + 3 * 0.044715 * X * X))
    else:
        cdf = 0.5 * (1 + (X * (1 / math.sqrt(2.0))).erf())
        d = cdf + X * (-0.5 * X * X).exp() * (1 / math.sqrt(2.0 * math.pi))
    return g * d, None


@register(A._SiLU)
def _silu(ctx, g):
    x, s = ctx.saved_tensors
    X = I(ctx, 0, x)
    sig = Relabel.apply(X.sigmoid(), s)
    return g * (sig * (1 + X * (1 - sig)))


@register(A._Softplus)
def _softplus(ctx, g):
    (bx,) = ctx.saved_tensors
    beta = ctx.beta
    X = I(ctx, 0, bx / bx.dtype.type(beta))
    return g * where(bx > ctx.threshold, 1.0, (X * beta).sigmoid()), None, None


@register(A._Mish)
def _mish(ctx, g):
    x, th = ctx.saved_tensors
    X = I(ctx, 0, x)
    t = Relabel.apply(A.softplus(X).tanh(), th)
    return g * (t + X * X.sigmoid() * (1 - t * t))


@register(A._Hardswish)
def _hardswish(ctx, g):
    (x,) = ctx.saved_tensors
    X = I(ctx, 0, x)
    mid = (x > -3) & (x < 3)
    return g * where(mid, X / 3 + 0.5, const(x >= 3, g.dtype))


@register(CE._SoftplusNeg)
def _softplus_neg(ctx, g):
    X = I(ctx, 0, ctx.saved_tensors[0])
    return -g * (-X).sigmoid()


# ----------------------------------------------------------------------------- softmax
@register(SM._Softmax)
def _softmax(ctx, g):
    s = O(ctx, ctx.saved_tensors[0])
    gs = g * s
    return gs - s * gs.sum(ctx.dim, keepdim=True), None


@register(SM._LogSoftmax)
def _log_softmax(ctx, g):
    y = O(ctx, ctx.saved_tensors[0])
    return g - y.exp() * g.sum(ctx.dim, keepdim=True), None


# ----------------------------------------------------------------------------- linear, embedding
@register(LIN._Linear)
def _linear(ctx, g):
    x, w = ctx.saved_tensors
    X, W = I(ctx, 0, x), I(ctx, 1, w)
    nx, nw, nb = ctx.needs_input_grad
    g2 = g if g.ndim == 2 else g.reshape(-1, g.shape[-1])
    gx = gw = gb = None
    if nx:
        gx = g2 @ W
        if x.ndim != 2:
            gx = gx.reshape(x.shape)
    if nw:
        gw = g2.t() @ (X if x.ndim == 2 else X.reshape(-1, x.shape[-1]))
    if nb:
        gb = g2.sum(0)
    return gx, gw, gb


@register(LIN._Embedding)
def _embedding(ctx, g):
    from .functions import zeros
    xp = array_module(g._data)
    idx = ctx.idx.reshape(-1)
    g2 = g.reshape(-1, ctx.shape[1])
    if ctx.scale:
        counts = xp.bincount(idx, minlength=ctx.shape[0])
        g2 = g2 / const(counts[idx][:, None], g.dtype)
    gw = S.IndexAdd.apply(zeros(*ctx.shape, dtype=g.dtype, device=g.device), 0, idx, g2, 1)
    if ctx.padding_idx is not None:
        keep = xp.ones((ctx.shape[0], 1), dtype=bool)
        keep[ctx.padding_idx] = False
        gw = gw * const(keep, g.dtype)
    return gw, None, None, None


# ----------------------------------------------------------------------------- losses
def _flat(t):
    """(N, C, d1, ...) -> (M, C), as glassnet's losses view their input."""
    if t.ndim == 1:
        return t.unsqueeze(0)
    if t.ndim == 2:
        return t
    return t.movedim(1, -1).reshape(-1, t.shape[1])


def _unflat(t, shape):
    if len(shape) == 1:
        return t[0]
    if len(shape) == 2:
        return t
    return t.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)).movedim(-1, 1)


def _loss_scale(g, reduction, denom):
    """How the upstream gradient multiplies each row: a scalar for mean/sum, a column else."""
    if reduction == "mean":
        return g / denom if denom else g * 0
    if reduction == "sum":
        return g
    return g.reshape(-1, 1)


@register(CE._CrossEntropy)
def _cross_entropy(ctx, g):
    p, y, wy, w, valid = ctx.saved_tensors
    shape, reduction, denom, eps = ctx.c
    xp = array_module(p)
    m, c = p.shape
    t = p.dtype.type
    with np.errstate(divide="ignore"):
        logits = _unflat_array(xp.log(p), shape)
    P = Relabel.apply(_flat(I(ctx, 0, logits)).softmax(1), p)
    onehot = xp.zeros((m, c), p.dtype)
    onehot[xp.arange(m), y] = 1
    a = (wy if wy is not None else xp.ones(m, p.dtype)) * t(1 - eps)
    b = xp.zeros(m, p.dtype) if not eps else (
        xp.full(m, eps / c, p.dtype) if valid is None else t(eps / c) * valid)
    sw = t(c) if w is None else w.sum()
    k1 = a + b * sw
    k2 = onehot * a[:, None] + b[:, None] * (1 if w is None else w[None, :])
    grad = (P * const(k1[:, None], g.dtype) - const(k2, g.dtype)) * _loss_scale(g, reduction, denom)
    return (_unflat(grad, shape),) + (None,) * 6


def _unflat_array(a, shape):
    if len(shape) == 1:
        return a[0]
    if len(shape) == 2:
        return a
    xp = array_module(a)
    return xp.moveaxis(a.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)), -1, 1)


@register(CE._NLL)
def _nll(ctx, g):
    y, wy = ctx.saved_tensors
    shape, shape2, dtype, reduction, denom = ctx.c
    xp = array_module(g._data)
    m = shape2[0]
    k = xp.zeros(shape2, dtype)
    k[xp.arange(m), y] = -(xp.ones(m, dtype) if wy is None else wy)
    return (_unflat(const(k, g.dtype) * _loss_scale(g, reduction, denom), shape),) + (None,) * 5


@register(CE._BCE)
def _bce(ctx, g):
    x, tgt = ctx.saved_tensors[:2]
    X, T = I(ctx, 0, x), I(ctx, 1, tgt)
    nx, nt = ctx.needs_input_grad
    gx = gt = None
    if nx:
        gx = g * (X - T) / ((1 - X) * X).clamp(min=1e-12)
    if nt:
        gt = g * ((-X).log1p().clamp(min=-100) - X.log().clamp(min=-100))
    return gx, gt


@register(D.VectorNorm)
def _vector_norm(ctx, g):
    x, norm = ctx.saved_tensors
    p, axes = ctx.p, ctx.axes
    X = I(ctx, 0, x)
    xp = array_module(x)
    g = g.reshape(norm.shape)
    sign = const(xp.sign(x), g.dtype)
    zero = norm == 0
    nrm = O(ctx, norm if ctx.keepdim else norm.reshape(
        [s for i, s in enumerate(norm.shape) if i not in axes]))
    n = where(zero, 1.0, nrm.reshape(norm.shape))
    if p == 0:
        return (g * 0).expand(*x.shape) * 0, None, None, None, None
    if p == 1:
        return sign * g, None, None, None, None
    if p == 2:
        return X * where(zero, 0.0, g / n), None, None, None, None
    if math.isinf(p):
        mask = ((xp.abs(x) == norm) | xp.isnan(x)).astype(x.dtype)
        share = g / const(mask.sum(axis=axes, keepdims=True), g.dtype) if ctx.split_ties else g
        return sign * share * const(mask, g.dtype), None, None, None, None
    if p < 1:
        absx = where(x == 0, 1.0, X.abs())
        scaled = where(x == 0, 0.0, sign * absx ** (p - 1))
        return scaled * g * n ** (1 - p), None, None, None, None
    scaled = sign * X.abs() ** (p - 1) if p < 2 else X * X.abs() ** (p - 2)
    return scaled * where(zero, 0.0, g / n ** (p - 1)), None, None, None, None


# ----------------------------------------------------------------------------- normalisation
def _rstd(var_t, var, rstd):
    """1 / sqrt(var + eps) as a Tensor of var_t. eps is not saved, but var + eps = 1 / rstd^2:
    the constant var + eps - var_t shifts var_t onto it."""
    shift = (1 / (rstd.astype(np.float64) ** 2) - var).astype(rstd.dtype)
    return Relabel.apply((var_t + const(shift, var_t.dtype)).rsqrt(), rstd)


def _norm_grads(gv, xhat_t, rstd_t, W, axes, pshape, batch_stats, needs):
    nx, nw, nb = needs
    gx = gw = gb = None
    if nw:
        gw = sum_to(gv * xhat_t, pshape)
    if nb:
        gb = sum_to(gv, pshape)
    if nx:
        gh = gv * W.reshape(pshape) if W is not None else gv
        if batch_stats:
            gx = (gh - gh.mean(axes, keepdim=True)
                  - xhat_t * (gh * xhat_t).mean(axes, keepdim=True)) * rstd_t
        else:
            gx = gh * rstd_t
    return gx, gw, gb


@register(N._Normalize)
def _normalize(ctx, g):
    xhat, rstd, w = ctx.saved_tensors
    shape, axes, pshape, batch_stats, wshape, bshape = ctx.c
    needs = ctx.needs_input_grad[:3]
    xc = xhat / rstd  # x - mean: the input up to a shift
    X = I(ctx, 0, xc.reshape(shape)).reshape(xhat.shape)
    if batch_stats:
        c_t = X - X.mean(axes, keepdim=True)
        var = (xc * xc).mean(axis=axes, keepdims=True)
        rstd_t = _rstd((c_t * c_t).mean(axes, keepdim=True), var, rstd)
        xhat_t = Relabel.apply(c_t * rstd_t, xhat)
    else:
        rstd_t = const(rstd, g.dtype)  # fixed statistics: x_hat is affine in x
        xhat_t = Relabel.apply(X * rstd_t, xhat)
    W = I(ctx, 1, w) if w is not None else None
    gx, gw, gb = _norm_grads(g.reshape(xhat.shape), xhat_t, rstd_t, W, axes, pshape,
                             batch_stats, needs)
    return (gx.reshape(shape) if gx is not None else None,
            gw.reshape(wshape) if gw is not None else None,
            gb.reshape(bshape) if gb is not None else None) + (None,) * 6


@register(N._BatchNormTrain)
def _batch_norm_train(ctx, g):
    x3, mean, rstd, w = ctx.saved_tensors
    c = x3.shape[1]
    axes, pshape = (0, 2), (1, c, 1)
    X = I(ctx, 0, x3.reshape(ctx.shape)).reshape(x3.shape)
    c_t = X - X.mean(axes, keepdim=True)
    xc = x3 - mean.reshape(pshape)
    var = (xc * xc).mean(axis=axes, keepdims=True)
    rstd3 = rstd.reshape(pshape)
    rstd_t = _rstd((c_t * c_t).mean(axes, keepdim=True), var, rstd3)
    xhat_t = c_t * rstd_t
    W = I(ctx, 1, w) if w is not None else None
    gx, gw, gb = _norm_grads(g.reshape(x3.shape), xhat_t, rstd_t, W, axes, pshape, True,
                             ctx.needs_input_grad[:3])
    return (gx.reshape(ctx.shape) if gx is not None else None,
            gw.reshape(c) if gw is not None else None,
            gb.reshape(c) if gb is not None else None, None, None)


@register(N._BatchNormEval)
def _batch_norm_eval(ctx, g):
    x, scale, rstd, mean = ctx.saved_tensors
    nx, nw, nb = ctx.needs_input_grad[:3]
    c = g.shape[1]
    bshape = (1, c) + (1,) * (g.ndim - 2)
    axes = (0,) + tuple(range(2, g.ndim))
    gx = None
    if nx:  # scale = gamma / sqrt(var + eps): a function of the weight
        W = I(ctx, 1, scale / rstd) if ctx.next_edges[1] is not None else None
        k = const(scale, g.dtype) if W is None else W * const(rstd, g.dtype)
        gx = g * k.reshape(bshape)
    gw = gb = None
    if nw:
        X = I(ctx, 0, x)
        gw = (g * (X - const(mean.reshape(bshape), g.dtype))).sum(axes) * const(rstd, g.dtype)
    if nb:
        gb = g.sum(axes)
    return gx, gw, gb, None, None, None
