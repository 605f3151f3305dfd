"""Classification losses: cross-entropy, negative log-likelihood, KL divergence.

Cross-entropy with class indices is one fused Function (log-softmax + NLL). For logits x and
label y, with p = softmax(x), the loss is -log p_y = logsumexp(x) - x_y, and its gradient is

    dL/dx = p - e_y       (softmax minus the one-hot label; lectures: "its gradient softmax - y")

so the backward pass is one subtraction: no Jacobian of the softmax is ever formed. Class weights,
``ignore_index`` and label smoothing only rescale that formula (see ``_ce_backward``).
"""

from __future__ import annotations

import warnings

import numpy as np

from ... import backend
from ...autograd import Function, Relabel
from ...backend import array_module, compute_in_float32
from ...functions import where
from ...ops import autocast
from . import _reduction as _R
from .softmax_family import log_softmax

__all__ = ["cross_entropy", "nll_loss", "kl_div"]


# ----------------------------------------------------------------------------- class indices
def _flatten_classes(x, y):
    """(N, C, d1, ...) and (N, d1, ...) -> (M, C) and (M,); also (C,) and () -> (1, C), (1,)."""
    if x.ndim == 1:
        return x[None, :], y.reshape(1)
    if x.ndim == 2:
        return x, y
    xp = array_module(x)
    return xp.moveaxis(x, 1, -1).reshape(-1, x.shape[1]), y.reshape(-1)


def _unflatten_grad(g2, shape):
    if len(shape) == 1:
        return g2[0]
    if len(shape) == 2:
        return g2
    xp = array_module(g2)
    return xp.moveaxis(g2.reshape((shape[0],) + shape[2:] + (shape[1],)), -1, 1)


def _flatten_classes_t(t):
    """``_flatten_classes`` on a Tensor: (N, C, d1, ...) -> (M, C)."""
    if t.ndim == 1:
        return t.unsqueeze(0)
    if t.ndim == 2:
        return t
    return t.movedim(1, -1).reshape(-1, t.shape[1])


def _unflatten_grad_t(t, shape):
    """``_unflatten_grad`` on a Tensor: (M, C) back to the input's ``shape``."""
    if len(shape) == 1:
        return t[0]
    if len(shape) == 2:
        return t
    return t.reshape((shape[0],) + tuple(shape[2:]) + (shape[1],)).movedim(-1, 1)


def _loss_scale(g, reduction, denom):
    """How the upstream gradient Tensor multiplies each row: a scalar for mean/sum, a column
    for 'none'."""
    if reduction == "mean":
        return g / denom if denom else g * 0
    if reduction == "sum":
        return g
    return g.reshape(-1, 1)


def _sample_weights(y, w, has_ignore, ignore_index, dtype, xp):
    """Per-sample weights w[y_i] (0 where y_i == ignore_index; None when all are 1), the mask
    of valid samples (None when all are valid) and labels made safe to index with."""
    valid = (y != ignore_index) if has_ignore else None
    ysafe = y if valid is None else xp.where(valid, y, 0)
    if w is None:
        wy = None if valid is None else valid.astype(dtype)
    else:
        wy = w[ysafe].astype(dtype, copy=False)
        if valid is not None:
            wy = wy * valid
    return ysafe, wy, valid


class _CrossEntropy(Function):
    """Fused log-softmax + NLL over class indices, on a (M, C) view of the logits."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, y, w, has_ignore, ignore_index, reduction, eps):
        shape = x.shape
        x2, y2 = _flatten_classes(x, y)
        xp = array_module(x2)
        m, c = x2.shape
        t = x2.dtype.type
        ysafe, wy, valid = _sample_weights(y2, w, has_ignore, ignore_index, x2.dtype, xp)
        # Stable log-softmax: shift by the row max (softmax is shift invariant).
        sh = x2 - x2.max(axis=1, keepdims=True)
        rows = xp.arange(m)
        picked = sh[rows, ysafe]
        if eps:
            # -sum_c w_c log p_c = sum(w) lse - sum_c w_c sh_c, needs sh before exp overwrites it
            shw = sh.sum(axis=1) if w is None else sh @ w
        e = xp.exp(sh, out=sh)
        s = e.sum(axis=1)
        lse = xp.log(s)
        loss = lse - picked  # -log p_y
        if wy is not None:
            loss *= wy
        if eps:
            smooth = (t(c) if w is None else w.sum()) * lse - shw
            if valid is not None:
                smooth *= valid
            loss *= t(1 - eps)
            loss += smooth * t(eps / c)
        denom = None
        if reduction == "mean":
            denom = float(m) if wy is None else float(wy.sum())
            out = xp.asarray(loss.sum() / denom if denom else xp.nan, dtype=x2.dtype)
        elif reduction == "sum":
            out = xp.asarray(loss.sum(), dtype=x2.dtype)
        else:
            out = loss.reshape(shape[:1] + shape[2:]) if len(shape) > 1 else loss.reshape(())
        e /= s[:, None]  # e is now softmax(x): all the backward pass needs
        ctx.save_for_backward(e, ysafe, wy, w, valid)
        ctx.c = (shape, reduction, denom, eps)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        p, ysafe, wy, w, valid = ctx.saved_tensors
        shape, reduction, denom, eps = ctx.c
        grad = _ce_backward(p, ysafe, wy, w, valid, g, reduction, denom, eps)
        return (_unflatten_grad(grad, shape),) + (None,) * 6

    @staticmethod
    def differentiable_backward(ctx, g):
        # The formula of _ce_backward on Tensors. Only p = softmax(x) was saved; the logits are
        # log p up to a per-row constant, which softmax ignores, so softmax(log p) rebuilds a
        # differentiable p (Relabel gives it the exact saved value).
        p, y, wy, w, valid = ctx.saved_tensors
        shape, reduction, denom, eps = ctx.c
        xp = array_module(p)
        m, c = p.shape
        t = p.dtype.type
        with np.errstate(divide="ignore"):
            logits = _unflatten_grad(xp.log(p), shape)
        P = Relabel.apply(_flatten_classes_t(ctx.input_tensor(0, logits)).softmax(1), p)
        onehot = xp.zeros((m, c), p.dtype)
        onehot[xp.arange(m), y] = 1
        a = (wy if wy is not None else xp.ones(m, p.dtype)) * t(1 - eps)
        b = xp.zeros(m, p.dtype) if not eps else (
            xp.full(m, eps / c, p.dtype) if valid is None else t(eps / c) * valid)
        sw = t(c) if w is None else w.sum()
        k1 = a + b * sw
        k2 = onehot * a[:, None] + b[:, None] * (1 if w is None else w[None, :])
        grad = ((P * ctx.constant(k1[:, None], g.dtype) - ctx.constant(k2, g.dtype))
                * _loss_scale(g, reduction, denom))
        return (_unflatten_grad_t(grad, shape),) + (None,) * 6


def _ce_backward(p, y, wy, w, valid, g, reduction, denom, eps):
    """d loss_i / d x_i = (1 - eps) w_{y_i} (p_i - e_{y_i}) + (eps / C)(sum(w) p_i - w)."""
    xp = array_module(p)
    m, c = p.shape
    rows = xp.arange(m)
    t = p.dtype.type
    if reduction == "mean":
        # every row is ignored when denom == 0: the loss is NaN but the gradient is 0 (PyTorch)
        scale = (g / t(denom)).astype(p.dtype) if denom else t(0)
        rscale = None
    elif reduction == "sum":
        scale, rscale = g.astype(p.dtype), None
    else:
        scale, rscale = None, g.reshape(-1)
    if not eps:
        # per-row multiplier r of (p - e_y): sample weight, upstream gradient, 1 / denom
        r = wy
        if rscale is not None:
            r = rscale if r is None else r * rscale
        if r is None:
            if scale is None:
                grad = p.copy()
                grad[rows, y] -= 1
            else:
                grad = p * scale  # one pass: (p - e_y) * scale = p * scale - e_y * scale
                grad[rows, y] -= scale
            return grad
        if scale is not None:
            r = r * scale
        grad = p * r[:, None]
        grad[rows, y] -= r
        return grad
    else:
        a = t(1 - eps) * (wy if wy is not None else xp.ones(m, p.dtype))
        sw = t(c) if w is None else w.sum()
        b = xp.full(m, eps / c, p.dtype) if valid is None else t(eps / c) * valid
        grad = p * (a * 1 + b * sw)[:, None]
        grad[rows, y] -= a
        grad -= b[:, None] * (1 if w is None else w[None, :])
        if rscale is not None:
            grad *= rscale[:, None]
    if scale is not None:
        grad *= scale
    return grad


def _check_index_target(op, x, target, num_classes, ignore_index):
    y = target._data
    if y.dtype.kind not in "iu":
        raise RuntimeError(
            f"{op}: target has dtype {y.dtype} and shape {tuple(target.shape)}; class-index "
            f"targets must be integers (int64: use target.long()), and class-probability targets "
            f"must be floating with the input's shape {tuple(x.shape)}")
    want = tuple(x.shape[:1]) + tuple(x.shape[2:]) if x.ndim >= 2 else ()
    if x.ndim >= 2 and y.ndim == len(want) and y.shape[1:] == want[1:] \
            and y.shape[0] != want[0]:  # PyTorch: a ValueError for this one
        raise ValueError(f"{op}: expected input batch_size ({want[0]}) to match target "
                         f"batch_size ({y.shape[0]}); input shape {tuple(x.shape)}, target "
                         f"shape {tuple(y.shape)}")
    if x.ndim == 2 and y.ndim == 0:  # PyTorch reads a 0-d target as a batch of 0: ValueError
        raise ValueError(f"{op}: expected input batch_size ({want[0]}) to match target "
                         f"batch_size (0); the target is 0-d, a batch of one class index has "
                         f"shape (1,)")
    if tuple(y.shape) != want:
        raise RuntimeError(f"{op}: expected target of shape {want} for input of shape "
                           f"{tuple(x.shape)} (classes along dim {1 if x.ndim >= 2 else 0}), "
                           f"got target of shape {tuple(y.shape)}")
    has_ignore = False
    if y.size:
        ymin, ymax = int(y.min()), int(y.max())
        has_ignore = ymin <= ignore_index <= ymax and bool((y == ignore_index).any())
        if ymin < 0 or ymax >= num_classes:
            bad = (y != ignore_index) & ((y < 0) | (y >= num_classes))
            if bool(bad.any()):
                label = int(y[bad].reshape(-1)[0])
                raise IndexError(f"{op}: target label {label} is out of range for {num_classes} "
                                 f"classes (expected 0 <= label < {num_classes}, or "
                                 f"ignore_index={ignore_index})")
    return y.astype(backend.int64, copy=False), has_ignore


def _check_weight(op, weight, c, dtype):
    if weight is None:
        return None
    if tuple(weight.shape) != (c,):
        raise RuntimeError(f"{op}: weight should be defined for all {c} classes (shape ({c},)), "
                           f"got weight of shape {tuple(weight.shape)}")
    return weight._data.astype(dtype, copy=False)


@autocast.float32
def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy between softmax(input) and the target distribution.

    With class indices y: loss_i = -w_{y_i} log softmax(x_i)_{y_i}, and 'mean' divides by
    sum_i w_{y_i} over targets != ignore_index. With class probabilities (e.g. one-hot rows)
    t: loss_i = -sum_c w_c t_ic log softmax(x_i)_c, and 'mean' divides by the number of samples.
    ``label_smoothing`` eps mixes the target with the uniform distribution: (1 - eps) t + eps / C.

    Shape:
        - input: (C,), (N, C) or (N, C, d1, ...) unnormalised logits
        - target: (), (N,) or (N, d1, ...) int64 class indices in [0, C), or floating
          probabilities with the input's shape
        - output: scalar, or the target's shape (indices) / input shape without C with 'none'
    """
    op = "cross_entropy"
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"{op}: label_smoothing must be between 0.0 and 1.0, got "
                           f"{label_smoothing}")
    if input.ndim == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (the classes)")
    cdim = 0 if input.ndim == 1 else 1
    c = input.shape[cdim]
    w = _check_weight(op, weight, c, input.dtype)
    if tuple(target.shape) == tuple(input.shape) and target.is_floating_point():
        return _cross_entropy_probs(input, target, weight, reduction, label_smoothing, cdim)
    if tuple(target.shape) == tuple(input.shape) and not target.is_floating_point():
        raise RuntimeError(f"{op}: target has the input's shape {tuple(input.shape)}, so it is "
                           f"read as class probabilities, which must be floating point (got "
                           f"{target.dtype})")
    y, has_ignore = _check_index_target(op, input, target, c, ignore_index)
    return _CrossEntropy.apply(input, y, w, has_ignore, ignore_index, reduction,
                               float(label_smoothing))


def _cross_entropy_probs(x, t, weight, reduction, eps, cdim):
    c = x.shape[cdim]
    logp = log_softmax(x, cdim)
    if eps:
        t = t * (1 - eps) + eps / c
    terms = logp * t
    if weight is not None:
        terms = terms * weight.to(x.dtype).reshape((c,) + (1,) * (x.ndim - cdim - 1))
    if reduction == "none":
        return -terms.sum(cdim)
    total = -terms.sum()
    if reduction == "sum":
        return total
    n = x.numel() // c if c else 0
    return total / n if n else total * float("nan")


class _NLL(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, x, y, w, has_ignore, ignore_index, reduction):
        shape = x.shape
        x2, y2 = _flatten_classes(x, y)
        xp = array_module(x2)
        ysafe, wy, _ = _sample_weights(y2, w, has_ignore, ignore_index, x2.dtype, xp)
        picked = -x2[xp.arange(x2.shape[0]), ysafe]
        if wy is not None:
            picked = picked * wy
        denom = None
        if reduction == "mean":
            denom = float(x2.shape[0]) if wy is None else float(wy.sum())
            out = xp.asarray(picked.sum() / denom if denom else xp.nan, dtype=x2.dtype)
        elif reduction == "sum":
            out = xp.asarray(picked.sum(), dtype=x2.dtype)
        else:
            out = picked.reshape(shape[:1] + shape[2:]) if len(shape) > 1 else picked.reshape(())
        ctx.save_for_backward(ysafe, wy)
        ctx.c = (shape, x2.shape, x2.dtype, reduction, denom)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        y, wy = ctx.saved_tensors
        shape, shape2, dtype, reduction, denom = ctx.c
        xp = array_module(g)
        grad = xp.zeros(shape2, dtype=dtype)
        v = -(xp.ones(shape2[0], dtype) if wy is None else wy)
        if reduction == "mean":
            v = v * (g / dtype.type(denom)) if denom else v * 0
        elif reduction == "sum":
            v = v * g
        else:
            v = v * g.reshape(-1)
        grad[xp.arange(shape2[0]), y] = v
        return (_unflatten_grad(grad, shape),) + (None,) * 5

    @staticmethod
    def differentiable_backward(ctx, g):
        y, wy = ctx.saved_tensors
        shape, shape2, dtype, reduction, denom = ctx.c
        xp = array_module(g._data)
        m = shape2[0]
        k = xp.zeros(shape2, dtype)
        k[xp.arange(m), y] = -(xp.ones(m, dtype) if wy is None else wy)
        grad = ctx.constant(k, g.dtype) * _loss_scale(g, reduction, denom)
        return (_unflatten_grad_t(grad, shape),) + (None,) * 5


@autocast.float32
def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """Negative log-likelihood: loss_i = -w_{y_i} input[i, y_i] for log-probabilities ``input``
    (e.g. the output of log_softmax). nll_loss(log_softmax(x), y) == cross_entropy(x, y).

    Shape: input (C,), (N, C) or (N, C, d1, ...); target (), (N,) or (N, d1, ...) int64.
    """
    op = "nll_loss"
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    if input.ndim == 0:
        raise RuntimeError(f"{op}: input must have at least 1 dimension (the classes)")
    c = input.shape[0 if input.ndim == 1 else 1]
    w = _check_weight(op, weight, c, input.dtype)
    y, has_ignore = _check_index_target(op, input, target, c, ignore_index)
    return _NLL.apply(input, y, w, has_ignore, ignore_index, reduction)


@autocast.float32
def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """Kullback-Leibler divergence KL(target || exp(input)) for log-probabilities ``input``:
    pointwise t (log t - input) (or e^t (t - input) with ``log_target``), 0 where t = 0.

    reduction='batchmean' (sum / batch size) is the mathematical KL divergence; 'mean' divides by
    every element, as PyTorch does, which is rarely what you want.
    """
    op = "kl_div"
    _R.check_float(input, op, "input")
    _R.check_float(target, op, "target")
    reduction = _R.get_reduction(op, reduction, size_average, reduce, extra=("batchmean",))
    if reduction == "mean" and size_average is None and reduce is None:
        warnings.warn("kl_div: reduction='mean' divides the total loss by both the batch size and "
                      "the support size; 'batchmean' divides only by the batch size, which is "
                      "the KL divergence's definition.", stacklevel=2)
    t = target.to(input.dtype)
    try:
        if log_target:
            pointwise = t.exp() * (t - input)
        else:
            safe = where(t > 0, t, 1.0)  # t log t -> 0 as t -> 0
            pointwise = t * safe.log() - t * input
    except RuntimeError:
        raise RuntimeError(f"{op}: input of shape {tuple(input.shape)} and target of shape "
                           f"{tuple(target.shape)} cannot be broadcast together") from None
    if reduction == "batchmean":
        return pointwise.sum() / input.shape[0] if input.ndim else pointwise.sum()
    return _R.reduce(pointwise, reduction)
