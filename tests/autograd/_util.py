"""Shared helpers for the autograd tests: the same three custom Functions defined on
glassnet's and on PyTorch's ``autograd.Function``."""

from __future__ import annotations

import torch

import glassnet as gn


def _define(lib):
    """The same three Functions, subclassing ``lib.autograd.Function``."""

    class Legendre3(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return 0.5 * (5 * x ** 3 - 3 * x)

        @staticmethod
        def backward(ctx, g):
            (x,) = ctx.saved_tensors
            return g * 1.5 * (5 * x ** 2 - 1)

    class ClampGrad(lib.autograd.Function):
        """Two tensor inputs, a constant, a broadcast gradient summed back by the engine."""

        @staticmethod
        def forward(ctx, a, b, k):
            ctx.save_for_backward(a, b)
            ctx.k = k
            return (a * b).clamp(min=-k, max=k)

        @staticmethod
        def backward(ctx, g):
            a, b = ctx.saved_tensors
            inside = ((a * b).abs() <= ctx.k).to(g.dtype)
            ga = g * b * inside if ctx.needs_input_grad[0] else None
            gb = g * a * inside if ctx.needs_input_grad[1] else None
            return ga, gb, None

    class SplitSum(lib.autograd.Function):
        """New style: forward without ctx, setup_context, two outputs, one non-differentiable."""

        @staticmethod
        def forward(x):
            return x.sum(1), x.argmax(1)

        @staticmethod
        def setup_context(ctx, inputs, output):
            ctx.mark_non_differentiable(output[1])
            ctx.shape = inputs[0].shape

        @staticmethod
        def backward(ctx, g, g_idx):
            return g.unsqueeze(1).expand(*ctx.shape)

    return Legendre3, ClampGrad, SplitSum


G, T = _define(gn), _define(torch)
