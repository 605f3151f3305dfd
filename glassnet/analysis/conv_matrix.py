"""Convolution as a matrix: the sparse, weight-shared matrix a convolution multiplies by.

A convolution is linear, so for a fixed input shape it is a matrix M with
``conv(x).ravel() == M @ x.ravel()``. M is mostly zeros (each output sees only a k x k
neighbourhood: sparse interactions) and its non-zeros repeat the same few kernel values along
its diagonals (weight sharing). The transposed convolution with the same weight is exactly
``M.T``, hence its name.

``conv_param_comparison`` makes the lectures' count (after Goodfellow et al.): for a 320 x 280
image and a 2 x 1 kernel (an edge detector), a dense layer needs 319*280*320*280 > 8e9 weights,
the sparse matrix 178,640 non-zeros, the shared kernel 2 numbers; the sparse matrix and the
convolution both need 319*280*3 = 267,960 floating-point operations.
"""

from __future__ import annotations

import math

import numpy as np

from ..backend import to_numpy
from ..nn.functional.conv import conv_pads
from ..nn.functional.im2col import ntuple, out_size
from ..tensor import Tensor

__all__ = ["conv_matrix", "conv_param_comparison"]


def _as_numpy(w):
    return to_numpy(w._data) if isinstance(w, Tensor) else np.asarray(w)


def conv_matrix(weight, input_shape, stride=1, padding=0, dilation=1, groups=1, sparse=None):
    """The matrix M of the convolution ``conv(x, weight, stride, padding, dilation, groups)``.

    ``weight`` is (C_out, C_in / groups, *K) with ``input_shape`` = (C_in, *S), or a bare
    kernel (*K) with ``input_shape`` = S (one channel in and out). Rows are the output in
    ``conv(x)[0].ravel()`` order (channel, then position), columns the input in ``x.ravel()``
    order, so ``conv(x).ravel() == M @ x.ravel()`` and ``conv_transpose(y).ravel() == M.T @
    y.ravel()``.

    ``sparse``: None returns a ``scipy.sparse.csr_matrix`` when SciPy is installed and a dense
    NumPy array otherwise; True always sparse (needs SciPy); False always dense.

    Shape: M is (C_out * prod(S_out), C_in * prod(S)).
    """
    w = _as_numpy(weight)
    input_shape = tuple(int(s) for s in input_shape)
    if w.ndim == len(input_shape):  # a bare kernel on a single-channel input
        w = w.reshape((1, 1) + w.shape)
        input_shape = (1,) + input_shape
    nd = w.ndim - 2
    if nd < 1 or len(input_shape) != nd + 1:
        raise ValueError(f"conv_matrix: weight of shape {w.shape} needs input_shape (C_in, *S) "
                         f"with {nd} spatial sizes, got {input_shape}")
    o, cg = w.shape[:2]
    c, spatial, ksize = input_shape[0], input_shape[1:], w.shape[2:]
    if cg * groups != c or o % groups:
        raise ValueError(f"conv_matrix: input has {c} channels but weight {w.shape} with "
                         f"groups={groups} expects {cg * groups}")
    s = ntuple(stride, nd, "conv_matrix", "stride", minimum=1)
    d = ntuple(dilation, nd, "conv_matrix", "dilation", minimum=1)
    pads = conv_pads(padding, ksize, s, d, "conv_matrix")
    out = tuple(out_size(spatial[i], ksize[i], s[i], pads[i][0], pads[i][1], d[i])
                for i in range(nd))
    if any(v <= 0 for v in out):
        raise ValueError(f"conv_matrix: the kernel {ksize} does not fit the padded input "
                         f"{spatial}")
    # Per dimension: every (output position, kernel tap) pair and the input position it reads.
    grids = np.meshgrid(*[np.arange(v) for v in out], *[np.arange(k) for k in ksize],
                        indexing="ij")
    pos = [grids[i] * s[i] - pads[i][0] + grids[nd + i] * d[i] for i in range(nd)]
    valid = np.ones(pos[0].shape, bool)
    for i in range(nd):
        valid &= (pos[i] >= 0) & (pos[i] < spatial[i])
    out_flat = np.ravel_multi_index(grids[:nd], out)[valid]
    tap_flat = np.ravel_multi_index(grids[nd:], ksize)[valid]
    in_flat = np.ravel_multi_index([np.where(valid, p, 0) for p in pos], spatial)[valid]
    p_out, p_in = math.prod(out), math.prod(spatial)
    oo, cc = np.meshgrid(np.arange(o), np.arange(cg), indexing="ij")
    group = oo // (o // groups)
    rows = (oo[..., None] * p_out + out_flat).ravel()
    cols = ((group * cg + cc)[..., None] * p_in + in_flat).ravel()
    vals = w.reshape(o, cg, -1)[:, :, tap_flat].ravel()
    shape = (o * p_out, c * p_in)
    if sparse is not False:
        try:
            import scipy.sparse as sp
        except ImportError:
            if sparse:
                raise ImportError("conv_matrix: sparse=True needs SciPy (pip install scipy)")
            sparse = False
        else:
            return sp.csr_matrix((vals, (rows, cols)), shape=shape)
    m = np.zeros(shape, dtype=w.dtype)
    m[rows, cols] = vals
    return m


def conv_param_comparison(input_shape, kernel_size, in_channels=1, out_channels=1, stride=1,
                          padding=0, dilation=1, as_table=False):
    """Stored numbers and floating-point operations of the same linear map three ways.

    - ``dense``: a fully connected layer from every input to every output value;
    - ``sparse``: the convolution's matrix M stored as a sparse matrix (its non-zeros);
    - ``shared_kernel``: the convolution itself, which stores only the kernel.

    Operations count multiplies plus adds for one input (a row with n non-zeros costs n
    multiplies and n - 1 adds). ``input_shape`` is the spatial size (e.g. (320, 280)).
    Returns a dict (or, with ``as_table=True``, a markdown table).
    """
    spatial = tuple(int(v) for v in input_shape)
    nd = len(spatial)
    k = ntuple(kernel_size, nd, "conv_param_comparison", "kernel_size", minimum=1)
    s = ntuple(stride, nd, "conv_param_comparison", "stride", minimum=1)
    d = ntuple(dilation, nd, "conv_param_comparison", "dilation", minimum=1)
    pads = conv_pads(padding, k, s, d, "conv_param_comparison")
    out = tuple(out_size(spatial[i], k[i], s[i], pads[i][0], pads[i][1], d[i]) for i in range(nd))
    n_in = in_channels * math.prod(spatial)
    n_out = out_channels * math.prod(out)
    # non-zeros per (output channel, input channel): separable over dimensions
    taps, live = 1, 1
    for i in range(nd):
        p = np.arange(out[i])[:, None] * s[i] - pads[i][0] + np.arange(k[i])[None, :] * d[i]
        ok = (p >= 0) & (p < spatial[i])
        taps *= int(ok.sum())
        live *= int(ok.any(axis=1).sum())
    nnz = out_channels * in_channels * taps
    rows = out_channels * live
    result = {
        "input_size": spatial, "output_size": out, "in_features": n_in, "out_features": n_out,
        "dense": {"stored_floats": n_in * n_out, "float_ops": n_out * (2 * n_in - 1)},
        "sparse": {"stored_floats": nnz, "float_ops": 2 * nnz - rows},
        "shared_kernel": {"stored_floats": out_channels * in_channels * math.prod(k),
                          "float_ops": 2 * nnz - rows},
        "sparsity": 1.0 - nnz / (n_in * n_out),
    }
    if not as_table:
        return result
    lines = ["| representation | stored floats | float ops (mul + add) |", "|---|---:|---:|"]
    for key in ("dense", "sparse", "shared_kernel"):
        r = result[key]
        lines.append(f"| {key} | {r['stored_floats']:,} | {r['float_ops']:,} |")
    return "\n".join(lines)
