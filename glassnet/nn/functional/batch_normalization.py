"""Batch normalisation (Ioffe & Szegedy 2015): ``batch_norm``.

Each channel is standardised with statistics pooled over the batch and the spatial positions,
(N, *spatial), then scaled and shifted by gamma, beta (the formulas of normalization.py):

* training: the batch's mean and biased variance, with running estimates updated in place for
  evaluation. ``_BatchNormTrain`` is one fused Function over a (N, C, L) view, its passes run in
  cache-sized chunks of the batch on several threads;
* evaluation: fixed running statistics make it one affine map per channel, ``_BatchNormEval``.
"""

from __future__ import annotations

import numpy as np

from ... import accel
from ...autograd import Function
from ...backend import array_module, compute_in_float32, parallel_slices
from ...tensor import Tensor
from .normalization import (
    _norm_grads,
    _Normalize,
    _onnx_affine,
    _onnx_full,
    _onnx_standardize,
    _rstd,
)

__all__ = ["batch_norm"]


# Elements per chunk of the batch in _BatchNormTrain: the chunk's temporaries stay in cache.
BN_CHUNK = 1 << 17


class _BatchNormTrain(Function):
    """Batch norm with the batch's statistics, as a few passes over cache-sized batch chunks.

    Per channel c, over the m = N * prod(spatial) values x of that channel:

        mean = sum(x) / m,  var = sum((x - mean)^2) / m,  rstd = 1 / sqrt(var + eps)
        y    = (x - mean) * (gamma rstd) + beta

    Backward (g = dL/dy, x_hat = (x - mean) rstd, k = gamma rstd):

        dgamma = sum(g x_hat),  dbeta = sum(g)
        dx     = k (g - dbeta / m - x_hat dgamma / m)

    Only x (the input, alive anyway), mean and rstd are saved. Every temporary is one chunk of
    the batch, so it is written and read again while it is still in cache: each pass streams x
    (and g) from memory once, instead of writing and rereading whole-batch intermediates. The
    batch is split among threads for each pass (NumPy's loops run outside the interpreter lock).
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, w, b, eps, out_stats):
        xp = array_module(x)
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        m = n * x3.shape[2]
        dt = x.dtype
        step = max(1, BN_CHUNK // max(1, c * x3.shape[2]))
        split = _splitter(xp, n, x3.nbytes)
        if accel.available(x3):
            ctx.shape, ctx.step = x.shape, step
            return _BatchNormTrain._forward_compiled(ctx, x3, w, b, eps, out_stats, split)
        mean = sum(split(lambda sl: x3[sl].sum(axis=(0, 2)))) / dt.type(m)
        mean3 = mean.reshape(1, c, 1)

        def var_part(sl):
            acc = xp.zeros(c, dtype=dt)
            tmp = xp.empty((min(step, sl.stop - sl.start),) + x3.shape[1:], dtype=dt)
            for i in range(sl.start, sl.stop, step):
                d = tmp[:min(step, sl.stop - i)]
                xp.subtract(x3[i:min(i + step, sl.stop)], mean3, out=d)
                xp.multiply(d, d, out=d)
                acc += d.sum(axis=(0, 2))
            return acc

        var = sum(split(var_part)) / dt.type(m)
        rstd = 1 / xp.sqrt(var + dt.type(eps))
        k3 = (rstd if w is None else rstd * w).reshape(1, c, 1)
        b3 = None if b is None else b.reshape(1, c, 1)
        out = xp.empty(x3.shape, dtype=dt)

        def out_part(sl):
            for i in range(sl.start, sl.stop, step):
                j = min(i + step, sl.stop)
                o = out[i:j]
                xp.subtract(x3[i:j], mean3, out=o)
                xp.multiply(o, k3, out=o)
                if b3 is not None:
                    xp.add(o, b3, out=o)

        split(out_part)
        if out_stats is not None:
            out_stats.extend((mean, var))
        ctx.save_for_backward(x3, mean, rstd, w)
        ctx.shape, ctx.step = x.shape, step
        return out.reshape(x.shape)

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        x3, mean, rstd, w = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        xp = array_module(g)
        n, c = x3.shape[0], x3.shape[1]
        m = n * x3.shape[2]
        dt = x3.dtype
        step = ctx.step
        g3 = g.reshape(x3.shape)
        mean3 = mean.reshape(1, c, 1)
        split = _splitter(xp, n, x3.nbytes)
        if accel.available(x3, g3):
            return _BatchNormTrain._backward_compiled(ctx, x3, g3, mean, rstd, w, split)

        def sums(sl):
            sg = xp.zeros(c, dtype=dt)    # sum(g)
            sgd = xp.zeros(c, dtype=dt)   # sum(g (x - mean))
            tmp = xp.empty((min(step, sl.stop - sl.start),) + x3.shape[1:], dtype=dt)
            for i in range(sl.start, sl.stop, step):
                j = min(i + step, sl.stop)
                gc = g3[i:j]
                d = tmp[:j - i]
                sg += gc.sum(axis=(0, 2))
                xp.subtract(x3[i:j], mean3, out=d)
                xp.multiply(d, gc, out=d)
                sgd += d.sum(axis=(0, 2))
            return sg, sgd

        parts = split(sums)
        sg = sum(p[0] for p in parts)
        sgx = sum(p[1] for p in parts) * rstd    # sum(g x_hat)
        gx = gw = gb = None
        if nw:
            gw = sgx.reshape(w.shape)
        if nb:
            gb = sg.copy()
        if nx:
            k = rstd if w is None else rstd * w
            inv_m = dt.type(1.0 / m)
            c_d = (-(k * rstd * sgx) * inv_m).reshape(1, c, 1)   # coefficient of (x - mean)
            c_0 = (-(k * sg) * inv_m).reshape(1, c, 1)           # constant term
            k3 = k.reshape(1, c, 1)
            gx = xp.empty(x3.shape, dtype=dt)

            def dx_part(sl):
                tmp = xp.empty((min(step, sl.stop - sl.start),) + x3.shape[1:], dtype=dt)
                for i in range(sl.start, sl.stop, step):
                    j = min(i + step, sl.stop)
                    o = gx[i:j]
                    d = tmp[:j - i]
                    xp.subtract(x3[i:j], mean3, out=o)
                    xp.multiply(o, c_d, out=o)
                    xp.multiply(g3[i:j], k3, out=d)
                    o += d
                    o += c_0

            split(dx_part)
            gx = gx.reshape(ctx.shape)
        return gx, gw, gb, None, None

    @staticmethod
    def _forward_compiled(ctx, x3, w, b, eps, out_stats, split):
        """forward in two compiled passes: the shifted sums, then the normalisation."""
        n, c, length = x3.shape
        m = n * length
        dt = x3.dtype
        # sums of x - shift and of its square, shift = one value of each channel: the variance
        # (S2 - S1^2 / m) / m then keeps its digits even when |mean| >> std
        shift = np.ascontiguousarray(x3[0, :, 0]) if m else np.zeros(c, dt)

        def sums(sl):
            out = np.zeros((2, c))
            _shifted_sums(x3, sl.start, sl.stop, shift, out)
            return out

        s = sum(split(sums))
        mean64 = s[0] / max(m, 1)
        var = np.maximum(s[1] / max(m, 1) - mean64 * mean64, 0.0).astype(dt)
        mean = (mean64 + shift).astype(dt)
        rstd = 1 / np.sqrt(var + dt.type(eps))
        k = rstd if w is None else rstd * w
        beta = np.zeros(c, dt) if b is None else b.astype(dt, copy=False)
        out = np.empty(x3.shape, dtype=dt)
        split(lambda sl: _normalize(x3, sl.start, sl.stop, mean, k, beta, out))
        if out_stats is not None:
            out_stats.extend((mean, var))
        ctx.save_for_backward(x3, mean, rstd, w)
        return out.reshape(ctx.shape)

    @staticmethod
    def _backward_compiled(ctx, x3, g3, mean, rstd, w, split):
        """backward in two compiled passes: sum(g) and sum(g (x - mean)), then dx."""
        nx, nw, nb = ctx.needs_input_grad[:3]
        n, c, length = x3.shape
        m = n * length
        dt = x3.dtype

        def sums(sl):
            out = np.zeros((2, c))
            _grad_sums(x3, g3, sl.start, sl.stop, mean, out)
            return out

        s = sum(split(sums))
        sg = s[0].astype(dt)
        sgx = s[1].astype(dt) * rstd    # sum(g x_hat)
        gx = gw = gb = None
        if nw:
            gw = sgx.reshape(w.shape)
        if nb:
            gb = sg
        if nx:
            k = rstd if w is None else rstd * w
            inv_m = dt.type(1.0 / m)
            c_d = -(k * rstd * sgx) * inv_m   # coefficient of (x - mean)
            c_0 = -(k * sg) * inv_m           # constant term
            gx = np.empty(x3.shape, dtype=dt)
            split(lambda sl: _input_grad(x3, g3, sl.start, sl.stop, mean, c_d, k, c_0, gx))
            gx = gx.reshape(ctx.shape)
        return gx, gw, gb, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        x3, mean, rstd, w = ctx.saved_tensors
        c = x3.shape[1]
        axes, pshape = (0, 2), (1, c, 1)
        X = ctx.input_tensor(0, x3.reshape(ctx.shape)).reshape(x3.shape)
        c_t = X - X.mean(axes, keepdim=True)
        xc = x3 - mean.reshape(pshape)
        var = (xc * xc).mean(axis=axes, keepdims=True)
        rstd3 = rstd.reshape(pshape)
        rstd_t = _rstd((c_t * c_t).mean(axes, keepdim=True), var, rstd3)
        xhat_t = c_t * rstd_t
        W = ctx.input_tensor(1, w) if w is not None else None
        gx, gw, gb = _norm_grads(g.reshape(x3.shape), xhat_t, rstd_t, W, axes, pshape, True,
                                 ctx.needs_input_grad[:3])
        return (gx.reshape(ctx.shape) if gx is not None else None,
                gw.reshape(c) if gw is not None else None,
                gb.reshape(c) if gb is not None else None, None, None)

    @staticmethod
    def to_onnx(g, rec):
        # Written out rather than as BatchNormalization(training_mode=1), whose output runtimes
        # compute differently: the batch's mean and biased variance over (N, *spatial).
        x, w, b, eps = rec.args[:4]
        nd = len(g.shape(x))
        pshape = (1, g.shape(x)[1]) + (1,) * (nd - 2)
        y = _onnx_standardize(g, g.value(x), (0,) + tuple(range(2, nd)), eps, g.operand_dtype())
        g.out(_onnx_affine(g, y, w, b, pshape))


# ---------------------------------------------------------------- compiled passes (accel.py)
# Loops over samples lo..hi-1 of (N, C, L) arrays; each sums one (sample, channel) row in a
# float64 accumulator and adds it to ``out``: the rows' order is fixed, so is the result.
@accel.kernel
def _shifted_sums(x, lo, hi, shift, out):
    """out[0, c] += sum(x[lo:hi, c] - shift[c]); out[1, c] += sum((x[lo:hi, c] - shift[c])^2)."""
    for i in range(lo, hi):
        for ci in range(x.shape[1]):
            k = shift[ci]
            a = 0.0
            q = 0.0
            for j in range(x.shape[2]):
                d = x[i, ci, j] - k
                a += d
                q += d * d
            out[0, ci] += a
            out[1, ci] += q


@accel.kernel
def _normalize(x, lo, hi, mean, k, beta, out):
    """out = (x - mean) k + beta, per channel, for samples lo..hi-1."""
    for i in range(lo, hi):
        for ci in range(x.shape[1]):
            mu = mean[ci]
            kc = k[ci]
            bc = beta[ci]
            for j in range(x.shape[2]):
                out[i, ci, j] = (x[i, ci, j] - mu) * kc + bc


@accel.kernel
def _grad_sums(x, g, lo, hi, mean, out):
    """out[0, c] += sum(g[lo:hi, c]); out[1, c] += sum(g (x - mean[c])) over samples lo..hi-1."""
    for i in range(lo, hi):
        for ci in range(x.shape[1]):
            mu = mean[ci]
            a = 0.0
            q = 0.0
            for j in range(x.shape[2]):
                gv = g[i, ci, j]
                a += gv
                q += gv * (x[i, ci, j] - mu)
            out[0, ci] += a
            out[1, ci] += q


@accel.kernel
def _input_grad(x, g, lo, hi, mean, c_d, k, c_0, out):
    """out = (x - mean) c_d + g k + c_0, per channel, for samples lo..hi-1."""
    for i in range(lo, hi):
        for ci in range(x.shape[1]):
            mu = mean[ci]
            a = c_d[ci]
            kc = k[ci]
            b = c_0[ci]
            for j in range(x.shape[2]):
                out[i, ci, j] = (x[i, ci, j] - mu) * a + g[i, ci, j] * kc + b


def _splitter(xp, n, nbytes):
    """``split(fn)``: the list of ``fn(slice)`` over slices covering range(n), run on several
    threads when the work is large enough (CPU arrays), else one call on the whole range."""

    def split(fn):
        if xp is not np:
            return [fn(slice(0, n))]
        results = {}

        def run(sl):
            results[sl.start] = fn(sl)

        parallel_slices(run, n, nbytes)
        return [results[k] for k in sorted(results)]

    return split


class _BatchNormEval(Function):
    """Batch norm with fixed statistics (eval mode): one affine map per channel.

        y = x * scale + shift,  scale = gamma / sqrt(var + eps),  shift = beta - mean * scale

    Backward: dx = g * scale, dgamma = sum(g (x - mean)) / sqrt(var + eps), dbeta = sum(g).
    """

    @staticmethod
    @compute_in_float32
    def forward(ctx, x, w, b, mean, var, eps):
        xp = array_module(x)
        c = x.shape[1]
        bshape = (1, c) + (1,) * (x.ndim - 2)
        rstd = 1 / xp.sqrt(var + x.dtype.type(eps))
        scale = rstd if w is None else rstd * w
        shift = -mean * scale if b is None else b - mean * scale
        out = xp.multiply(x, scale.reshape(bshape))
        out += shift.reshape(bshape)
        ctx.save_for_backward(x if ctx.needs_input_grad[1] else None, scale, rstd, mean)
        return out

    @staticmethod
    @compute_in_float32
    def backward(ctx, g):
        x, scale, rstd, mean = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        c = g.shape[1]
        bshape = (1, c) + (1,) * (g.ndim - 2)
        axes = (0,) + tuple(range(2, g.ndim))
        gx = g * scale.reshape(bshape) if nx else None
        gw = ((g * (x - mean.reshape(bshape))).sum(axis=axes) * rstd) if nw else None
        gb = g.sum(axis=axes) if nb else None
        return gx, gw, gb, None, None, None

    @staticmethod
    def differentiable_backward(ctx, g):
        x, scale, rstd, mean = ctx.saved_tensors
        nx, nw, nb = ctx.needs_input_grad[:3]
        c = g.shape[1]
        bshape = (1, c) + (1,) * (g.ndim - 2)
        axes = (0,) + tuple(range(2, g.ndim))
        gx = gw = gb = None
        if nx:  # scale = gamma / sqrt(var + eps): a function of the weight
            W = ctx.input_tensor(1, scale / rstd) if ctx.next_edges[1] is not None else None
            k = ctx.constant(scale, g.dtype) if W is None else W * ctx.constant(rstd, g.dtype)
            gx = g * k.reshape(bshape)
        if nw:
            X = ctx.input_tensor(0, x)
            gw = ((g * (X - ctx.constant(mean.reshape(bshape), g.dtype))).sum(axes)
                  * ctx.constant(rstd, g.dtype))
        if nb:
            gb = g.sum(axes)
        return gx, gw, gb, None, None, None

    @staticmethod
    def to_onnx(g, rec):
        x, w, b, mean, var, eps = rec.args
        c = g.shape(x)[1]
        dt = g.operand_dtype()
        wn = g.value(w) if w is not None else _onnx_full(g, c, dt, 1)
        bn = g.value(b) if b is not None else _onnx_full(g, c, dt, 0)
        ins = [g.value(x), wn, bn, g.value(mean), g.value(var)]
        g.out(g.op("BatchNormalization", ins, epsilon=float(eps)))


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-05):
    """Batch normalisation (Ioffe & Szegedy 2015) over channel dim 1.

    Training: normalise with the batch's mean and biased variance over (N, *spatial) and update
    running_mean <- (1 - momentum) running_mean + momentum mean and running_var likewise with the
    *unbiased* variance (n / (n - 1)), in place. Eval (``training=False``): use the running
    statistics.

    Shape: input (N, C), (N, C, L), (N, C, H, W) or (N, C, D, H, W); running stats, weight and
    bias (C,); output like input.
    """
    return _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
                       [])


def _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps, stats):
    """batch_norm; in training ``stats`` receives the batch's (mean, biased var)."""
    if not isinstance(input, Tensor) or not input.is_floating_point():
        raise RuntimeError("batch_norm: expected a floating point input Tensor")
    if input.ndim < 2 and input.numel() == 0:  # nothing to normalise (PyTorch allows it)
        return input.clone()
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected at least 2-D input (N, C, ...), got shape "
                         f"{tuple(input.shape)}")
    c = input.shape[1]
    for name, t in (("weight", weight), ("bias", bias), ("running_mean", running_mean),
                    ("running_var", running_var)):
        if t is not None and t.numel() != c:
            raise RuntimeError(f"batch_norm: {name} should contain {c} elements (one per "
                               f"channel of input {tuple(input.shape)}), got {t.numel()}")
    axes = (0,) + tuple(range(2, input.ndim))
    pshape = (1, c) + (1,) * (input.ndim - 2)
    if training:
        n = input.numel() // c if c else 0
        if n <= 1:
            raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                             f"got input size {tuple(input.shape)}")
        if (weight is None or weight._data.shape == (c,)) and (bias is None
                                                              or bias._data.shape == (c,)):
            out = _BatchNormTrain.apply(input, weight, bias, eps, stats)
        else:
            out = _Normalize.apply(input, weight, bias, None, axes, pshape, eps, None, stats)
        if running_mean is not None or running_var is not None:
            mean, var = stats[0].reshape(-1), stats[1].reshape(-1)
            m = running_mean._data.dtype.type(momentum) if running_mean is not None else momentum
            if running_mean is not None:
                rm = running_mean._data
                rm *= 1 - m
                rm += m * mean.astype(rm.dtype, copy=False)
            if running_var is not None:
                rv = running_var._data
                rv *= 1 - m
                rv += (m * (var * (n / (n - 1)))).astype(rv.dtype, copy=False)
        return out
    if running_mean is None or running_var is None:
        raise RuntimeError("batch_norm: running_mean and running_var must be given when "
                           "training=False")
    dt = input._data.dtype
    rm = running_mean._data.reshape(-1).astype(dt, copy=False)
    rv = running_var._data.reshape(-1).astype(dt, copy=False)
    if (weight is None or weight._data.shape == (c,)) and (
            bias is None or bias._data.shape == (c,)):
        return _BatchNormEval.apply(input, weight, bias, rm, rv, eps)
    st = (rm.reshape(pshape), rv.reshape(pshape))
    return _Normalize.apply(input, weight, bias, None, axes, pshape, eps, st, None)


def native_batch_norm(input, weight, bias, running_mean, running_var, training, momentum, eps):
    """torch.native_batch_norm: ``batch_norm`` (torch's argument order) together with
    (save_mean, save_invstd), the batch's per-channel mean and 1 / sqrt(var + eps), returned
    without gradient; in eval mode both are empty, as in PyTorch."""
    stats = []
    out = _batch_norm(input, running_mean, running_var, weight, bias, training, momentum, eps,
                      stats)
    if not stats:
        empty = out._data[:0].reshape(0)
        return out, Tensor._make(empty.copy(), False), Tensor._make(empty.copy(), False)
    mean, var = (a.reshape(-1) for a in stats)
    rstd = 1 / array_module(var).sqrt(var + var.dtype.type(eps))
    return out, Tensor._make(mean, False), Tensor._make(rstd, False)
