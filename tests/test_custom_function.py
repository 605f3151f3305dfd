"""User-defined autograd Functions in PyTorch's convention (Tensors in forward and backward),
autograd.gradcheck, and the torch.backends / torch.cuda switches device-agnostic code touches."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity

import glassnet as gn
from glassnet.autograd import Function


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


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_tensor_io_functions_match_torch(dtype, rng):
    x = rng.standard_normal((3, 4))
    check_parity(lambda t: G[0].apply(t), lambda t: T[0].apply(t), [x], dtype=dtype)
    b = rng.standard_normal((4,))
    check_parity(lambda s, v: G[1].apply(s, v, 0.8), lambda s, v: T[1].apply(s, v, 0.8),
                 [x, b], dtype=dtype)
    check_parity(lambda t: G[2].apply(t)[0] * 2, lambda t: T[2].apply(t)[0] * 2, [x], dtype=dtype)


def test_tensor_io_sees_tensors_and_names_its_node():
    seen = {}

    class Probe(Function):
        @staticmethod
        def forward(ctx, x):
            seen["fwd"] = (type(x).__name__, gn.is_grad_enabled())
            return x * 2

        @staticmethod
        def backward(ctx, g):
            seen["bwd"] = type(g).__name__
            return g * 2

    x = gn.tensor([1.0, 2.0], requires_grad=True)
    y = Probe.apply(x)
    y.sum().backward()
    assert seen == {"fwd": ("Tensor", False), "bwd": "Tensor"}
    assert type(y.grad_fn).__name__ == "ProbeBackward" and Probe.tensor_io
    assert x.grad.tolist() == [2.0, 2.0]
    _, idx = G[2].apply(gn.tensor([[1.0, 3.0]], requires_grad=True))
    assert not idx.requires_grad


def test_backward_returning_too_few_gradients_says_so():
    class Bad(Function):
        @staticmethod
        def forward(ctx, a, b):
            return a * b

        @staticmethod
        def backward(ctx, g):
            return g

    a = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="Bad.backward: returned 1 gradients but forward took 2"):
        Bad.apply(a, gn.tensor([2.0], requires_grad=True)).sum().backward()


def test_gradcheck(rng):
    x = gn.tensor(rng.standard_normal(5), requires_grad=True)
    assert gn.autograd.gradcheck(G[0].apply, (x,))
    assert gn.autograd.gradcheck(lambda t: (t.tanh() * t).sum(1), gn.tensor(
        rng.standard_normal((2, 3)), requires_grad=True))

    class Wrong(Function):
        @staticmethod
        def forward(ctx, x):
            return x ** 2

        @staticmethod
        def backward(ctx, g):
            return g * 3

    assert gn.autograd.gradcheck(Wrong.apply, (x,), raise_exception=False) is False
    with pytest.raises(RuntimeError, match="Jacobian mismatch"):
        gn.autograd.gradcheck(Wrong.apply, (x,))


def test_backends_and_cuda_queries():
    assert gn.backends.mps.is_available() is False
    assert gn.backends.cudnn.is_available() == gn.cuda.is_available()
    old = gn.backends.cudnn.benchmark
    gn.backends.cudnn.benchmark = True
    assert gn.backends.cudnn.benchmark is True
    gn.backends.cudnn.benchmark = old
    gn.backends.cuda.matmul.allow_tf32 = False
    if not gn.cuda.is_available():
        assert gn.cuda.device_count() == 0 and gn.cuda.memory_allocated() == 0
        gn.cuda.empty_cache()
