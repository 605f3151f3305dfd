"""ONNX conversions of convolution, pooling, adaptive pooling and resampling.

The traced geometry of each op gives ONNX's attributes directly: ``pads`` lists the low pads of
every spatial dimension, then the high ones, and the high pads already include the extra row a
``ceil_mode`` window hangs past the input, so ONNX never has to reproduce PyTorch's ceil rule.
Average pooling divides by the full window (zero padding counted) and then rescales the outputs
whose PyTorch divisor differs (``count_include_pad=False``, windows clipped by ceil mode,
``divisor_override``), which is exact for every combination of options.
"""

from __future__ import annotations

from importlib import import_module

import numpy as np

from .onnx_graph import converter, shape_of
from .onnx_ops import operand_dtype, out, reduce_node

# (module objects: some names in glassnet.nn.functional are also functions)
AD = import_module("glassnet.nn.functional.adaptive")
C = import_module("glassnet.nn.functional.conv")
M2 = import_module("glassnet.nn.functional.maxpool2x2")
PL = import_module("glassnet.nn.functional.pooling")
SA = import_module("glassnet.nn.functional.sampling")


def _flat_pads(pads):
    return [int(p[0]) for p in pads] + [int(p[1]) for p in pads]


@converter(C.ConvNd)
def _conv(g, rec):
    x, w, b, stride, pads, dilation, groups = rec.args
    ins = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    y = g.op("Conv", ins, kernel_shape=list(shape_of(w)[2:]), strides=list(stride),
             pads=_flat_pads(pads), dilations=list(dilation), group=int(groups))
    out(g, rec, y)


@converter(C.ConvTransposeNd)
def _conv_transpose(g, rec):
    x, w, b, out_spatial, stride, pads, dilation, groups = rec.args
    k = shape_of(w)[2:]
    ins_shape = shape_of(x)[2:]
    opad = []
    for i in range(len(k)):
        base = (ins_shape[i] - 1) * stride[i] - pads[i][0] - pads[i][1] + \
            dilation[i] * (k[i] - 1) + 1
        opad.append(int(out_spatial[i] - base))
    ins = [g.value(x), g.value(w)] + ([g.value(b)] if b is not None else [])
    y = g.op("ConvTranspose", ins, kernel_shape=list(k), strides=list(stride),
             pads=_flat_pads(pads), dilations=list(dilation), group=int(groups),
             output_padding=opad if any(opad) else None)
    out(g, rec, y)


def _pool_input(g, x, pads, ksize, fill):
    """ORT wants every pad smaller than the kernel: pad explicitly when one is not."""
    name = g.value(x)
    if all(lo < k and hi < k for (lo, hi), k in zip(pads, ksize)):
        return name, _flat_pads(pads)
    nd = len(pads)
    full = [0, 0] + [p[0] for p in pads] + [0, 0] + [p[1] for p in pads]
    dt = operand_dtype(g.rec)
    padded = g.op("Pad", [name, g.ints(full), g.const(np.asarray(fill, dtype=dt))],
                  mode="constant")
    return padded, [0] * (2 * nd)


def _max_pool(g, rec, geom, return_indices):
    x = rec.args[0]
    fill = np.finfo(operand_dtype(rec)).min if operand_dtype(rec).kind == "f" else 0
    name, pads = _pool_input(g, x, geom.pads, geom.ksize, fill)
    attrs = {"kernel_shape": list(geom.ksize), "strides": list(geom.stride), "pads": pads}
    if any(d != 1 for d in geom.dilation):
        attrs["dilations"] = list(geom.dilation)
    if not return_indices:
        out(g, rec, g.op("MaxPool", [name], **attrs))
        return
    if any(p for p in pads) or pads != _flat_pads(geom.pads):
        g.unsupported("max pooling with return_indices and padding")
    y, idx = g.op("MaxPool", [name], n_out=2, **attrs)
    plane = int(np.prod(shape_of(x)[2:]))
    out(g, rec, y, 0)  # ONNX indexes the whole (N, C, *S) tensor; PyTorch one plane
    out(g, rec, g.op("Mod", [idx, g.const(np.asarray(plane, np.int64))]), 1)


@converter(PL.MaxPoolNd)
def _max_pool_nd(g, rec):
    _x, geom, return_indices = rec.args
    _max_pool(g, rec, geom, return_indices)


class _Geom2x2:
    ksize = stride = (2, 2)
    dilation = (1, 1)
    pads = ((0, 0), (0, 0))


@converter(M2.MaxPool2x2)
def _max_pool_2x2(g, rec):
    _max_pool(g, rec, _Geom2x2, rec.args[1])


@converter(PL.AvgPoolNd)
def _avg_pool(g, rec):
    x, geom, divisor = rec.args
    dt = operand_dtype(rec)
    name, pads = _pool_input(g, x, geom.pads, geom.ksize, 0)
    y = g.op("AveragePool", [name], kernel_shape=list(geom.ksize), strides=list(geom.stride),
             pads=pads, count_include_pad=1)
    div = np.asarray(divisor, dtype=np.float64)
    k = float(np.prod(geom.ksize))
    if not np.all(div == k):  # PyTorch's divisor differs from the full window somewhere
        y = g.op("Mul", [y, g.const((k / div).astype(dt), kind="pool_divisor")])
    out(g, rec, y)


# ----------------------------------------------------------------------------- adaptive
def _regular_bins(mat):
    """(kernel, stride) if the averaging matrix is a plain strided window, else None."""
    o, size = mat.shape
    if size % o:
        return None
    k = size // o
    expect = np.zeros((o, size))
    for r in range(o):
        expect[r, r * k:(r + 1) * k] = 1.0 / k
    return (k, k) if np.allclose(np.asarray(mat, np.float64), expect) else None


def _along_axis(g, y, mat, axis, ndim, dt):
    """Multiply ``y`` by ``mat`` (O, L) along ``axis``: move it last, MatMul, move it back."""
    perm = [i for i in range(ndim) if i != axis] + [axis]
    inv = list(np.argsort(perm))
    t = g.op("Transpose", [y], perm=perm)
    t = g.op("MatMul", [t, g.const(np.ascontiguousarray(np.asarray(mat).T).astype(dt))])
    return g.op("Transpose", [t], perm=[int(i) for i in inv])


@converter(AD.AdaptiveAvgPool)
def _adaptive_avg(g, rec):
    x, mats = rec.args
    dt = operand_dtype(rec)
    shape = shape_of(x)
    lead = len(shape) - len(mats)
    name = g.value(x)
    if all(m.shape[0] == 1 for m in mats):
        if lead == 2:
            out(g, rec, g.op("GlobalAveragePool", [name]))
        else:
            out(g, rec, reduce_node(g, "ReduceMean", name, range(lead, len(shape)), True))
        return
    bins = [_regular_bins(np.asarray(m)) for m in mats]
    if lead == 2 and all(b is not None for b in bins):
        out(g, rec, g.op("AveragePool", [name], kernel_shape=[b[0] for b in bins],
                         strides=[b[1] for b in bins]))
        return
    y = name
    for i, m in enumerate(mats):
        y = _along_axis(g, y, m, lead + i, len(shape), dt)
    out(g, rec, y)


@converter(AD.AdaptiveMaxPool)
def _adaptive_max(g, rec):
    x, sizes = rec.args
    shape = shape_of(x)
    spatial = shape[2:]
    name = g.value(x)
    if len(shape) - len(sizes) == 2 and all(s == 1 for s in sizes):
        out(g, rec, g.op("GlobalMaxPool", [name]))
        return
    if len(shape) - len(sizes) == 2 and all(L % o == 0 for L, o in zip(spatial, sizes)):
        k = [L // o for L, o in zip(spatial, sizes)]
        out(g, rec, g.op("MaxPool", [name], kernel_shape=k, strides=k))
        return
    g.unsupported(f"adaptive max pooling from {tuple(spatial)} to {tuple(sizes)} (ONNX pools "
                  "only whole windows: the output size must divide the input size)")


# ----------------------------------------------------------------------------- resampling
def _resize_mode(plans, spatial, dt):
    """The ONNX Resize (mode, coordinate_transformation_mode) that reproduces the traced taps
    exactly, or None."""
    candidates = [("nearest", "asymmetric"), ("linear", "half_pixel"),
                  ("linear", "align_corners"), ("linear", "pytorch_half_pixel")]
    for mode, ctm in candidates:
        if all(_taps_match(mode, ctm, p, L) for p, L in zip(plans, spatial)):
            return mode, ctm
    return None


def _taps_match(mode, ctm, plan, size):
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


@converter(SA.Resample)
def _resample(g, rec):
    x, plans = rec.args
    dt = operand_dtype(rec)
    shape = shape_of(x)
    lead = len(shape) - len(plans)
    spatial = shape[lead:]
    name = g.value(x)
    found = _resize_mode(plans, spatial, dt) if lead == 2 else None
    if found is not None:
        mode, ctm = found
        sizes = list(shape_of(rec.outputs[0]))
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
        out(g, rec, g.op("Resize", ins, **attrs))
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
    out(g, rec, y)
