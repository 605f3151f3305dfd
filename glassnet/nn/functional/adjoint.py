"""Adjoints (transposes) of linear ops, as Functions: what the differentiable gradients of
pooling, resampling and padding are made of.

The gradient of a linear op y = A x is x_bar = A^T y_bar, again linear (in y_bar). Written as a
Function whose own gradient is A, a linear op and its adjoint differentiate into each other, so
second and higher derivatives come for free:

* ``Adjoint``: A^T for any Function implementing A, run with the op's own first-order backward
  (average pooling, adaptive average pooling, interpolation);
* ``scatter_planes``: the transpose of picking one element per window (every max pooling),
  a scatter-add of dy into the winners' positions, whose own gradient is the gather back.
"""

from __future__ import annotations

import math

from ...autograd import Context, Function
from ...backend import array_module
from ...ops.shape import ScatterAdd
from ...tensor import Tensor


class Adjoint(Function):
    """The transpose A^T of a linear op y = A x implemented by the Function ``op``.

    ``Adjoint.apply(g, op, ctx, args)`` runs ``op.backward(ctx, g)`` (A^T g) for the node
    ``ctx``; its gradient is ``op``'s forward pass with the same arguments ``args`` (A gg).
    """

    @staticmethod
    def forward(ctx, g, op, node, args):
        ctx.op, ctx.args = op, args
        return op.backward(node, g)[0]

    @staticmethod
    def backward(ctx, gg):
        return ctx.op.forward(Context(), gg, *ctx.args), None, None, None

    @staticmethod
    def differentiable_backward(ctx, gg):
        return ctx.op.apply(gg, *ctx.args), None, None, None


def zeros(shape, like):
    """A constant zero Tensor of ``shape`` with the dtype and device of the Tensor ``like``."""
    xp = array_module(like._data)
    return Tensor._make(xp.zeros(tuple(shape), dtype=like._data.dtype), False)


def scatter_planes(g, flat, shape):
    """dy (N, C, *out) added into zeros of ``shape`` (N, C, *in) at the flat positions ``flat``
    within each (N, C) plane: the gradient of every max pooling, differentiable in dy."""
    rows = shape[0] * shape[1]
    z = zeros((rows, math.prod(shape[2:])), g)
    gx = ScatterAdd.apply(z, 1, flat.reshape(rows, -1), g.reshape(rows, -1))
    return gx.reshape(tuple(shape))
