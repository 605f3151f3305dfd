"""Logistic losses: the negative log-likelihood of the Bernoulli (sigmoid) model.

For a logit x and a label t in {0, 1}, p = sigma(x) and the loss is the binary cross-entropy

    -[t log p + (1 - t) log(1 - p)] = (1 - t) x + log(1 + e^-x),      dL/dx = sigma(x) - t,

computed on the logits so that it never takes the log of 0. The same loss appears as
``soft_margin_loss`` (labels y in {-1, 1}: log(1 + e^(-y x))) and, averaged over classes, as
``multilabel_soft_margin_loss``. ``binary_cross_entropy`` takes probabilities instead of logits
(each log clamped at -100, as in PyTorch).
"""

from __future__ import annotations

from ...autograd import Function
from ...backend import array_module, compute_in_float32
from ...ops import autocast
from ...ops.reduce import _quiet
from . import _reduction as _R
from .smooth_activation import logsigmoid

__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "soft_margin_loss",
           "multilabel_soft_margin_loss"]


class _BCE(Function):
    @staticmethod
    @compute_in_float32
    def forward(ctx, x, t):
        xp = array_module(x)
        # PyTorch clamps each log at -100 so that p = 0 or 1 gives a finite loss.
        with _quiet(xp):
            lx = xp.maximum(xp.log(x), -100)
            l1x = xp.maximum(xp.log1p(-x), -100)
        ctx.save_for_backward(x, t, lx, l1x)
        return -(t * lx + (1 - t) * l1x)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        x, t, lx, l1x = ctx.saved_tensors
        xp = array_module(g)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - t) / xp.maximum((1 - x) * x, x.dtype.type(1e-12))
        if ctx.needs_input_grad[1]:
            gt = g * (l1x - lx)
        return gx, gt

    @staticmethod
    def differentiable_backward(ctx, g):
        x, tgt = ctx.saved_tensors[:2]
        X, T = ctx.input_tensor(0, x), ctx.input_tensor(1, tgt)
        nx, nt = ctx.needs_input_grad
        gx = gt = None
        if nx:
            gx = g * (X - T) / ((1 - X) * X).clamp(min=1e-12)
        if nt:
            gt = g * ((-X).log1p().clamp(min=-100) - X.log().clamp(min=-100))
        return gx, gt


@autocast.float32
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """loss = -w [t log p + (1 - t) log(1 - p)] for probabilities p = ``input`` in [0, 1]
    (each log clamped at -100, as in PyTorch). Prefer binary_cross_entropy_with_logits.

    Shape: input, target and the per-element loss ('none') all the same shape.
    """
    op = "binary_cross_entropy"
    _R.check_float(input, op, "input")
    _R.check_float(target, op, "target")
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: using a target size ({tuple(target.shape)}) that is different "
                         f"to the input size ({tuple(input.shape)}) is not supported; please "
                         "ensure they have the same size")
    for name, t in (("input", input), ("target", target)):
        d = t._data
        bad = (d < 0) | (d > 1) if d.size else None
        if bad is not None and bool(bad.any()):
            raise RuntimeError(
                f"{op}: all elements of {name} should be between 0 and 1, got "
                f"{float(d[bad].reshape(-1)[0]):g}" + (" (it takes probabilities; for logits use "
                                                      "binary_cross_entropy_with_logits)"
                                                      if name == "input" else ""))
    loss = _BCE.apply(input, target.to(input.dtype))
    if weight is not None:
        loss = loss * weight.to(input.dtype)
    return _R.reduce(loss, reduction)


class _SoftplusNeg(Function):
    """softplus(-x) = log(1 + e^-x) = max(-x, 0) + log1p(e^-|x|), stable for any |x|."""

    @staticmethod
    def forward(ctx, x):
        xp = array_module(x)
        ctx.save_for_backward(x)
        return xp.maximum(-x, 0) + xp.log1p(xp.exp(-xp.abs(x)))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        xp = array_module(x)
        e = xp.exp(-xp.abs(x))
        sig_neg = xp.where(x >= 0, e / (1 + e), 1 / (1 + e)).astype(x.dtype)  # sigmoid(-x)
        return -g * sig_neg

    @staticmethod
    def differentiable_backward(ctx, g):
        X = ctx.input_tensor(0, ctx.saved_tensors[0])
        return -g * (-X).sigmoid()


@autocast.float32
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None, reduce=None,
                                     reduction="mean", pos_weight=None):
    """BCE on logits x: loss = w [(1 - t) x + (1 + (pos_weight - 1) t) log(1 + e^-x)], which
    equals -w [pos_weight t log sigma(x) + (1 - t) log(1 - sigma(x))] but never takes the log of
    0, so it is stable for logits of any size. Its gradient is sigma(x) - t (without pos_weight).

    Shape: input and target the same shape; ``pos_weight`` broadcasts along the last (class)
    dimension, ``weight`` broadcasts to the input.
    """
    op = "binary_cross_entropy_with_logits"
    _R.check_float(input, op, "input")
    _R.check_float(target, op, "target")
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    if tuple(target.shape) != tuple(input.shape):
        raise ValueError(f"{op}: target size ({tuple(target.shape)}) must be the same as input "
                         f"size ({tuple(input.shape)})")
    t = target.to(input.dtype)
    sp = _SoftplusNeg.apply(input)
    if pos_weight is not None:
        lw = (pos_weight.to(input.dtype) - 1) * t + 1
        loss = (1 - t) * input + lw * sp
    else:
        loss = (1 - t) * input + sp
    if weight is not None:
        loss = loss * weight.to(input.dtype)
    return _R.reduce(loss, reduction)


@autocast.float32
def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)) for labels y in {-1, 1} (logistic loss)."""
    op = "soft_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    return _R.reduce(_SoftplusNeg.apply(_R.pm1_labels(target, input) * input), reduction)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """-(1 / C) sum_c w_c [y_c log sigma(x_c) + (1 - y_c) log sigma(-x_c)]: one binary
    cross-entropy per class, averaged over the C classes.

    Shape: input (N, C), target (N, C) of 0/1 -> (N,) with 'none', else a scalar.
    """
    op = "multilabel_soft_margin_loss"
    reduction = _R.get_reduction(op, reduction, size_average, reduce)
    _R.check_float(input, op, "input")
    _R.check_tensor(target, op, "target")
    y = target if target.dtype == input.dtype else target.to(input.dtype)
    loss = -(y * logsigmoid(input) + (1 - y) * logsigmoid(-input))
    if weight is not None:
        loss = loss * weight
    c = input.shape[input.ndim - 1] if input.ndim else 1
    loss = loss.sum(input.ndim - 1) / c if input.ndim else loss
    return _R.reduce(loss, reduction)
