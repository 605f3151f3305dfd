"""A differentiable backward by recomputation: rebuild an op's forward pass from Tensor operations
and differentiate that.

A fused Function whose first-order backward is a long closed-form loop on arrays (cumprod's
reverse recursion, an LSTM's backpropagation through time) need not have that loop rewritten on
Tensors for ``create_graph=True``. Its ``differentiable_backward`` can instead rebuild the
forward pass with differentiable Tensor operations on the op's inputs and differentiate that
graph: for outputs y = f(x) and output gradients g, the input gradient is grad(y, x, g) taken
with ``create_graph=True``, so it can be differentiated again, to any order.

The rebuilt graph hangs off one identity node per input (``Relabel``): the inner ``grad`` stops
there, and the gradients it returns lead, through those nodes, back into the original graph.
"""

from __future__ import annotations

from .engine import grad
from .function import Relabel


def recompute(ctx, grads, arrays, build):
    """The gradients of node ``ctx`` from a rebuilt, differentiable copy of its forward pass.

    ``grads`` holds one gradient Tensor (or None) per output of the op, ``arrays`` the value of
    each forward argument (None for non-tensors and absent tensors), and ``build(*tensors)``
    returns the op's outputs (a Tensor or a tuple) computed with Tensor operations from one
    Tensor (or None) per forward argument. Returns one gradient per forward argument.
    """
    ins, want = [], []
    for i, a in enumerate(arrays):
        t = ctx.input_tensor(i, a) if a is not None else None
        if getattr(t, "requires_grad", False):
            t = Relabel.apply(t, a)
            want.append(i)
        ins.append(t)
    outs = build(*ins)
    outs = outs if isinstance(outs, tuple) else (outs,)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None and o.requires_grad]
    res = [None] * len(ctx.next_edges)
    if want and pairs:
        gs = grad([o for o, _ in pairs], [ins[i] for i in want], [g for _, g in pairs],
                  retain_graph=True, create_graph=True, allow_unused=True)
        for i, g in zip(want, gs):
            res[i] = g
    return tuple(res)
