"""Reverse-mode automatic differentiation: Function, the backward engine, grad modes, anomaly mode.

Backpropagation is the chain rule applied over a directed acyclic graph. Every primitive op is a
``Function`` with a ``forward`` that computes the output and a ``backward`` that maps the gradient
of the loss with respect to the output (``grad``) to the gradients with respect to each input (the
vector-Jacobian product). When a tensor feeds several ops, the gradient it receives is the *sum*
over all paths, which the engine does by accumulating before it calls ``backward``.

Writing your own op, exactly as for ``torch.autograd.Function``::

    import glassnet as gn
    from glassnet.autograd import Function

    class Cube(Function):
        @staticmethod
        def forward(ctx, x):              # x: the Tensor passed to apply (run under no_grad)
            ctx.save_for_backward(x)
            return x ** 3

        @staticmethod
        def backward(ctx, grad):          # grad has the output's shape
            (x,) = ctx.saved_tensors
            return 3 * x ** 2 * grad      # one gradient per input (None where not needed)

    y = Cube.apply(gn.tensor([1.0, 2.0], requires_grad=True))

``ctx.needs_input_grad`` tells ``backward`` which inputs need a gradient, so it can skip the rest.
Non-tensor arguments (ints, tuples, strings) pass through to ``forward`` unchanged and get
``None`` as their gradient. glassnet's built-in ops are Functions too, but on raw arrays (numpy
or cupy) for speed: a subclass defined inside the ``glassnet`` package sees arrays, one defined
anywhere else sees Tensors; ``tensor_io = False`` on a class asks for arrays explicitly.

Higher-order gradients: ``backward(create_graph=True)`` and ``grad(..., create_graph=True)``
run a second engine whose gradient buffers hold Tensors and whose per-op gradients (each
Function's ``differentiable_backward``) are written with differentiable Tensor operations, so
the gradients it returns can be differentiated again: Hessian-vector products, gradient
penalties, MAML. The first-order engine, on raw arrays, stays the fast path of training.

The package, bottom to top (each module imports only those before it; none imports Tensor):

    grad_mode.py     no_grad, enable_grad, set_grad_enabled, inference_mode, detect_anomaly
    variable.py      Variable: a tensor's autograd state, the base class of Tensor
    graph.py         Node and AccumulateGrad (what graph-walking code reads from a grad_fn:
                     name(), next_functions, metadata) and the walk over the graph both
                     engines share (Kahn's algorithm)
    function.py      Function (apply), Context (the graph node), Relabel, unbroadcast
    graph_engine.py  the create_graph=True engine: gradients that are Tensors in the graph
    engine.py        backward and grad
    recompute.py     a differentiable backward by recomputing the forward pass
    gradcheck.py     gradcheck, gradgradcheck: backward against finite differences

``glassnet.autograd.functional`` (loaded on first use: it builds tensors with
``glassnet.functions``) has ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.
"""

from __future__ import annotations

import importlib

from .engine import backward, grad
from .function import Context, Function, Relabel
from .grad_mode import (
    detect_anomaly,
    enable_grad,
    inference_mode,
    is_anomaly_enabled,
    is_grad_enabled,
    no_grad,
    set_detect_anomaly,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .variable import Variable

__all__ = ["Context", "Function", "GradcheckError", "Relabel", "Variable", "backward",
           "detect_anomaly", "enable_grad", "functional", "grad", "gradcheck", "gradgradcheck",
           "inference_mode", "is_anomaly_enabled", "is_grad_enabled", "no_grad",
           "set_detect_anomaly", "set_grad_enabled"]


def __getattr__(name):
    # ``functional`` sits above Tensor, so it is imported on first use (then it is a plain
    # attribute of the package, and ``import glassnet.autograd.functional`` works as well).
    if name in ("functional", "profiler"):
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module 'glassnet.autograd' has no attribute '{name}'")
