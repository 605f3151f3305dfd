"""The backward engine for ``create_graph=True``: gradients that are themselves in the graph.

The first-order engine (glassnet/autograd.py) runs every node's ``backward`` on raw arrays, which
is fast but leaves no trace: its gradients are constants. Higher-order derivatives (a Hessian-
vector product, the gradient penalty of WGAN-GP, a MAML outer step, d^2y/dx^2) need the gradient
as a *function* of the inputs, so that it can be differentiated again. This engine walks the same
graph in the same order (Kahn's algorithm), but its gradient buffers hold Tensors and each node's
gradient comes from a *differentiable* formula written with Tensor operations and run with grad
mode on: the vector-Jacobian product of a node is recorded like any other computation.

The formulas live in a registry keyed by Function class (glassnet/_grad_registry.py, filled by
glassnet/_grad_formulas*.py). A formula ``f(ctx, *grads) -> tuple`` gets the node and one gradient
Tensor per output and returns one gradient per forward argument, like ``Function.backward``. It
rebuilds the op's inputs and outputs as graph-connected Tensors: a Tensor whose value is an array
the op saved and whose ``grad_fn`` is the node that produced it, so differentiating the formula
again flows back into the original graph (the chain rule through the first pass).

A node without a formula still gets its correct first gradient (its raw ``backward``), wrapped in
a node that raises a NotImplementedError naming the op if a later backward ever reaches it.
"""

from __future__ import annotations

from . import autograd, backend
from ._grad_registry import _tensor_io, _unsupported, formula_for


# ----------------------------------------------------------------------------- the engine
def _seed(t, g):
    Tensor = autograd._Tensor
    autograd.check_root(t, g)
    if g is None:
        xp = backend.array_module(t._data)
        return Tensor._make(xp.ones(t._data.shape, dtype=t._data.dtype), False)
    if not isinstance(g, Tensor):
        g = Tensor._make(backend.array_module(t._data).asarray(g), False)
        autograd.check_root(t, g)
    return g if g.dtype == t.dtype else g.to(t.dtype)


def _graph(root_nodes):
    """Every node reachable from the roots, in topological order (a node before its inputs)."""
    deps = {}
    stack = []
    for n in root_nodes:
        if n not in deps:
            deps[n] = 0
            stack.append(n)
    while stack:
        node = stack.pop()
        for e in node.next_edges:
            if e is None or e[1] is None:
                continue
            nxt = e[0]
            if nxt in deps:
                deps[nxt] += 1
            else:
                deps[nxt] = 1
                stack.append(nxt)
    order = []
    ready = [n for n, d in deps.items() if d == 0]
    left = dict(deps)
    while ready:
        node = ready.pop()
        order.append(node)
        for e in node.next_edges:
            if e is None or e[1] is None:
                continue
            left[e[0]] -= 1
            if left[e[0]] == 0:
                ready.append(e[0])
    return order


def run(roots, retain_graph, sink):
    """Backpropagate ``roots`` [(tensor, gradient Tensor)] with differentiable formulas.

    ``sink`` decides where gradients end: ``sink.leaf(t, g)`` for a leaf, ``sink.node(node,
    grads)`` before a node runs, and ``sink.wants_leaf(t)`` / ``sink.node_targets`` prune the
    graph to the nodes on a path to what is wanted (``autograd.grad`` only walks that part).
    """
    with autograd.enable_grad():
        _run(roots, retain_graph, sink)
        sink.finish()


def _run(roots, retain_graph, sink):
    order = _graph([t.grad_fn for t, _ in roots if t.grad_fn is not None])
    # Which nodes lead to something wanted: a wanted leaf, or a node whose output is wanted.
    targets = sink.node_targets
    reach = {}
    for node in reversed(order):
        r = targets is not None and node in targets
        if not r:
            for e in node.next_edges:
                if e is None:
                    continue
                if (sink.wants_leaf(e[0]) if e[1] is None else reach.get(e[0], False)):
                    r = True
                    break
        reach[node] = r
    deps = {n: 0 for n in order if reach[n]}
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
    anomaly = autograd._anomaly["on"]
    ready = [n for n, d in deps.items() if d == 0]
    while ready:
        node = ready.pop()
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
                raise RuntimeError(
                    f"{node.name()}: trying to backward through the graph a second time (the "
                    "saved arrays were freed after the first backward). Pass retain_graph=True "
                    "to the first backward() if you need to backpropagate twice.")
            res = _node_grads(node, grads)
            if anomaly:
                autograd._check_finite([r._data for r in res if r is not None],
                                       "backward (input gradient)", node)
            if not retain_graph:
                node._saved = None
                node._freed = True
        for i, e in enumerate(edges):
            if e is None:
                continue
            nxt, nr = e
            g = res[i] if i < len(res) else None
            if nr is None:
                if g is not None and sink.wants_leaf(nxt):
                    sink.leaf(nxt, g)
                continue
            if nxt not in deps:
                continue
            if g is not None:
                key = (nxt, nr)
                old = buf.get(key)
                buf[key] = g if old is None else old + g
            deps[nxt] -= 1
            if deps[nxt] == 0:
                ready.append(nxt)


def _node_grads(node, grads):
    Tensor = autograd._Tensor
    if node._tensor_io:
        return _tensor_io(node, grads)
    f = node.fn.differentiable_backward or formula_for(node.fn)
    if f is None:
        return _unsupported(node, grads)
    if node.n_outputs > 1:
        xp = backend.array_module(*[g._data for g in grads if g is not None])
        grads = [Tensor._make(xp.zeros(s, d), False) if g is None else g
                 for g, (s, d) in zip(grads, node._out_meta)]
    res = f(node, *grads)
    if res is NotImplemented:
        return _unsupported(node, grads)
    if res.__class__ is not tuple:
        res = (res,)
    return res


def _hooks(node, grads):
    Tensor = autograd._Tensor
    out = list(grads)
    for i, g in enumerate(out):
        if g is None:
            continue
        for hook in (node._pre_hooks or {}).get(i, ()):
            r = hook(g)
            if r is not None:
                out[i] = g = r if isinstance(r, Tensor) else Tensor._make(r, False)
        ref = (node._retain or {}).get(i)
        t = ref() if ref is not None else None
        if t is not None:
            t.grad = g.clone() if t.grad is None else t.grad + g
    return out


def accumulate_leaf(t, g):
    """``t.grad`` += g out of place, so that ``t.grad`` stays in the graph (PyTorch: after
    backward(create_graph=True) a leaf's .grad has a grad_fn when it depends on a leaf)."""
    Tensor = autograd._Tensor
    if tuple(g.shape) != tuple(t._data.shape):
        raise RuntimeError(f"backward: gradient of shape {tuple(g.shape)} for a leaf of shape "
                           f"{tuple(t._data.shape)}")
    if g.dtype != t.dtype:
        g = g.to(t.dtype)
    for hook in t._hooks or ():
        r = hook(g)
        if r is not None:
            g = r if isinstance(r, Tensor) else Tensor._make(r, False)
    t.grad = g.clone() if t.grad is None else t.grad + g


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
    Tensor = autograd._Tensor
    if isinstance(tensors, Tensor):
        tensors, grad_tensors = [tensors], [grad_tensors]
    else:
        tensors = list(tensors)
        if grad_tensors is None:
            grad_tensors = [None] * len(tensors)
        elif isinstance(grad_tensors, Tensor):
            grad_tensors = [grad_tensors]
    return [(t, _seed(t, g)) for t, g in zip(tensors, grad_tensors)]


def backward(tensors, grad_tensors=None, retain_graph=True, inputs=None):
    """``backward(create_graph=True)``: leaves get a ``.grad`` that is itself differentiable."""
    Tensor = autograd._Tensor
    roots = _roots(tensors, grad_tensors)
    only = None
    if inputs is not None:
        ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for t in ins:
            if t.grad_fn is not None:
                t.retain_grad()
        only = {id(t) for t in ins if t.grad_fn is None}
    sink = LeafSink(only)
    if inputs is not None:
        nodes = {t.grad_fn for t in ins if t.grad_fn is not None}
        sink.node_targets = nodes
    run(roots, retain_graph, sink)


def grad(outputs, inputs, grad_outputs=None, retain_graph=True, allow_unused=False):
    """``autograd.grad(create_graph=True)``: the returned gradients are in the graph."""
    Tensor = autograd._Tensor
    single = isinstance(inputs, Tensor)
    ins = [inputs] if single else list(inputs)
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
