"""Resampling: ``interpolate`` (nearest, linear, bilinear, bicubic, trilinear, area).

Every mode except 'area' is separable: along each spatial dimension an output position o reads
a few input positions ``idx_t[o]`` with weights ``w_t[o]``::

    y[..., o, ...] = sum_t w_t[o] * x[..., idx_t[o], ...]

(nearest: one tap of weight 1; linear: two taps, (1 - lambda) and lambda; bicubic: four taps
of Keys' cubic convolution with a = -0.75). That is multiplication by a sparse matrix A (O, L)
along the dimension, so the gradient is multiplication by A.T, which adds each output gradient
back onto the input pixels it was read from. Source positions follow PyTorch exactly, in the
tensor's own precision: with ``align_corners=True`` the corner pixels' centres line up,
src = o (L - 1) / (O - 1); otherwise src = (o + 0.5) L / O - 0.5 (or 1 / scale_factor for
L / O when a scale factor is given).
"""

from __future__ import annotations

import math

import numpy as np

from ...autograd import Function
from ...backend import array_module
from ...tensor import Tensor
from .adaptive import _adaptive_avg
from .adjoint import Adjoint

_LINEAR = {"linear": 1, "bilinear": 2, "trilinear": 3}
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "bicubic", "trilinear", "area")


def _scale(dtype, in_size, out_size, align_corners, scale):
    """PyTorch's area_pixel_compute_scale, in the precision of the tensor."""
    f = dtype.type
    if align_corners:
        return f(in_size - 1) / f(out_size - 1) if out_size > 1 else f(0)
    if scale is not None and scale > 0:
        return f(1.0 / scale)
    return f(in_size) / f(out_size)


def _floorf(v):
    """C's floorf: the value is rounded to float32 first (PyTorch does this even for double)."""
    return np.floor(np.asarray(v).astype(np.float32)).astype(np.int64)


def _taps(mode, dtype, in_size, out_size, align_corners, scale):
    """(indices, weights): lists with one (out_size,) array per tap, as PyTorch computes them."""
    if dtype.kind != "f":
        dtype = np.dtype(np.float32)  # integer images are resampled in float
    f = dtype.type
    o = np.arange(out_size)
    od = o.astype(dtype)
    ones = np.ones(out_size, dtype)
    if mode == "nearest":  # src = floor(o * scale)
        s = _scale(dtype, in_size, out_size, False, scale)
        return [np.minimum(_floorf(s * od), in_size - 1)], [ones]
    if mode == "nearest-exact":  # src = round((o + 0.5) * scale - 0.5)
        s = _scale(dtype, in_size, out_size, False, scale)
        real = np.maximum(s * (od + f(0.5)) - f(0.5), f(0))
        return [np.minimum(_floorf(real + f(0.5)), in_size - 1)], [ones]
    if mode != "bicubic" and out_size == in_size:
        return [o], [ones]
    s = _scale(dtype, in_size, out_size, align_corners, scale)
    real = s * od if align_corners else s * (od + f(0.5)) - f(0.5)
    if mode != "bicubic" and not align_corners:
        real = np.maximum(real, f(0))
    i0 = np.minimum(_floorf(real), in_size - 1)
    lam = np.clip(real - i0.astype(dtype), f(0), f(1)).astype(dtype)
    if mode == "bicubic":  # Keys' cubic convolution, a = -0.75
        a = f(-0.75)

        def c1(x):
            return ((a + 2) * x - (a + 3)) * x * x + 1

        def c2(x):
            return ((a * x - 5 * a) * x + 8 * a) * x - 4 * a

        w = [c2(lam + 1), c1(lam), c1(1 - lam), c2(2 - lam)]
        idx = [np.clip(i0 + d, 0, in_size - 1) for d in (-1, 0, 1, 2)]
        return idx, [wi.astype(dtype) for wi in w]
    i1 = i0 + (i0 < in_size - 1)
    return [i0, i1], [(f(1) - lam).astype(dtype), lam]


def _aa_filter(mode, x):
    """The antialiasing filters: the triangle (bilinear) and Keys' cubic with a = -0.5
    (bicubic; PIL's choice, which PyTorch's antialiased kernel follows)."""
    x = np.abs(x)
    if mode == "bilinear":
        return np.where(x < 1, 1 - x, 0)
    a = -0.5
    near = ((a + 2) * x - (a + 3)) * x * x + 1
    far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
    return np.where(x < 1, near, np.where(x < 2, far, 0))


def _aa_taps(mode, dtype, in_size, out_size, align_corners, scale):
    """(indices, weights) of antialiased resampling, as PyTorch computes them.

    When shrinking by a factor s > 1 the filter is stretched by s, so that every input pixel
    under the output pixel's footprint contributes (a low-pass filter before sampling, the
    remedy for aliasing): output o, centred at c = s (o + 0.5) in input coordinates, reads the
    inputs j within the support (1 for bilinear, 2 for bicubic, times s) with weights
    filter((j + 0.5 - c) / s), normalised to sum to 1. Enlarging (s < 1) uses the filter
    unstretched.
    """
    if dtype.kind != "f":
        dtype = np.dtype(np.float32)
    f = dtype.type
    if in_size == out_size:
        return [np.arange(out_size)], [np.ones(out_size, dtype)]
    s = _scale(dtype, in_size, out_size, align_corners, scale)
    half = f(1.0 if mode == "bilinear" else 2.0)
    support = half * s if s >= 1 else half
    ntaps = int(math.ceil(support)) * 2 + 1
    invscale = f(1) / s if s >= 1 else f(1)
    center = (s * (np.arange(out_size) + 0.5)).astype(dtype)
    xmin = np.maximum(np.trunc(center - support + f(0.5)).astype(np.int64), 0)
    xsize = np.clip(np.minimum(np.trunc(center + support + f(0.5)).astype(np.int64), in_size)
                    - xmin, 0, ntaps)
    j = np.arange(ntaps)
    pos = j[None, :] + xmin[:, None]
    w = _aa_filter(mode, ((pos - center[:, None].astype(np.float64) + 0.5) * invscale)
                   .astype(dtype)).astype(dtype)
    w[j[None, :] >= xsize[:, None]] = 0
    total = w.sum(axis=1, keepdims=True)
    w = np.where(total != 0, w / np.where(total != 0, total, 1), w).astype(dtype)
    idx = np.clip(pos, 0, in_size - 1)
    return [idx[:, t] for t in range(ntaps)], [w[:, t] for t in range(ntaps)]


def _backward_taps(mode, dtype, in_size, out_size, align_corners, scale):
    """The taps PyTorch's backward pass uses.

    For the nearest modes PyTorch's gradient kernel computes its indices differently from the
    forward kernel (in float32, with shortcuts for sizes 1x and 2x the input), so in the rare
    cases where the two disagree the gradient follows the backward kernel, as PyTorch's does.
    """
    if mode not in ("nearest", "nearest-exact"):
        return _taps(mode, dtype, in_size, out_size, align_corners, scale)
    o = np.arange(out_size)
    ones = [np.ones(out_size)]
    if mode == "nearest" and out_size == in_size:
        return [o], ones
    if mode == "nearest" and out_size == 2 * in_size:
        return [o >> 1], ones
    s = np.float32(1.0 / scale) if scale is not None and scale > 0 else \
        np.float32(in_size) / np.float32(out_size)
    pos = o.astype(np.float32) + np.float32(0.5 if mode == "nearest-exact" else 0)
    return [np.minimum(_floorf(pos * s), in_size - 1)], ones


class Resample(Function):
    """Separable gather-and-weight along each spatial dimension (see the module docstring)."""

    @staticmethod
    def forward(ctx, x, plans):
        xp = array_module(x)
        lead = x.ndim - len(plans)
        y = x
        for i, (idx, w, _) in enumerate(plans):
            axis = lead + i
            shape = [1] * y.ndim
            shape[axis] = -1
            acc = None
            for it, wt in zip(idx, w):
                v = xp.take(y, xp.asarray(it), axis=axis)
                if len(idx) > 1:
                    v *= xp.asarray(wt).reshape(shape)
                if acc is None:
                    acc = v
                else:
                    acc += v
            y = acc
        ctx.plans, ctx.lead = plans, lead
        return y

    @staticmethod
    def backward(ctx, g):
        xp = array_module(g)
        for i in reversed(range(len(ctx.plans))):
            mat = xp.asarray(ctx.plans[i][2].astype(g.dtype))  # (out, in)
            g = xp.moveaxis(xp.tensordot(g, mat, axes=([ctx.lead + i], [0])), -1, ctx.lead + i)
        return xp.ascontiguousarray(g), None

    @staticmethod
    def differentiable_backward(ctx, g):
        # PyTorch's double backward of interpolate is the forward resampling (its taps).
        return Adjoint.apply(g, Resample, ctx, (ctx.plans,)), None

    @staticmethod
    def to_onnx(g, rec):
        x, plans = rec.args
        dt = g.operand_dtype()
        shape = g.shape(x)
        lead = len(shape) - len(plans)
        spatial = shape[lead:]
        name = g.value(x)
        found = _onnx_resize_mode(plans, spatial, dt) if lead == 2 else None
        if found is not None:
            mode, ctm = found
            sizes = list(g.shape(rec.outputs[0]))
            attrs = {"mode": mode, "coordinate_transformation_mode": ctm}
            if mode == "nearest":
                attrs["nearest_mode"] = "floor"
            scales = np.asarray([1.0, 1.0] + [o / i for o, i in zip(sizes[2:], spatial)],
                                np.float32)
            if g.opset >= 18:  # sizes of the spatial axes only: the batch may vary
                ins = [name, "", "", g.ints(sizes[2:])]
                attrs["axes"] = list(range(2, len(shape)))
            elif all(int(np.floor(np.float32(i) * s)) == o == int(np.floor(float(i) * float(s)))
                     for i, s, o in zip(spatial, scales[2:], sizes[2:])):
                ins = [name, "", g.const(scales)]
            else:  # the batch and channel sizes read from x: the batch may vary
                lead_dims = g.op("Slice", [g.op("Shape", [name]), g.ints([0]), g.ints([2])])
                ins = [name, "", "", g.op("Concat", [lead_dims, g.ints(sizes[2:])], axis=0)]
            g.out(g.op("Resize", ins, **attrs))
            return
        # the general case: per axis, a weighted sum of gathered taps (exact for every mode)
        y = name
        for i, (idx, w, _) in enumerate(plans):
            axis = lead + i
            acc = None
            for it, wt in zip(idx, w):
                v = g.op("Gather", [y, g.const(np.asarray(it, np.int64))], axis=axis)
                if len(idx) > 1:
                    wshape = [1] * len(shape)
                    wshape[axis] = -1
                    v = g.op("Mul", [v, g.const(np.asarray(wt, dt).reshape(wshape))])
                acc = v if acc is None else g.op("Add", [acc, v])
            y = acc
        g.out(y)


def _matrix(idx, w, in_size, out_size):
    m = np.zeros((out_size, in_size))
    rows = np.arange(out_size)
    for it, wt in zip(idx, w):
        np.add.at(m, (rows, it), wt.astype(np.float64))
    return m


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dimensions of (N, C, *spatial) to ``size`` or by ``scale_factor``.

    Modes: 'nearest' (src = floor(o * L / O)), 'nearest-exact' (floor((o + 0.5) L / O)),
    'linear' (3-D input), 'bilinear' (4-D), 'trilinear' (5-D), 'bicubic' (4-D), 'area'
    (adaptive average pooling). Without ``size`` the output size is floor(L * scale_factor) and
    the scale factor itself sets the source positions unless ``recompute_scale_factor``.
    ``antialias=True`` (bilinear and bicubic) low-pass filters while shrinking: each output
    pixel averages every input pixel under its footprint with the filter stretched by the
    shrink factor (PyTorch's and PIL's antialiased resize; see ``_aa_taps``).

    Shape:
        input (N, C, L), (N, C, H, W) or (N, C, D, H, W); output (N, C, *size).
    """
    if not isinstance(input, Tensor):
        raise TypeError(f"interpolate: input must be a Tensor, got {type(input).__name__}")
    if mode not in _MODES:
        raise NotImplementedError(f"interpolate: mode must be one of {_MODES}, got {mode!r}")
    if antialias and (mode not in ("bilinear", "bicubic") or input.ndim != 4):
        raise ValueError(f"interpolate: the antialias option is restricted to the bilinear and "
                         f"bicubic modes and requires a 4-D input, got mode {mode!r} and shape "
                         f"{tuple(input.shape)}")
    nd = input.ndim - 2
    if nd < 1 or nd > 3:
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), got "
                         f"shape {tuple(input.shape)}")
    if mode in _LINEAR and _LINEAR[mode] != nd:
        raise NotImplementedError(f"interpolate: mode '{mode}' expects a {_LINEAR[mode] + 2}-D "
                                  f"input, got shape {tuple(input.shape)}")
    if mode == "bicubic" and nd != 2:
        raise NotImplementedError(f"interpolate: mode 'bicubic' expects a 4-D input, got shape "
                                  f"{tuple(input.shape)}")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners option can only be set with the "
                             "interpolating modes: linear | bilinear | bicubic | trilinear")
    elif align_corners is None:
        align_corners = False
    spatial = tuple(input.shape[2:])
    if (size is None) == (scale_factor is None):
        raise ValueError("interpolate: exactly one of size and scale_factor must be given")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size")
        out = tuple(size) if isinstance(size, (list, tuple)) else (size,) * nd
        if len(out) != nd:
            raise ValueError(f"interpolate: size must have {nd} values for a {input.ndim}-D "
                             f"input, got {size!r}")
        out = tuple(int(v) for v in out)
        scales = (None,) * nd
    else:
        sf = tuple(scale_factor) if isinstance(scale_factor, (list, tuple)) else \
            (scale_factor,) * nd
        if len(sf) != nd:
            raise ValueError(f"interpolate: scale_factor must have {nd} values for a "
                             f"{input.ndim}-D input, got {scale_factor!r}")
        sf = tuple(float(v) for v in sf)
        out = tuple(math.floor(float(s) * f) for s, f in zip(spatial, sf))
        scales = (None,) * nd if (recompute_scale_factor or mode == "area") else sf
    if any(o <= 0 for o in out):
        raise ValueError(f"interpolate: output size {out} must be positive (input shape "
                         f"{tuple(input.shape)})")
    if mode == "area":
        return _adaptive_avg("interpolate", nd, input, out)
    plans = []
    for i in range(nd):
        if antialias:  # the same taps forward and backward
            idx, w = _aa_taps(mode, np.dtype(input.dtype), spatial[i], out[i], align_corners,
                              scales[i])
            plans.append((idx, w, _matrix(idx, w, spatial[i], out[i])))
            continue
        idx, w = _taps(mode, np.dtype(input.dtype), spatial[i], out[i], align_corners, scales[i])
        bidx, bw = _backward_taps(mode, np.dtype(input.dtype), spatial[i], out[i],
                                  align_corners, scales[i])
        plans.append((idx, w, _matrix(bidx, bw, spatial[i], out[i])))
    return Resample.apply(input, tuple(plans))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """The older name of ``interpolate`` (kept because PyTorch still accepts it)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# ----------------------------------------------------------------------------- ONNX
def _onnx_resize_mode(plans, spatial, dt):
    """The ONNX Resize (mode, coordinate_transformation_mode) that reproduces the traced taps
    exactly, or None."""
    candidates = [("nearest", "asymmetric"), ("linear", "half_pixel"),
                  ("linear", "align_corners"), ("linear", "pytorch_half_pixel")]
    for mode, ctm in candidates:
        if all(_onnx_taps_match(mode, ctm, p, L) for p, L in zip(plans, spatial)):
            return mode, ctm
    return None


def _onnx_taps_match(mode, ctm, plan, size):
    idx, w, _ = plan
    o = len(idx[0])
    f = np.float32
    pos = np.arange(o, dtype=f)
    if mode == "nearest":
        src = np.minimum(np.floor(pos * (f(size) / f(o))).astype(np.int64), size - 1)
        return len(idx) == 1 and np.array_equal(np.asarray(idx[0]), src)
    if len(idx) == 1:  # an identity axis: the same output size as input
        return o == size
    if ctm == "align_corners":
        real = pos * (f(size - 1) / f(o - 1)) if o > 1 else np.zeros(o, f)
    else:
        real = (pos + f(0.5)) * (f(size) / f(o)) - f(0.5)
        if ctm == "pytorch_half_pixel" and o == 1:
            real = np.zeros(o, f)
    real = np.clip(real, 0, size - 1)
    i0 = np.floor(real).astype(np.int64)
    lam = real - i0
    i1 = np.minimum(i0 + 1, size - 1)
    return (np.array_equal(np.asarray(idx[0]), i0) and np.array_equal(np.asarray(idx[1]), i1)
            and np.allclose(np.asarray(w[1], np.float64), lam, atol=1e-6))
