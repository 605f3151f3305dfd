"""The backward engine: ``backward`` and ``grad``, on raw arrays.

Backpropagation is the chain rule applied over a directed acyclic graph: each node's
``backward`` maps the gradient with respect to its outputs to the gradients with respect to its
inputs, and a tensor that feeds several ops receives the sum of their gradients. The walk over
the graph (Kahn's algorithm) is glassnet/autograd/graph.py; this engine runs every node's
``backward`` on arrays, the fast path of training. ``create_graph=True`` hands the same walk to
glassnet/autograd/graph_engine.py, whose gradients are Tensors recorded in the graph.
"""

from __future__ import annotations

import numpy as np

from .. import backend
from . import graph_engine
from .function import backward_tensor_io
from .grad_mode import _anomaly, check_finite, no_grad
from .graph import check_root, dependencies, freed_error, order
from .variable import Variable


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None, _capture=None):
    """Backpropagate from ``tensors``: every node runs once, after every node that feeds
    gradient into it, so the gradient it sees is already the sum over all paths.

    Leaf tensors accumulate into ``.grad``; with ``inputs`` (a tensor or a list), only those
    leaves do. ``create_graph=True`` records the gradients themselves in the graph
    (glassnet/autograd/graph_engine.py); ``retain_graph`` then defaults to True, as in PyTorch.
    """
    if grad_tensors is None and grad_variables is not None:
        grad_tensors = grad_variables
    tensors, grad_tensors = _sparse_roots(tensors, grad_tensors)
    if inputs is not None and not isinstance(inputs, Variable):
        inputs = [_graph_tensor(t) for t in inputs]
    elif inputs is not None:
        inputs = _graph_tensor(inputs)
    backend.threads_now()  # once per pass: the load is read (and BLAS follows it, if asked)
    if create_graph:
        graph_engine.backward(tensors, grad_tensors, retain_graph=retain_graph is not False,
                              inputs=inputs)
        return
    retain_graph = bool(retain_graph)
    if inputs is not None and _capture is None:
        ins = [inputs] if isinstance(inputs, Variable) else list(inputs)
        for t in ins:
            if t.grad_fn is not None:
                t.retain_grad()
        only = {id(t) for t in ins if t.grad_fn is None}
        _capture = _LeafFilter(only)
    if isinstance(tensors, Variable):
        tensors = [tensors]
        grad_tensors = [grad_tensors]
    elif grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Variable):
        grad_tensors = [grad_tensors]
    roots = []
    for t, g in zip(tensors, grad_tensors):
        check_root(t, g)
        if g is None:
            g = backend.array_module(t._data).ones(t._data.shape, dtype=t._data.dtype)
        else:
            g = g._data if isinstance(g, Variable) else backend.array_module(t._data).asarray(g)
            check_root(t, g)
            g = g.astype(t._data.dtype, copy=False)
        roots.append((t, g))

    nodes = order(dependencies([t.grad_fn for t, _ in roots if t.grad_fn is not None]))
    # Seed the gradient buffers. A buffer is keyed by the node for single-output nodes, by
    # (node, output) otherwise.
    buf = {}
    for t, g in roots:
        node = t.grad_fn
        if node is None:
            if _capture is None:
                _accumulate_leaf(t, g)
            else:
                _capture.leaf(t, g, False)
            continue
        key = node if node.n_outputs == 1 else (node, t._output_nr)
        old = buf.get(key)
        buf[key] = g if old is None else old + g
    anomaly = _anomaly["on"]
    capture_nodes = _capture is not None and _capture.nodes
    for node in nodes:
        n_out = node.n_outputs
        if n_out == 1:
            g = buf.pop(node, None)
            grads_out = (g,)
            has_grad = g is not None
        else:
            grads_out = [buf.pop((node, i), None) for i in range(n_out)]
            has_grad = any(g is not None for g in grads_out)
        if node._pre_hooks is not None or node._retain is not None:
            grads_out = _run_tensor_hooks(node, grads_out)
        if capture_nodes:
            _capture.node(node, grads_out)
        if has_grad:
            if n_out > 1 and not node._tensor_io:
                xp = backend.array_module(*[g for g in grads_out if g is not None])
                grads_out = [xp.zeros(s, d) if g is None else g
                             for g, (s, d) in zip(grads_out, node._out_meta)]
            if node._freed:
                raise freed_error(node)
            if node._tensor_io:
                grads_in = _backward_tensor_io(node, grads_out)
            else:
                grads_in = node.fn.backward(node, *grads_out)
            if grads_in.__class__ is not tuple:
                grads_in = (grads_in,)
            if anomaly:
                check_finite(grads_in, "backward (input gradient)", node)
            if not retain_graph:
                node._saved = None
                node._freed = True
        else:
            grads_in = ()
        for e, g in zip(node.next_edges, grads_in):
            if e is None or g is None:
                continue
            nxt, nr = e
            if nr is None:  # a leaf tensor
                if _capture is None:
                    _accumulate_leaf(nxt, g, node.fn.fresh_grads)
                else:
                    _capture.leaf(nxt, g, node.fn.fresh_grads)
                continue
            # A tensor used on several paths receives the sum of their gradients.
            key = nxt if nxt.n_outputs == 1 else (nxt, nr)
            old = buf.get(key)
            buf[key] = g if old is None else old + g


def _graph_tensor(t):
    """The tensor that holds ``t``'s place in the graph: ``t`` itself, or for a sparse tensor
    (glassnet/tensor/sparse_coo.py) the tensor of its stored values."""
    return t._autograd_values if getattr(t, "_sparse_layout", False) else t


def _sparse_roots(tensors, grad_tensors):
    """Outputs to start backward from, with sparse ones replaced by their values and the
    gradient given for each of those (dense or sparse, of the output's shape) read at its
    stored positions."""
    single = isinstance(tensors, Variable)
    ts = [tensors] if single else list(tensors)
    if not any(getattr(t, "_sparse_layout", False) for t in ts):
        return tensors, grad_tensors
    if grad_tensors is None:
        gs = [None] * len(ts)
    elif single or isinstance(grad_tensors, Variable):
        gs = [grad_tensors]
    else:
        gs = list(grad_tensors)
    out_t, out_g = [], []
    for t, g in zip(ts, gs):
        if getattr(t, "_sparse_layout", False):
            if g is None:
                raise RuntimeError(f"backward: grad can be implicitly created only for scalar "
                                   f"outputs, but the output is a sparse tensor of shape "
                                   f"{tuple(t.shape)}; pass a gradient of that shape")
            t, g = t._autograd_values, t._values_grad(g)
        out_t.append(t)
        out_g.append(g)
    return out_t, out_g


def _run_tensor_hooks(node, grads_out):
    out = list(grads_out)
    for i, g in enumerate(out):
        if g is None:
            continue
        for hook in (node._pre_hooks or {}).get(i, ()):
            r = hook(Variable._make(g, False))
            if r is not None:
                out[i] = g = r._data if isinstance(r, Variable) else r
        ref = (node._retain or {}).get(i)
        t = ref() if ref is not None else None
        if t is not None:
            t.grad = t._make(g.copy(), False) if t.grad is None else t.grad + t._make(g, False)
    return out


def _accumulate_leaf(t, g, fresh=False):
    """Add ``g`` into ``t.grad``. ``fresh``: the Function that made ``g`` promises it is a new
    array nobody else holds (``Function.fresh_grads = True``), so it can become ``.grad``
    without a copy."""
    if isinstance(g, np.generic):  # NumPy ops on 0-d arrays return scalars
        g = np.asarray(g)
    if g.shape != t._data.shape:  # only a broken Function can get here
        raise RuntimeError(f"backward: gradient of shape {g.shape} for a leaf of shape "
                           f"{t._data.shape}")
    if g.dtype != t._data.dtype:
        g = cast_grad(g, t._data.dtype)
    for hook in t._hooks or ():
        r = hook(t._make(g, False))
        if r is not None:
            g = r._data if isinstance(r, Variable) else r
            fresh = False
    if t.grad is None:
        # Own the buffer (one op may hand the same array to several inputs): later
        # accumulations update it in place.
        t.grad = t._make(g if fresh and g.base is None else g.copy(), False)
    else:
        t.grad._data += g


def cast_grad(g, dtype):
    """A gradient array in a leaf's ``dtype``. A real tensor that fed a complex computation
    keeps the real part of its complex gradient (the imaginary part is the derivative along a
    direction the real tensor cannot move in), as PyTorch does."""
    if g.dtype.kind == "c" and dtype.kind != "c":
        g = g.real
    return g.astype(dtype)


def _backward_tensor_io(node, grads_out):
    """First order: the engine's gradient arrays in, arrays out, the user's backward unrecorded."""
    with no_grad():
        res = backward_tensor_io(node, [None if g is None else Variable._make(g, False)
                                        for g in grads_out])
    return tuple(None if r is None else r._data for r in res)


class _LeafFilter:
    """Routes leaf gradients during backward: only the chosen leaves accumulate into .grad."""

    nodes = None

    def __init__(self, only):
        self.only = only

    def leaf(self, t, g, fresh):
        if id(t) in self.only:
            _accumulate_leaf(t, g, fresh)


class _Capture:
    """Collects d(outputs)/d(inputs) for ``grad`` without touching any tensor's ``.grad``."""

    def __init__(self, inputs):
        self.inputs = inputs
        self.leaves = {id(t): i for i, t in enumerate(inputs) if t.grad_fn is None}
        self.nodes = {(t.grad_fn, t._output_nr): i for i, t in enumerate(inputs)
                      if t.grad_fn is not None} or None
        self.result = [None] * len(inputs)

    def _add(self, i, g):
        self.result[i] = g.copy() if self.result[i] is None else self.result[i] + g

    def leaf(self, t, g, fresh):
        i = self.leaves.get(id(t))
        if i is not None:
            self._add(i, g if g.dtype == t._data.dtype else cast_grad(g, t._data.dtype))

    def node(self, node, grads_out):
        for nr, g in enumerate(grads_out):
            i = self.nodes.get((node, nr))
            if i is not None and g is not None:
                self._add(i, g)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """d(outputs)/d(inputs), returned as a tuple instead of accumulated into ``.grad``.

    No tensor's ``.grad`` changes. ``inputs`` may be leaves or intermediate tensors. With
    ``create_graph=True`` the returned gradients are themselves differentiable (a Hessian-vector
    product is ``grad(grad(f, x, create_graph=True)[0] @ v, x)``); ``retain_graph`` defaults to
    ``create_graph``. ``materialize_grads=True`` returns zeros instead of None for unused inputs.
    """
    if is_grads_batched:
        raise NotImplementedError("autograd.grad: is_grads_batched=True is not supported; loop "
                                  "over the rows of grad_outputs instead")
    if allow_unused is None:
        allow_unused = materialize_grads
    single = isinstance(inputs, Variable)
    ins = [inputs] if single else list(inputs)
    # A sparse input's gradient is that of its values, handed back as a sparse tensor.
    sparse_in = [t if getattr(t, "_sparse_layout", False) else None for t in ins]
    ins = [_graph_tensor(t) for t in ins]
    outputs, grad_outputs = _sparse_roots(outputs, grad_outputs)
    for i, t in enumerate(ins):
        if isinstance(t, Variable) and not t.requires_grad:
            raise RuntimeError(f"autograd.grad: one of the differentiated tensors does not "
                               f"require grad (input {i}, shape {tuple(t.shape)})")
    if create_graph:
        res = list(graph_engine.grad(outputs, ins, grad_outputs,
                                     retain_graph=retain_graph is not False,
                                     allow_unused=allow_unused))
    else:
        cap = _Capture(ins)
        backward(outputs, grad_outputs, retain_graph=bool(retain_graph), _capture=cap)
        res = []
        for t, g in zip(ins, cap.result):
            if g is None:
                if not allow_unused:
                    raise RuntimeError(f"autograd.grad: the differentiated tensor at index "
                                       f"{len(res)} appears not to have been used in the graph "
                                       f"(pass allow_unused=True to get None for it)")
                res.append(None)
            else:
                res.append(t._make(g, False))
    if materialize_grads:
        xp = backend.array_module
        res = [t._make(xp(t._data).zeros_like(t._data), False) if g is None else g
               for t, g in zip(ins, res)]
    return tuple(g if s is None or g is None else s._grad_from_values(g)
                 for s, g in zip(sparse_in, res))
