"""The registry of differentiable gradient formulas used by ``create_graph=True``, and the
helpers the formulas are written with (glassnet/_double_backward.py runs them).

A formula ``f(ctx, *grads) -> tuple`` gets a graph node and one gradient Tensor per output, and
returns one gradient per forward argument, like ``Function.backward`` but with Tensor operations
run with grad mode on. ``input_tensor(ctx, i, a)`` is forward argument ``i`` as a Tensor in the
graph holding the saved array ``a``; ``output_tensor(ctx, nr, a)`` is the node's own output.
"""

from __future__ import annotations

from . import autograd, backend

_REGISTRY: dict = {}
_loaded = [False]


def register(*classes):
    """Decorator: ``@register(Mul)`` makes the function the differentiable gradient of Mul."""
    def deco(fn):
        for c in classes:
            _REGISTRY[c] = fn
        return fn
    return deco


def formula_for(cls):
    if not _loaded[0]:
        _loaded[0] = True
        from . import (  # noqa: F401
            _grad_formulas,
            _grad_formulas_conv,
            _grad_formulas_misc,
            _grad_formulas_nn,
            _grad_formulas_shape,
        )
    return _REGISTRY.get(cls)


# ----------------------------------------------------------------------------- graph-connected tensors
def _linked(data, node, nr):
    t = autograd._Tensor._make(data, True)
    t.grad_fn = node
    t._output_nr = nr
    return t


def input_tensor(ctx, i, data):
    """Forward argument ``i`` of the node ``ctx`` as a Tensor in the graph, with value ``data``.

    A leaf comes back as itself; an intermediate result as a Tensor pointing at the node that
    made it; a constant (or a Python number) as a plain value.
    """
    e = ctx.next_edges[i] if i < len(ctx.next_edges) else None
    if e is None:
        if data is None or not hasattr(data, "shape"):
            return data
        return autograd._Tensor._make(data, False)
    node, nr = e
    if nr is None:
        return node
    return _linked(data, node, nr)


def output_tensor(ctx, nr, data):
    """Output ``nr`` of the node ``ctx`` as a Tensor in the graph (``grad_fn`` is ``ctx``)."""
    return _linked(data, ctx, nr)


def sum_to(g, shape):
    """Sum a broadcast gradient Tensor down to ``shape`` (the adjoint of broadcasting)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    return g.sum_to_size(shape)


# ----------------------------------------------------------------------------- no formula yet
class _NoDoubleBackward(autograd.Function):
    """Stands for a first gradient computed by an op without a differentiable formula."""

    @staticmethod
    def forward(ctx, *args):  # pragma: no cover - never applied, built by _unsupported
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            f"create_graph: no differentiable gradient for {ctx.op_name} yet (its first gradient "
            "was computed, but differentiating through it again is not supported)")


register(_NoDoubleBackward)(lambda ctx, *grads: _NoDoubleBackward.backward(ctx, *grads))


def _edge(t):
    if not isinstance(t, autograd._Tensor) or not t.requires_grad:
        return None
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t, None)


def _unsupported(node, grads):
    """The raw gradient of ``node``, attached to a node that refuses to be differentiated."""
    Tensor = autograd._Tensor
    xp = backend.array_module(*[g._data for g in grads if g is not None])
    raw = [None if g is None else g._data for g in grads]
    if node.n_outputs > 1:
        raw = [xp.zeros(s, d) if r is None else r for r, (s, d) in zip(raw, node._out_meta)]
    res = node.fn.backward(node, *raw)
    if res.__class__ is not tuple:
        res = (res,)
    edges = tuple(_edge(g) for g in grads) + tuple(node.next_edges)
    live = any(e is not None for e in edges)
    out = []
    for r in res:
        if r is None or not hasattr(r, "shape"):
            out.append(None)
            continue
        t = Tensor._make(xp.asarray(r), False)
        if live:
            ctx = autograd.Context()
            ctx.fn = _NoDoubleBackward
            ctx.op_name = node.name()
            ctx.next_edges = edges
            t.requires_grad = True
            t.grad_fn = ctx
        out.append(t)
    return tuple(out)


# ----------------------------------------------------------------------------- user Functions
def _tensor_io(node, grads):
    """A Function written against Tensors: its backward runs with grad mode on, as in PyTorch."""
    from ._custom_function import _sum_to, backward_results
    Tensor = autograd._Tensor
    cls = node.fn
    gs = []
    for g, m in zip(grads, node._out_meta):
        if g is None and m is not None and node._materialize:
            xp = backend.array_module(*[x._data for x in grads if x is not None])
            g = Tensor._make(xp.zeros(m[0], m[1]), False)
        gs.append(g)
    res, edges = backward_results(node, cls.backward(node, *gs))
    out = []
    for i, (r, e) in enumerate(zip(res, edges)):
        if r is None or e is None:
            out.append(None)
            continue
        shape, dtype = node._in_meta[i]
        if not isinstance(r, Tensor):
            r = Tensor._make(backend.array_module(*[x._data for x in gs if x is not None])
                             .full(shape, r, dtype=dtype), False)
        if tuple(r.shape) != tuple(shape):
            _sum_to(r._data, shape, cls, i)  # raises the same error as the first-order path
            r = sum_to(r, shape)
        out.append(r if r.dtype == dtype else r.to(dtype))
    return tuple(out)


# ----------------------------------------------------------------------------- helpers
def O(ctx, a, nr=0):
    return output_tensor(ctx, nr, a)


def const(a, dtype):
    """A constant Tensor (a mask, a sign) in the gradient's dtype."""
    return autograd._Tensor._make(backend.array_module(a).asarray(a).astype(dtype, copy=False), False)


Relabel = autograd.Relabel
