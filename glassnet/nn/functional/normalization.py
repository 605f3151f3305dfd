"""Normalisation layers' maths: batch, layer, group and instance norm, and ``normalize``.

All four norms standardise x over some axes and then apply a learned affine map:

    x_hat = (x - mean) / sqrt(var + eps)        (var biased: divided by n)
    y     = gamma * x_hat + beta

They differ only in the axes: batch norm pools over (N, *spatial) per channel, layer norm over the
trailing ``normalized_shape``, group norm over channel groups and space per sample, instance norm
over space per sample and channel. So there is one fused Function, ``_Normalize``, with the
closed-form backward (n = number of pooled values, g_hat = dL/dx_hat = g * gamma):

    dL/dx = (1 / sqrt(var + eps)) (g_hat - mean(g_hat) - x_hat mean(g_hat x_hat))

instead of a graph of a dozen elementwise and reduction nodes.
"""

from __future__ import annotations

from ...autograd import Function
from ...backend import array_module
from ...ops.elementwise import unbroadcast
from ...tensor import Tensor

__all__ = ["batch_norm", "layer_norm", "group_norm", "instance_norm", "normalize",
           "local_response_norm"]


class _Normalize(Function):
    """Normalise ``x`` (viewed as ``view``) over ``axes`` and apply gamma, beta (viewed as
    ``pshape``). With ``stats`` = (mean, var) given, those constants are used instead of the
    batch's (batch norm in eval mode); ``out_stats`` receives the batch's (mean, biased var)."""

    @staticmethod
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
    def forward(ctx, x, w, b, eps, out_stats):
        xp = array_module(x)
        n, c = x.shape[0], x.shape[1]
        x3 = x.reshape(n, c, -1)
        m = n * x3.shape[2]
        dt = x.dtype
        step = max(1, BN_CHUNK // max(1, c * x3.shape[2]))
        split = _splitter(xp, n, x3.nbytes)
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


def _splitter(xp, n, nbytes):
    """``split(fn)``: the list of ``fn(slice)`` over slices covering range(n), run on several
    threads when the work is large enough (CPU arrays), else one call on the whole range."""
    import numpy as np

    from .conv_kernels import parallel_slices

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
    if not isinstance(input, Tensor) or input._data.dtype.kind != "f":
        raise RuntimeError("batch_norm: expected a floating point input Tensor")
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
        stats = []
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
    if (weight is None or weight._data.shape == (c,)) and (bias is None or bias._data.shape == (c,)):
        return _BatchNormEval.apply(input, weight, bias, rm, rv, eps)
    st = (rm.reshape(pshape), rv.reshape(pshape))
    return _Normalize.apply(input, weight, bias, None, axes, pshape, eps, st, None)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-05):
    """Layer normalisation (Ba et al. 2016): each sample normalised over its trailing
    ``normalized_shape`` dims, independently of the batch (same in train and eval).

    Shape: input (*, *normalized_shape); weight, bias ``normalized_shape``; output like input.
    """
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
    return _Normalize.apply(input, weight, bias, None, axes, pshape, eps, None, None)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-05):
    """Group normalisation (Wu & He 2018): channels split into ``num_groups`` groups; each sample
    normalised over each group's channels and all spatial positions; per-channel affine.

    Shape: input (N, C, *); weight, bias (C,); C divisible by num_groups.
    """
    if input.ndim < 2:
        raise RuntimeError(f"group_norm: expected input (N, C, *), got {tuple(input.shape)}")
    n, c = input.shape[:2]
    if c % num_groups:
        raise RuntimeError(f"group_norm: expected number of channels in input ({c}) to be "
                           f"divisible by num_groups ({num_groups})")
    view = (n, num_groups, c // num_groups) + tuple(input.shape[2:])
    axes = tuple(range(2, len(view)))
    pshape = (1, num_groups, c // num_groups) + (1,) * (input.ndim - 2)
    return _Normalize.apply(input, weight, bias, view, axes, pshape, eps, None, None)


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
