"""Connectionist temporal classification (Graves et al. 2006): ``ctc_loss``.

CTC scores an unsegmented label sequence l (length S) against T frames of per-class
log-probabilities by summing over every alignment: every path of T symbols that becomes l once
repeats are merged and blanks removed. With the extended sequence l' = (blank, l_1, blank, l_2,
..., l_S, blank) of length 2S + 1, the forward variables

    alpha_0(0) = y_0(blank),  alpha_0(1) = y_0(l'_1),
    alpha_t(s) = (alpha_{t-1}(s) + alpha_{t-1}(s-1) [+ alpha_{t-1}(s-2) if l'_s != l'_{s-2}])
                 * y_t(l'_s)

(the third term skips a blank between two different labels) give p(l | x) = alpha_{T-1}(2S) +
alpha_{T-1}(2S - 1), and the loss is -log p(l | x). Everything runs in log space (products
become sums, sums become log-sum-exp), vectorised over the batch and the 2S + 1 states.

The backward pass is the matching beta recursion run from the end: alpha_t(s) beta_t(s) /
y_t(l'_s) sums the probability of all alignments through state s at time t, so the posterior
occupancy of class c at time t is gamma_t(c) = sum_{s: l'_s = c} alpha_t(s) beta_t(s) /
(y_t(c) p). PyTorch returns exp(log y_t(c)) - gamma_t(c) as the gradient for the
log-probabilities: the gradient with respect to the logits of a log_softmax, which the
log_softmax's own backward then passes on unchanged (its rows sum to 0). glassnet returns the same,
so ``ctc_loss(log_softmax(logits))`` has the exact gradient, as in PyTorch.
"""

from __future__ import annotations

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...ops import autocast
from ...tensor import Tensor
from . import _reduction as _R

__all__ = ["ctc_loss"]


def _lse3(xp, a, b, c):
    """log(e^a + e^b + e^c) elementwise, with -inf handled (all -inf gives -inf)."""
    m = xp.maximum(xp.maximum(a, b), c)
    m0 = xp.where(xp.isneginf(m), 0, m)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(a - m0) + xp.exp(b - m0) + xp.exp(c - m0)) + m0


def _shift(xp, a, k, fill):
    """a[..., s - k] along the last axis (``fill`` where s - k < 0)."""
    out = xp.full_like(a, fill)
    out[..., k:] = a[..., :a.shape[-1] - k]
    return out


class CTC(Function):
    """Per-sample negative log-likelihoods (N,) of padded targets (N, S_max)."""

    differentiable_backward = None  # the forward-backward recursion has no Tensor form here

    @staticmethod
    def forward(ctx, lp, targets, in_len, tg_len, blank, zero_infinity):
        xp = array_module(lp)
        ctx.dtype = lp.dtype
        # The recursions run in float64: the gradient subtracts two numbers close to 1 whose
        # logs are sums of terms as large as the loss itself.
        lp = lp.astype(np.float64, copy=False)
        t_max, n = lp.shape[:2]
        s_max = targets.shape[1]
        ninf = lp.dtype.type(-np.inf)
        states = 2 * s_max + 1
        s_idx = xp.arange(states)
        # l': blank at even states, the labels at odd ones (blank beyond each target's length)
        lab = xp.where(xp.arange(s_max)[None, :] < tg_len[:, None], targets, blank)
        ext = xp.full((n, states), blank, dtype=np.int64)
        ext[:, 1::2] = lab
        skip = xp.zeros((n, states), dtype=bool)  # may alpha come from s - 2?
        skip[:, 2:] = ext[:, 2:] != ext[:, :-2]
        live = s_idx[None, :] < 2 * tg_len[:, None] + 1
        rows = xp.arange(n)[:, None]
        emit = lp[:, rows, ext]  # (T, N, states): log y_t(l'_s)
        alpha = xp.full((t_max, n, states), ninf, dtype=lp.dtype)
        if t_max:
            alpha[0, :, :2] = emit[0, :, :2]
            alpha[0] = xp.where(live, alpha[0], ninf)
        for t in range(1, t_max):
            prev = alpha[t - 1]
            a3 = xp.where(skip, _shift(xp, prev, 2, ninf), ninf)
            alpha[t] = xp.where(live, _lse3(xp, prev, _shift(xp, prev, 1, ninf), a3) + emit[t],
                                ninf)
        last = xp.clip(in_len - 1, 0, None)
        end = alpha[last, xp.arange(n)]  # (N, states) at each sample's last frame
        e1 = end[xp.arange(n), 2 * tg_len]
        e2 = xp.where(tg_len > 0, end[xp.arange(n), xp.clip(2 * tg_len - 1, 0, None)], ninf)
        nll = -_lse3(xp, e1, e2, xp.full_like(e1, ninf))
        empty = in_len == 0
        nll = xp.where(empty, xp.where(tg_len == 0, 0, np.inf), nll)
        ctx.save_for_backward(lp, alpha, emit, ext, skip, nll)
        ctx.in_len, ctx.tg_len, ctx.zero_infinity = in_len, tg_len, zero_infinity
        if zero_infinity:
            nll = xp.where(xp.isinf(nll), 0.0, nll)
        return nll.astype(ctx.dtype)

    @staticmethod
    def backward(ctx, g):
        lp, alpha, emit, ext, skip, nll = ctx.saved_tensors
        xp = array_module(lp)
        in_len, tg_len = ctx.in_len, ctx.tg_len
        t_max, n, c = lp.shape
        states = ext.shape[1]
        ninf = lp.dtype.type(-np.inf)
        s_idx = xp.arange(states)
        # beta_t(s) includes y_t(l'_s); it starts at each sample's last frame in the two final
        # states, and may come from s + 2 when l'_{s+2} differs from l'_s
        top = 2 * tg_len[:, None]
        start = (s_idx[None, :] == top) | ((s_idx[None, :] == top - 1) & (tg_len[:, None] > 0))
        skip_up = xp.zeros_like(skip)
        skip_up[:, :-2] = skip[:, 2:]
        beta = xp.full((t_max, n, states), ninf, dtype=lp.dtype)
        nxt = xp.full((n, states), ninf, dtype=lp.dtype)
        for t in range(t_max - 1, -1, -1):
            b1 = xp.full_like(nxt, ninf)
            b1[:, :-1] = nxt[:, 1:]
            b2 = xp.full_like(nxt, ninf)
            b2[:, :-2] = nxt[:, 2:]
            rec = _lse3(xp, nxt, b1, xp.where(skip_up, b2, ninf)) + emit[t]
            init = xp.where(start, emit[t], ninf)
            at_end = (t == in_len - 1)[:, None]
            before = (t < in_len - 1)[:, None]
            nxt = xp.where(at_end, init, xp.where(before, rec, ninf))
            beta[t] = nxt
        # log sum_{s: l'_s = c} alpha_t(s) beta_t(s), gathered per class
        ab = alpha + beta  # (T, N, states)
        m = ab.max(axis=2, keepdims=True)
        m = xp.where(xp.isneginf(m), 0, m)
        onehot = (ext[:, :, None] == xp.arange(c)[None, None, :]).astype(lp.dtype)
        summed = xp.einsum("tns,nsc->tnc", xp.exp(ab - m), onehot)
        with np.errstate(divide="ignore"):
            lcab = xp.log(summed) + m
        with np.errstate(over="ignore", invalid="ignore"):
            grad = xp.exp(lp) - xp.exp(lcab + nll[None, :, None] - lp)
        grad *= g.reshape(1, n, 1).astype(np.float64)
        valid_t = xp.arange(t_max)[:, None] < in_len[None, :]
        grad = xp.where(valid_t[:, :, None], grad, lp.dtype.type(0))
        if ctx.zero_infinity:
            grad = xp.where(xp.isinf(nll)[None, :, None], lp.dtype.type(0), grad)
        return grad.astype(ctx.dtype), None, None, None, None, None


def _lengths(op, name, v, n):
    if isinstance(v, Tensor):
        v = v._data
    a = np.asarray(v.get() if hasattr(v, "get") else v)
    if a.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: {name} must be integers, got dtype {a.dtype}")
    a = a.reshape(-1).astype(np.int64)
    if a.shape[0] != n:
        raise RuntimeError(f"{op}: expected {name} to have {n} values (one per batch entry), "
                           f"got {a.shape[0]}")
    if a.size and a.min() < 0:
        raise RuntimeError(f"{op}: {name} must be non-negative, got {a.tolist()}")
    return a


@autocast.float32
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """The CTC loss -log p(target | log_probs), summed over all alignments (module docstring).

    ``log_probs`` are log-probabilities (usually ``log_softmax(logits, 2)``) of the C classes at
    each of T frames; ``targets`` are class indices (never ``blank``), either padded (N, S) or
    all sequences concatenated (sum(target_lengths),). ``input_lengths`` and
    ``target_lengths`` give each sample's number of frames and labels. 'mean' divides each
    loss by its target length (at least 1) and then averages over the batch, as PyTorch does.
    ``zero_infinity=True`` sets impossible alignments' infinite losses (and their gradients)
    to 0.

    Shape: log_probs (T, N, C) or (T, C); targets (N, S), (sum(target_lengths),) or (S,);
    input_lengths and target_lengths (N,) (or scalars unbatched) -> (N,) with 'none', else a
    scalar.
    """
    op = "ctc_loss"
    reduction = _R.get_reduction(op, reduction)
    _R.check_float(log_probs, op, "log_probs")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(f"{op}: expected log_probs of shape (T, N, C) or (T, C), got "
                           f"{tuple(log_probs.shape)}")
    unbatched = log_probs.ndim == 2
    lp = log_probs.unsqueeze(1) if unbatched else log_probs
    t_max, n, c = lp.shape
    if not 0 <= blank < c:
        raise RuntimeError(f"{op}: blank must be in label range [0, {c}), got {blank}")
    tg = targets._data if isinstance(targets, Tensor) else np.asarray(targets)
    tg = np.asarray(tg.get() if hasattr(tg, "get") else tg)
    if tg.dtype.kind not in "iu":
        raise RuntimeError(f"{op}: targets must be integer class indices, got dtype {tg.dtype}")
    in_len = _lengths(op, "input_lengths", input_lengths, n)
    tg_len = _lengths(op, "target_lengths", target_lengths, n)
    if unbatched:
        tg = tg.reshape(1, -1)
    if tg.ndim == 1:  # concatenated targets
        if tg.shape[0] != tg_len.sum():
            raise RuntimeError(f"{op}: concatenated targets have {tg.shape[0]} labels but "
                               f"target_lengths sum to {int(tg_len.sum())}")
        padded = np.full((n, max(int(tg_len.max(initial=0)), 1)), blank, np.int64)
        offsets = np.concatenate([[0], np.cumsum(tg_len)[:-1]])
        for b in range(n):
            padded[b, :tg_len[b]] = tg[offsets[b]:offsets[b] + tg_len[b]]
        tg = padded
    elif tg.ndim != 2 or tg.shape[0] != n:
        raise RuntimeError(f"{op}: expected targets of shape (N={n}, S) or concatenated "
                           f"(sum(target_lengths),), got {tuple(tg.shape)}")
    if in_len.size and in_len.max() > t_max:
        raise RuntimeError(f"{op}: Expected input_lengths to have value at most {t_max}, but "
                           f"got value {int(in_len.max())}")
    if tg_len.size and tg_len.max() > tg.shape[1]:
        raise RuntimeError(f"{op}: Expected tensor to have size at least {int(tg_len.max())} at "
                           f"dimension 1, but got size {tg.shape[1]} for targets")
    tg = tg.astype(np.int64)
    used = np.arange(tg.shape[1])[None, :] < tg_len[:, None]
    if used.any() and (tg[used].min() < 0 or tg[used].max() >= c):
        raise RuntimeError(f"{op}: target labels must be in [0, {c}), got values in "
                           f"[{int(tg[used].min())}, {int(tg[used].max())}]")
    xp = array_module(lp._data)
    nll = CTC.apply(lp, xp.asarray(tg), xp.asarray(in_len), xp.asarray(tg_len), int(blank),
                    bool(zero_infinity))
    if reduction == "mean":
        div = Tensor._make(xp.asarray(np.maximum(tg_len, 1).astype(lp.dtype)), False)
        return (nll / div).mean()
    if reduction == "sum":
        return nll.sum()
    return nll.squeeze(0) if unbatched else nll
