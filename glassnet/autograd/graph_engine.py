"""The backward engine for ``create_graph=True``: gradients that are themselves in the graph.

The first-order engine (glassnet/autograd/engine.py) runs every node's ``backward`` on raw
arrays, which is fast but leaves no trace: its gradients are constants. Higher-order derivatives
(a Hessian-vector product, the gradient penalty of WGAN-GP, a MAML outer step, d^2y/dx^2) need
the gradient as a *function* of the inputs, so that it can be differentiated again. This engine
walks the graph the same way (glassnet/autograd/graph.py), but its gradient buffers hold Tensors
and each node's gradient comes from its Function's ``differentiable_backward``, written with
Tensor operations and run with grad mode on: the vector-Jacobian product of a node is recorded
like any other computation.

A ``differentiable_backward`` rebuilds the op's inputs and outputs as graph-connected Tensors
(``ctx.input_tensor``, ``ctx.output_tensor``): a Tensor whose value is an array the op saved and
whose ``grad_fn`` is the node that produced it, so differentiating the gradient again flows back
into the original graph (the chain rule through the first pass).

A node without one still gets its correct first gradient (its raw ``backward``), attached to a
node that raises a NotImplementedError naming the op if a later backward ever reaches it.

The engine needs nothing of Tensor but its methods: every gradient it handles is a tensor, and
new ones are made with ``Variable._make``.
"""

from __future__ import annotations

from .. import backend
from .function import Function, backward_tensor_io
from .grad_mode import _anomaly, check_finite, enable_grad
from .graph import check_root, dependencies, freed_error, order
from .variable import Variable


# ----------------------------------------------------------------------------- the engine
def _seed(t, g):
    check_root(t, g)
    if g is None:
        xp = backend.array_module(t._data)
        return t._make(xp.ones(t._data.shape, dtype=t._data.dtype), False)
    if not isinstance(g, Variable):
        g = t._make(backend.array_module(t._data).asarray(g), False)
        check_root(t, g)
    return g if g.dtype == t.dtype else g.to(t.dtype)


def run(roots, retain_graph, sink):
    """Backpropagate ``roots`` [(tensor, gradient Tensor)] with differentiable gradients.

    ``sink`` decides where gradients end: ``sink.leaf(t, g)`` for a leaf, ``sink.node(node,
    grads)`` before a node runs, and ``sink.wants_leaf(t)`` / ``sink.node_targets`` prune the
    graph to the nodes on a path to what is wanted (``autograd.grad`` only walks that part).
    """
    with enable_grad():
        _run(roots, retain_graph, sink)
        sink.finish()


def _run(roots, retain_graph, sink):
    # Every reachable node in dependency order (a node before the nodes it feeds gradient to).
    nodes = order(dependencies([t.grad_fn for t, _ in roots if t.grad_fn is not None]))
    # Which nodes lead to something wanted: a wanted leaf, or a node whose output is wanted.
    targets = sink.node_targets
    reach = {}
    for node in reversed(nodes):
        r = targets is not None and node in targets
        if not r:
            for e in node.next_edges:
                if e is None:
                    continue
                if (sink.wants_leaf(e[0]) if e[1] is None else reach.get(e[0], False)):
                    r = True
                    break
        reach[node] = r
    deps = {n: 0 for n in nodes if reach[n]}
    for n in deps:
        for e in n.next_edges:
            if e is not None and e[1] is not None and e[0] in deps:
                deps[e[0]] += 1
    buf = {}
    for t, g in roots:
        node = t.grad_fn
        if node is None:
            if sink.wants_leaf(t):
                sink.leaf(t, g)
            continue
        key = (node, t._output_nr)
        old = buf.get(key)
        buf[key] = g if old is None else old + g
    anomaly = _anomaly["on"]
    for node in order(dict(deps)):
        grads = [buf.pop((node, i), None) for i in range(node.n_outputs)]
        if node._pre_hooks is not None or node._retain is not None:
            grads = _hooks(node, grads)
        sink.node(node, grads)
        edges = node.next_edges
        runs = any(e is not None and (sink.wants_leaf(e[0]) if e[1] is None
                                      else e[0] in deps) for e in edges)
        res = ()
        if runs and any(g is not None for g in grads):
            if node._freed:
                raise freed_error(node)
            res = _node_grads(node, grads)
            if anomaly:
                check_finite([r._data for r in res if r is not None],
                             "backward (input gradient)", node)
            if not retain_graph:
                node._saved = None
                node._freed = True
        for i, e in enumerate(edges):
            if e is None:
                continue
            g = res[i] if i < len(res) else None
            if g is None:
                continue
            nxt, nr = e
            if nr is None:
                if sink.wants_leaf(nxt):
                    sink.leaf(nxt, g)
                continue
            if nxt in deps:
                key = (nxt, nr)
                old = buf.get(key)
                buf[key] = g if old is None else old + g


def _node_grads(node, grads):
    if node._tensor_io:
        return backward_tensor_io(node, grads)  # with grad mode on: recorded
    f = node.fn.differentiable_backward
    if f is None:
        return _unsupported(node, grads)
    if node.n_outputs > 1:
        xp = backend.array_module(*[g._data for g in grads if g is not None])
        grads = [Variable._make(xp.zeros(s, d), False) if g is None else g
                 for g, (s, d) in zip(grads, node._out_meta)]
    res = f(node, *grads)
    if res is NotImplemented:
        return _unsupported(node, grads)
    if res.__class__ is not tuple:
        res = (res,)
    return res


def _hooks(node, grads):
    out = list(grads)
    for i, g in enumerate(out):
        if g is None:
            continue
        for hook in (node._pre_hooks or {}).get(i, ()):
            r = hook(g)
            if r is not None:
                out[i] = g = r if isinstance(r, Variable) else Variable._make(r, False)
        ref = (node._retain or {}).get(i)
        t = ref() if ref is not None else None
        if t is not None:
            t.grad = g.clone() if t.grad is None else t.grad + g
    return out


def accumulate_leaf(t, g):
    """``t.grad`` += g out of place, so that ``t.grad`` stays in the graph (PyTorch: after
    backward(create_graph=True) a leaf's .grad has a grad_fn when it depends on a leaf)."""
    if tuple(g.shape) != tuple(t._data.shape):
        raise RuntimeError(f"backward: gradient of shape {tuple(g.shape)} for a leaf of shape "
                           f"{tuple(t._data.shape)}")
    if g.dtype != t.dtype:
        g = g.to(t.dtype)
    for hook in t._hooks or ():
        r = hook(g)
        if r is not None:
            g = r if isinstance(r, Variable) else t._make(r, False)
    t.grad = g.clone() if t.grad is None else t.grad + g


# ----------------------------------------------------------------------------- ops without one
class _NoDoubleBackward(Function):
    """Stands for a first gradient computed by an op without a differentiable backward."""

    @staticmethod
    def forward(ctx, *args):  # pragma: no cover - never applied, built by _unsupported
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError(
            f"create_graph: no differentiable gradient for {ctx.op_name} yet (its first gradient "
            "was computed, but differentiating through it again is not supported)")

    differentiable_backward = backward


def _edge(t):
    if not isinstance(t, Variable) or not t.requires_grad:
        return None
    return (t.grad_fn, t._output_nr) if t.grad_fn is not None else (t, None)


def _unsupported(node, grads):
    """The raw gradient of ``node``, attached to a node that refuses to be differentiated."""
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
        t = Variable._make(xp.asarray(r), False)
        if live:
            ctx = _NoDoubleBackward._node_cls()
            ctx.fn = _NoDoubleBackward
            ctx.op_name = node.op_name()
            ctx.next_edges = edges
            t.requires_grad = True
            t.grad_fn = ctx
        out.append(t)
    return tuple(out)


# ----------------------------------------------------------------------------- where gradients end
class LeafSink:
    """``backward``: every leaf (or only ``inputs``) accumulates into ``.grad``."""

    node_targets = None

    def __init__(self, only=None):
        self.only = only
        self.pending = {}

    def wants_leaf(self, t):
        return self.only is None or id(t) in self.only

    def leaf(self, t, g):
        # A leaf used on several paths gets their sum, then its hooks run once (as in PyTorch).
        old = self.pending.get(id(t))
        self.pending[id(t)] = (t, g if old is None else old[1] + g)

    def finish(self):
        for t, g in self.pending.values():
            accumulate_leaf(t, g)

    def node(self, node, grads):
        pass


class CaptureSink:
    """``grad``: d(outputs)/d(inputs) collected as Tensors; no ``.grad`` changes."""

    def __init__(self, inputs):
        self.leaves = {id(t): i for i, t in enumerate(inputs) if t.grad_fn is None}
        self.keys = {(t.grad_fn, t._output_nr): i for i, t in enumerate(inputs)
                     if t.grad_fn is not None}
        self.node_targets = {k[0] for k in self.keys}
        self.result = [None] * len(inputs)
        self.inputs = inputs

    def wants_leaf(self, t):
        return id(t) in self.leaves

    def finish(self):
        pass

    def _add(self, i, g):
        self.result[i] = g if self.result[i] is None else self.result[i] + g

    def leaf(self, t, g):
        i = self.leaves.get(id(t))
        if i is not None:
            self._add(i, g if g.dtype == t.dtype else g.to(t.dtype))

    def node(self, node, grads):
        if node not in self.node_targets:
            return
        for nr, g in enumerate(grads):
            i = self.keys.get((node, nr))
            if i is not None and g is not None:
                self._add(i, g)


def _roots(tensors, grad_tensors):
    if isinstance(tensors, Variable):
        tensors, grad_tensors = [tensors], [grad_tensors]
    else:
        tensors = list(tensors)
        if grad_tensors is None:
            grad_tensors = [None] * len(tensors)
        elif isinstance(grad_tensors, Variable):
            grad_tensors = [grad_tensors]
    return [(t, _seed(t, g)) for t, g in zip(tensors, grad_tensors)]


def backward(tensors, grad_tensors=None, retain_graph=True, inputs=None):
    """``backward(create_graph=True)``: leaves get a ``.grad`` that is itself differentiable."""
    roots = _roots(tensors, grad_tensors)
    only = None
    if inputs is not None:
        ins = [inputs] if isinstance(inputs, Variable) else list(inputs)
        for t in ins:
            if t.grad_fn is not None:
                t.retain_grad()
        only = {id(t) for t in ins if t.grad_fn is None}
    sink = LeafSink(only)
    if inputs is not None:
        sink.node_targets = {t.grad_fn for t in ins if t.grad_fn is not None}
    run(roots, retain_graph, sink)


def grad(outputs, inputs, grad_outputs=None, retain_graph=True, allow_unused=False):
    """``autograd.grad(create_graph=True)``: the returned gradients are in the graph."""
    ins = [inputs] if isinstance(inputs, Variable) else list(inputs)
    sink = CaptureSink(ins)
    run(_roots(outputs, grad_outputs), retain_graph, sink)
    res = []
    for g in sink.result:
        if g is None and not allow_unused:
            raise RuntimeError("autograd.grad: one of the differentiated tensors appears not "
                               "to have been used in the graph (pass allow_unused=True to get "
                               "None for it)")
        res.append(g)
    return tuple(res)
