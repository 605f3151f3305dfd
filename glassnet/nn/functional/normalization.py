"""Normalisation layers' maths: layer, group, instance and RMS norm, ``normalize``, and the
general Function batch norm shares (batch_normalization.py).

All four norms standardise x over some axes and then apply a learned affine map:

    x_hat = (x - mean) / sqrt(var + eps)        (var biased: divided by n)
    y     = gamma * x_hat + beta

They differ only in the axes: batch norm pools over (N, *spatial) per channel, layer norm over the
trailing ``normalized_shape``, group norm over channel groups and space per sample, instance norm
over space per sample and channel. So there is one fused Function, ``_Normalize``, with the
closed-form backward (n = number of pooled values, g_hat = dL/dx_hat = g * gamma):

    dL/dx = (1 / sqrt(var + eps)) (g_hat - mean(g_hat) - x_hat mean(g_hat x_hat))

instead of a graph of a dozen elementwise and reduction nodes. ``rms_norm`` drops the centring
(x / sqrt(mean(x^2) + eps) * weight) and is a composition of Tensor operations.
"""

from __future__ import annotations

import numpy as np

from ... import backend
from ...autograd import Function, Relabel
from ...autograd.function import unbroadcast
from ...backend import array_module, compute_in_float32
from ...tensor import Tensor

__all__ = ["layer_norm", "group_norm", "instance_norm", "rms_norm", "normalize",
           "local_response_norm"]


class _Normalize(Function):
    """Normalise ``x`` (viewed as ``view``) over ``axes`` and apply gamma, beta (viewed as
    ``pshape``). With ``stats`` = (mean, var) given, those constants are used instead of the
    batch's (batch norm in eval mode); ``out_stats`` receives the batch's (mean, biased var)."""

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, w, b, view, axes, pshape, eps, stats, out_stats):
        xp = array_module(x)
        shape = x.shape
        xv = x.reshape(view) if view is not None else x
        if stats is None:
            mean = xv.mean(axis=axes, keepdims=True)
            xc = xv - mean
            var = (xc * xc).mean(axis=axes, keepdims=True)
            if out_stats is not None:
                out_stats.extend((mean, var))
        else:
            mean, var = stats
            xc = xv - mean
        rstd = 1 / xp.sqrt(var + x.dtype.type(eps))
        xhat = xc
        xhat *= rstd
        out = xhat if w is None else xhat * w.reshape(pshape)
        if b is not None:
            if out is xhat:
                out = xhat + b.reshape(pshape)
            else:
                out += b.reshape(pshape)
        ctx.save_for_backward(xhat, rstd, w)
        ctx.c = (shape, axes, pshape, stats is None, None if w is None else w.shape,
                 None if b is None else b.shape)
        return out.reshape(shape)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        xhat, rstd, w = ctx.saved_tensors
        shape, axes, pshape, batch_stats, wshape, bshape = ctx.c
        nx, nw, nb = ctx.needs_input_grad[:3]
        gv = g.reshape(xhat.shape)
        gx = gw = gb = None
        if nw:
            gw = unbroadcast(gv * xhat, pshape).reshape(wshape)
        if nb:
            gb = unbroadcast(gv, pshape).reshape(bshape)
        if nx:
            gh = gv * w.reshape(pshape) if w is not None else gv
            if batch_stats:
                # d/dx of (x - mean) / std, where mean and std are themselves functions of x
                gx = gh - gh.mean(axis=axes, keepdims=True)
                gx -= xhat * (gh * xhat).mean(axis=axes, keepdims=True)
                gx *= rstd
            else:
                gx = gh * rstd
            gx = gx.reshape(shape)
        return (gx, gw, gb) + (None,) * 6

    @staticmethod
    def differentiable_backward(ctx, g):
        # Only x_hat and 1/std were saved; x - mean = x_hat / rstd is the input up to a shift,
        # which normalisation ignores, so it rebuilds a differentiable x_hat from the input.
        xhat, rstd, w = ctx.saved_tensors
        shape, axes, pshape, batch_stats, wshape, bshape = ctx.c
        needs = ctx.needs_input_grad[:3]
        xc = xhat / rstd
        X = ctx.input_tensor(0, xc.reshape(shape)).reshape(xhat.shape)
        if batch_stats:
            c_t = X - X.mean(axes, keepdim=True)
            var = (xc * xc).mean(axis=axes, keepdims=True)
            rstd_t = _rstd((c_t * c_t).mean(axes, keepdim=True), var, rstd)
            xhat_t = Relabel.apply(c_t * rstd_t, xhat)
        else:
            rstd_t = ctx.constant(rstd, g.dtype)  # fixed statistics: x_hat is affine in x
            xhat_t = Relabel.apply(X * rstd_t, xhat)
        W = ctx.input_tensor(1, w) if w is not None else None
        gx, gw, gb = _norm_grads(g.reshape(xhat.shape), xhat_t, rstd_t, W, axes, pshape,
                                 batch_stats, needs)
        return (gx.reshape(shape) if gx is not None else None,
                gw.reshape(wshape) if gw is not None else None,
                gb.reshape(bshape) if gb is not None else None) + (None,) * 6

    @staticmethod
    def to_onnx(g, rec):
        x, w, b, view, axes, pshape, eps, stats = rec.args[:8]
        dt = g.operand_dtype()
        shape = g.shape(x)
        name = g.value(x)
        nd = len(shape)
        k = len(axes)
        layer = (view is None and stats is None and tuple(axes) == tuple(range(nd - k, nd))
                 and tuple(pshape) == (1,) * (nd - k) + tuple(shape[nd - k:]))
        if layer and g.opset >= 17:
            ns = tuple(shape[nd - k:])
            wn = g.value(w) if w is not None else g.const(np.ones(ns, dt))
            ins = [name, wn] + ([g.value(b)] if b is not None else [])
            g.out(g.op("LayerNormalization", ins, axis=nd - k, epsilon=float(eps)))
            return
        # (x - mean) / sqrt(var + eps) * gamma + beta, written out
        xv = name if view is None else g.op(
            "Reshape", [name, g.ints(view, kind="reshape", info=shape)])
        vshape = tuple(view) if view is not None else shape
        y = _onnx_affine(g, _onnx_standardize(g, xv, axes, eps, dt, stats), w, b, pshape)
        if view is not None:
            y = g.op("Reshape", [y, g.ints(shape, kind="reshape", info=vshape)])
        g.out(y)


def _rstd(var_t, var, rstd):
    """1 / sqrt(var + eps) as a Tensor of var_t. eps is not saved, but var + eps = 1 / rstd^2:
    the constant var + eps - var_t shifts var_t onto it."""
    shift = (1 / (rstd.astype(np.float64) ** 2) - var).astype(rstd.dtype)
    return Relabel.apply((var_t + Tensor._make(shift, False)).rsqrt(), rstd)


def _norm_grads(gv, xhat_t, rstd_t, W, axes, pshape, batch_stats, needs):
    """The closed-form gradients of the module docstring, on Tensors."""
    nx, nw, nb = needs
    gx = gw = gb = None
    if nw:
        gw = (gv * xhat_t).sum_to_size(pshape)
    if nb:
        gb = gv.sum_to_size(pshape)
    if nx:
        gh = gv * W.reshape(pshape) if W is not None else gv
        if batch_stats:
            gx = (gh - gh.mean(axes, keepdim=True)
                  - xhat_t * (gh * xhat_t).mean(axes, keepdim=True)) * rstd_t
        else:
            gx = gh * rstd_t
    return gx, gw, gb


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Layer normalisation (Ba et al. 2016): each sample normalised over its trailing
    ``normalized_shape`` dims, independently of the batch (same in train and eval).

    Shape: input (*, *normalized_shape); weight, bias ``normalized_shape``; output like input.
    """
    return _layer_norm(input, normalized_shape, weight, bias, eps, None)


def _layer_norm(input, normalized_shape, weight, bias, eps, out_stats):
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != ns or input.ndim < k:
        raise RuntimeError(f"layer_norm: given normalized_shape={list(ns)}, expected input with "
                           f"shape [*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(input.shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != ns:
            raise RuntimeError(f"layer_norm: {name} must have shape {ns}, got {tuple(t.shape)}")
    axes = tuple(range(input.ndim - k, input.ndim))
    pshape = (1,) * (input.ndim - k) + ns
    return _Normalize.apply(input, weight, bias, None, axes, pshape, eps, None, out_stats)


def native_layer_norm(input, normalized_shape, weight, bias, eps):
    """torch.native_layer_norm: ``layer_norm`` together with its statistics, (out, mean, rstd)
    with mean and rstd = 1 / sqrt(var + eps) of shape input.shape[:-k] + (1,) * k (k =
    len(normalized_shape)). The statistics are returned without gradient, as in PyTorch."""
    stats = []
    out = _layer_norm(input, normalized_shape, weight, bias, eps, stats)
    return (out,) + _stats_tensors(stats, eps, stats[0].shape if stats else None)


def _stats_tensors(stats, eps, shape):
    """(mean, rstd) Tensors of ``shape`` from the (mean, biased var) a _Normalize forward
    reported."""
    mean, var = stats
    rstd = 1 / array_module(var).sqrt(var + var.dtype.type(eps))
    return Tensor._make(mean.reshape(shape), False), Tensor._make(rstd.reshape(shape), False)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Group normalisation (Wu & He 2018): channels split into ``num_groups`` groups; each sample
    normalised over each group's channels and all spatial positions; per-channel affine.

    Shape: input (N, C, *); weight, bias (C,); C divisible by num_groups.
    """
    return _group_norm(input, num_groups, weight, bias, eps, None)


def _group_norm(input, num_groups, weight, bias, eps, out_stats):
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input (N, C, *), got {tuple(input.shape)}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input ({c}) to be "
                           f"divisible by num_groups ({num_groups})")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and tuple(t.shape) != (c,):
            raise RuntimeError(f"group_norm: expected {name} to be a vector of size equal to the "
                               f"number of channels in input ({c}), but got {name} of shape "
                               f"{tuple(t.shape)} and input of shape {tuple(input.shape)}")
    view = (n, num_groups, c // num_groups) + tuple(input.shape[2:])
    axes = tuple(range(2, len(view)))
    pshape = (1, num_groups, c // num_groups) + (1,) * (input.ndim - 2)
    return _Normalize.apply(input, weight, bias, view, axes, pshape, eps, None, out_stats)


def native_group_norm(input, weight, bias, N, C, HxW, group, eps):
    """torch.native_group_norm: ``group_norm`` of input viewed as (N, C, HxW) plus its
    statistics, (out, mean, rstd) with mean and rstd = 1 / sqrt(var + eps) of shape
    (N, group), returned without gradient."""
    if input.numel() != N * C * HxW or (input.ndim >= 2 and tuple(input.shape[:2]) != (N, C)):
        raise RuntimeError(f"native_group_norm: expected input of N * C * HxW = {N} * {C} * "
                           f"{HxW} elements with shape (N, C, ...), got {tuple(input.shape)}")
    stats = []
    out = _group_norm(input, group, weight, bias, eps, stats)
    return (out,) + _stats_tensors(stats, eps, (N, group))


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-05):
    """Instance normalisation (Ulyanov et al. 2016): each (sample, channel) normalised over its
    spatial positions. Running statistics, if given, average the per-instance statistics.

    Shape: input (N, C, *spatial); weight, bias, running stats (C,).
    """
    if input.ndim < 3:
        raise RuntimeError(f"instance_norm: expected input (N, C, *spatial), got "
                           f"{tuple(input.shape)}")
    c = input.shape[1]
    axes = tuple(range(2, input.ndim))
    pshape = (1, c) + (1,) * (input.ndim - 2)
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise RuntimeError("instance_norm: running statistics are needed when "
                               "use_input_stats=False")
        st = (running_mean._data.reshape(pshape), running_var._data.reshape(pshape))
        return _Normalize.apply(input, weight, bias, None, axes, pshape, eps, st, None)
    stats = []
    out = _Normalize.apply(input, weight, bias, None, axes, pshape, eps, None, stats)
    if running_mean is not None:
        s = 1
        for d in axes:
            s *= input.shape[d]
        mean = stats[0].reshape(input.shape[0], c).mean(axis=0)
        var = (stats[1] * (s / max(s - 1, 1))).reshape(input.shape[0], c).mean(axis=0)
        running_mean._data[...] = (1 - momentum) * running_mean._data + momentum * mean
        running_var._data[...] = (1 - momentum) * running_var._data + momentum * var
    return out


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """y = x * rsqrt(mean(x^2 over normalized_shape) + eps) * weight.

    ``eps=None`` uses the machine epsilon of the input's dtype (``torch.finfo(dtype).eps``), as
    PyTorch does.

    Shape: input (*, *normalized_shape); weight normalized_shape; output like input.
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"rms_norm: input must be a Tensor, got {type(input).__name__}")
    ns = (int(normalized_shape),) if isinstance(normalized_shape, (int, np.integer)) \
        else tuple(int(s) for s in normalized_shape)
    k = len(ns)
    if k == 0 or tuple(input.shape[input.ndim - k:]) != ns or input.ndim < k:
        raise RuntimeError(f"rms_norm: given normalized_shape={list(ns)}, expected input with "
                           f"shape [*, {', '.join(map(str, ns))}], but got input of size "
                           f"{list(input.shape)}")
    if weight is not None and tuple(weight.shape) != ns:
        raise RuntimeError(f"rms_norm: weight of shape {tuple(weight.shape)} does not match "
                           f"normalized_shape {ns}")
    if not input.is_floating_point():
        raise RuntimeError(f"rms_norm: expected a floating input, got {input.dtype}")
    eps = float(backend.finfo(input.dtype).eps) if eps is None else eps
    dims = tuple(range(input.ndim - k, input.ndim))
    out = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return out * weight if weight is not None else out


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along ``dim`` (unit vectors). A zero vector stays zero and gets the
    gradient g / eps, as in PyTorch (the norm's gradient at 0 is taken as 0, not NaN)."""
    from .distance import vector_norm

    return input / vector_norm(input, p, dim, keepdim=True).clamp(min=eps)


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """AlexNet's local response normalisation across channels:
    b_c = a_c / (k + alpha / size * sum_{c' near c} a_{c'}^2)^beta, the window of ``size``
    channels centred on c (zero-padded at the ends).

    Shape: input (N, C, *).
    """
    from ...functions import cat

    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected 3-D or higher input, got "
                         f"{tuple(input.shape)}")
    sq = input * input
    c = input.shape[1]
    zeros_front = Tensor._make(array_module(input._data).zeros(
        (input.shape[0], size // 2) + tuple(input.shape[2:]), input.dtype), False)
    zeros_back = Tensor._make(array_module(input._data).zeros(
        (input.shape[0], (size - 1) // 2) + tuple(input.shape[2:]), input.dtype), False)
    padded = cat([zeros_front, sq, zeros_back], dim=1)
    win = padded.narrow(1, 0, c)
    for i in range(1, size):
        win = win + padded.narrow(1, i, c)
    div = (win * (alpha / size) + k) ** beta
    return input / div


# ----------------------------------------------------------------------------- ONNX
def _onnx_full(g, c, dt, value):
    return g.const(np.full((c,), value, dtype=dt))


def _onnx_standardize(g, xv, axes, eps, dt, stats=None):
    """(x - mean) / sqrt(var + eps), with the batch's statistics or the given ones."""
    if stats is None:
        mean = g.reduce("ReduceMean", xv, axes, True)
        xc = g.op("Sub", [xv, mean])
        var = g.reduce("ReduceMean", g.op("Mul", [xc, xc]), axes, True)
    else:
        xc = g.op("Sub", [xv, g.value(stats[0])])
        var = g.value(stats[1])
    return g.op("Div", [xc, g.op("Sqrt", [g.op("Add", [var, g.scalar(eps, dt)])])])


def _onnx_affine(g, y, w, b, pshape):
    for p, op in ((w, "Mul"), (b, "Add")):
        if p is not None:
            y = g.op(op, [y, g.op("Reshape", [g.value(p), g.ints(pshape)])])
    return y
