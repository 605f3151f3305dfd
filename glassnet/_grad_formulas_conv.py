"""Differentiable gradients of convolution, pooling, padding, resampling and fold/unfold.

Same contract as glassnet/_grad_formulas.py (used by ``create_graph=True``). Everything here is
linear in the upstream gradient, so each formula is another op of the same family:

* convolution: dL/dx is the transposed convolution of dy with W, and dL/dW the convolution of
  x with dy in which the batch axis plays the channels (stride and dilation swap roles); both
  are ConvNd / ConvTransposeNd nodes again, so third derivatives come for free;
* max pooling (plain and adaptive) and max unpooling: a scatter of dy into the arg-max
  positions, or the gather back (ScatterAdd / Gather, differentiable in dy; the second
  derivative with respect to x is zero, as in PyTorch);
* average pooling (plain and adaptive) and interpolation: ``Adjoint``, the op's transpose, whose
  own gradient is the op's forward pass (A^T^T = A);
* reflect / replicate / circular padding: index_add of dy onto the source pixels;
* unfold and fold are each other's adjoints.
"""

from __future__ import annotations

import importlib
import math

import numpy as np

from . import autograd
from ._grad_registry import input_tensor as I
from ._grad_registry import register
from .backend import array_module
from .ops import shape as S
from .tensor_arith import where

_F = "glassnet.nn.functional."
AD = importlib.import_module(_F + "adaptive")
CV = importlib.import_module(_F + "conv")
FO = importlib.import_module(_F + "fold")
LP = importlib.import_module(_F + "lp_pool")
M2 = importlib.import_module(_F + "maxpool2x2")
PAD = importlib.import_module(_F + "padding")
PO = importlib.import_module(_F + "pooling")
RS = importlib.import_module(_F + "sampling")
UP = importlib.import_module(_F + "unpool")


def _zeros(shape, like):
    xp = array_module(like._data)
    return autograd._Tensor._make(xp.zeros(tuple(shape), dtype=like._data.dtype), False)


def _crop(t, sizes):
    """The leading ``sizes`` positions of every spatial dimension of (N, C, *spatial)."""
    sizes = tuple(sizes)
    if tuple(t.shape[2:]) == sizes:
        return t
    return t[(slice(None), slice(None)) + tuple(slice(0, s) for s in sizes)]


def _channel_sum(g):
    return g.sum((0,) + tuple(range(2, g.ndim)))


# ----------------------------------------------------------------------------- convolution
def conv_input_grad(g, W, geom, groups):
    """dL/dx of y = conv(x, W) described by ``geom``: the transposed convolution of dy with W
    (same stride, padding and dilation; asymmetric 'same' padding is kept as it is)."""
    return CV.ConvTransposeNd.apply(g, W, None, geom.spatial, geom.stride, geom.pads,
                                    geom.dilation, groups)


def conv_weight_grad(X, G, geom, groups, ksize):
    """dL/dW of y = conv(X, W) with dy = G: a convolution of X with G.

    dW[o, c, k] = sum_(n, p) G[n, o, p] X_pad[n, c', p stride + k dilation] is a convolution
    over the padded input whose "channels" are the batch samples and whose kernel is G (of the
    output's size), with stride = dilation and dilation = stride. With groups, group i's samples
    form channel block i (X (Cg, groups * N, *S), G as weight (O, N, *out), groups=groups).
    The output can hold a few more kernel positions than W (when the stride leaves rows of the
    input unused); they are cropped.
    """
    n, c = X.shape[:2]
    cg, nd = c // groups, geom.nd
    sp = tuple(X.shape[2:])
    xs = X.reshape((n, groups, cg) + sp).permute((2, 1, 0) + tuple(range(3, 3 + nd)))
    xs = xs.reshape((cg, groups * n) + sp)
    r = CV.ConvNd.apply(xs, G.transpose(0, 1), None, geom.dilation, geom.pads, geom.stride,
                        groups)  # (Cg, O, *K')
    return _crop(r, ksize).transpose(0, 1)


@register(CV.ConvNd)
def _conv(ctx, g):
    x, w, _ = ctx.saved_tensors
    geom, groups = ctx.geom, ctx.groups
    nx, nw, nb = ctx.needs_input_grad[:3]
    gx = conv_input_grad(g, I(ctx, 1, w), geom, groups) if nx else None
    gw = conv_weight_grad(I(ctx, 0, x), g, geom, groups, w.shape[2:]) if nw else None
    return gx, gw, _channel_sum(g) if nb else None, None, None, None, None


@register(CV.ConvTransposeNd)
def _conv_transpose(ctx, g):
    # y = M^T x with M the convolution of ``geom`` (from y's size to x's): dL/dx = M dy, and W's
    # gradient is that convolution's weight gradient with dy as its input and x as its dy.
    x, w = ctx.saved_tensors
    geom, groups = ctx.geom, ctx.groups
    nx, nw, nb = ctx.needs_input_grad[:3]
    gx = gw = None
    if nx:
        gx = _crop(CV.ConvNd.apply(g, I(ctx, 1, w), None, geom.stride, geom.pads, geom.dilation,
                                   groups), geom.out)
    if nw:
        gw = conv_weight_grad(g, I(ctx, 0, x), geom, groups, w.shape[2:])
    return gx, gw, _channel_sum(g) if nb else None, None, None, None, None, None


# ----------------------------------------------------------------------------- linear adjoints
class Adjoint(autograd.Function):
    """The transpose A^T of a linear op y = A x implemented by the Function ``op``.

    ``Adjoint.apply(g, op, ctx, args)`` runs ``op.backward(ctx, g)`` (A^T g) for the node
    ``ctx``; its gradient is ``op``'s forward pass with the same arguments ``args`` (A gg).
    So a linear op and its adjoint differentiate into each other, to any order.
    """

    @staticmethod
    def forward(ctx, g, op, node, args):
        ctx.op, ctx.args = op, args
        return op.backward(node, g)[0]

    @staticmethod
    def backward(ctx, gg):
        return ctx.op.forward(autograd.Context(), gg, *ctx.args), None, None, None


register(Adjoint)(lambda ctx, gg: (ctx.op.apply(gg, *ctx.args), None, None, None))


@register(PO.AvgPoolNd)
def _avg_pool(ctx, g):
    return Adjoint.apply(g, PO.AvgPoolNd, ctx, (ctx.geom, ctx.divisor)), None, None


register(AD.AdaptiveAvgPool)(
    lambda ctx, g: (Adjoint.apply(g, AD.AdaptiveAvgPool, ctx, (ctx.mats,)), None))
# interpolate: PyTorch's double backward is the forward resampling (its forward taps).
register(RS.Resample)(lambda ctx, g: (Adjoint.apply(g, RS.Resample, ctx, (ctx.plans,)), None))

# unfold (im2col) and fold (col2im) are each other's transposes.
register(FO.Unfold)(lambda ctx, g: (FO.Fold.apply(g, ctx.geom.in_shape, *ctx.geom.key[:4]),)
                    + (None,) * 4)
register(FO.Fold)(lambda ctx, g: (FO.Unfold.apply(g, *ctx.geom.key[:4]),) + (None,) * 5)


@register(PAD.IndexPad)
def _index_pad(ctx, g):
    # Each padded dimension was a gather x.take(idx, axis): undo them in reverse order with
    # index_add (whose own gradient is the gather again).
    for axis, _, _, size, idx in reversed(ctx.plan):
        shape = list(g.shape)
        shape[axis] = size
        g = S.IndexAdd.apply(_zeros(shape, g), axis, idx, g, 1)
    return g, None, None


# ----------------------------------------------------------------------------- max pooling
def _scatter_planes(g, flat, shape):
    """dy scattered (added) into zeros of ``shape`` at the flat positions ``flat`` (N, C, ...)
    of each (N, C) plane: the gradient of every max pooling."""
    rows = shape[0] * shape[1]
    z = _zeros((rows, math.prod(shape[2:])), g)
    gx = S.ScatterAdd.apply(z, 1, flat.reshape(rows, -1), g.reshape(rows, -1))
    return gx.reshape(tuple(shape))


@register(PO.MaxPoolNd)
def _max_pool(ctx, g, *_):
    (idx,) = ctx.saved_tensors
    flat = PO._flat_indices(array_module(idx), idx, ctx.geom)
    return _scatter_planes(g, flat, ctx.shape), None, None


@register(M2.MaxPool2x2)
def _max_pool_2x2(ctx, g, *_):
    row, col = ctx.saved_tensors  # the bottom row / the right column won
    xp = array_module(row)
    w = ctx.shape[3]
    ho, wo = row.shape[2:]
    c_sel = xp.where(row, col[:, :, 1::2], col[:, :, 0::2])
    flat = (2 * xp.arange(ho).reshape(ho, 1) + row) * w + 2 * xp.arange(wo) + c_sel
    return _scatter_planes(g, flat.astype(np.int64), ctx.shape), None


register(AD.AdaptiveMaxPool)(
    lambda ctx, g, *_: (_scatter_planes(g, ctx.pos.astype(np.int64), ctx.shape), None))


@register(UP.MaxUnpool)
def _max_unpool(ctx, g):
    flat = ctx.flat  # (N*C, plane_in): where each input value was put
    gx = S.Gather.apply(g.reshape(flat.shape[0], -1), 1, flat)
    return gx.reshape(ctx.xshape), None, None


@register(LP._Root)
def _root(ctx, g):
    # d v^e / dv = e v^(e - 1), set to 0 where v = 0 (a window of zeros), as the op does
    (v,) = ctx.saved_tensors
    e = ctx.e
    V = I(ctx, 0, v)
    zero = v == 0
    if not zero.any():
        return g * (e * V ** (e - 1)), None
    return where(zero, 0.0, g * (e * where(zero, 1.0, V) ** (e - 1))), None
