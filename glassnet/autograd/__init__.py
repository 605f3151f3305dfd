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
anywhere else sees Tensors (glassnet/_custom_function.py); ``tensor_io = False`` on a class
asks for arrays explicitly.

``torch.autograd.gradcheck`` and ``gradgradcheck`` are here (glassnet/_gradcheck.py).

Higher-order gradients: ``backward(create_graph=True)`` and ``grad(..., create_graph=True)``
run a second engine (glassnet/_double_backward.py) whose gradient buffers hold Tensors and whose
per-op formulas (glassnet/_grad_formulas*.py) are written with differentiable Tensor operations,
so the gradients it returns can be differentiated again: Hessian-vector products, gradient
penalties, MAML. The first-order engine below, on raw arrays, stays the fast path of training.
``glassnet.autograd.functional`` has ``jacobian``, ``hessian``, ``vjp``, ``jvp``, ``hvp``, ``vhp``.
"""

from __future__ import annotations

import contextlib
import sys as _sys
import threading
import traceback

import numpy as np

from .. import backend

_Tensor = None  # set by glassnet.tensor (avoids an import cycle)


class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()
_anomaly = {"on": False}


def is_grad_enabled() -> bool:
    return _grad_mode.enabled


def set_grad_enabled(mode: bool):
    """Context manager / function that turns graph recording on or off."""
    return _SetGrad(bool(mode))


class _SetGrad(contextlib.ContextDecorator):
    def __init__(self, mode):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = mode
        self.mode = mode

    def __enter__(self):
        _grad_mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False


class no_grad(contextlib.ContextDecorator):
    """Disable graph recording inside the block (evaluation, in-place parameter updates)."""

    def __enter__(self):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = False
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False


class enable_grad(contextlib.ContextDecorator):
    """Re-enable graph recording inside a ``no_grad`` block."""

    def __enter__(self):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = True
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False


inference_mode = no_grad


class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first op whose forward or backward produces NaN or Inf.

    While active, every op records where in user code it was created, so the error names both
    the op and the line that built it. It costs a stack capture per op: use it for debugging.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = _anomaly["on"]
        _anomaly["on"] = self.check_nan
        return self

    def __exit__(self, *exc):
        _anomaly["on"] = self.prev
        return False


def is_anomaly_enabled() -> bool:
    return _anomaly["on"]


def _user_frame(stack) -> str:
    """The innermost stack frame outside glassnet itself: where the user created the op."""
    for fr in reversed(stack):
        if "/glassnet/" not in fr.filename.replace("\\", "/") or "/tests/" in fr.filename:
            return f'File "{fr.filename}", line {fr.lineno}, in {fr.name}\n    {fr.line}'
    fr = stack[-1]
    return f'File "{fr.filename}", line {fr.lineno}, in {fr.name}'


def _check_finite(arrays, what: str, node) -> None:
    for a in arrays:
        if a is None or not hasattr(a, "dtype") or a.dtype.kind != "f":
            continue
        xp = backend.array_module(a)
        if not bool(xp.isfinite(a).all()):
            bad = "NaN" if bool(xp.isnan(a).any()) else "Inf"
            where = node._stack if node is not None and node._stack else "(unknown location)"
            raise RuntimeError(
                f"detect_anomaly: {node.name() if node is not None else 'op'} produced {bad} "
                f"in its {what}. The op was created at:\n  {where}")


class Context:
    """The per-call state of a Function, and the graph node its outputs point back to.

    ``save_for_backward(*arrays)`` keeps arrays for ``backward``; they are released after
    backward unless ``retain_graph=True``. Any other attribute (``ctx.stride = 2``) may be set.
    """

    # Attributes used by the engine; user Functions may add any others.
    fn = None
    next_edges = ()  # one per input: (Node, output_nr), (leaf Tensor, None) or None
    _needs = None
    n_outputs = 1
    _saved = None
    _freed = False
    _pre_hooks = None  # {output_nr: [hook]} from register_hook on non-leaf tensors
    _retain = None  # {output_nr: weakref(tensor)} for retain_grad()
    _stack = None
    _out_meta = None  # [(shape, dtype)] per output, to build zero gradients
    _tensor_io = False  # a Function whose forward/backward see Tensors (see Function)
    _materialize = True
    _non_diff = None

    def save_for_backward(self, *arrays) -> None:
        self._saved = arrays

    def mark_non_differentiable(self, *outputs) -> None:
        """Outputs of ``forward`` (Tensors it returns) that get no gradient, as in PyTorch."""
        self._non_diff = {id(o) for o in outputs}

    def set_materialize_grads(self, value: bool) -> None:
        """False: ``backward`` receives None, not zeros, for outputs that got no gradient."""
        self._materialize = bool(value)

    def mark_dirty(self, *tensors) -> None:
        """Accepted for PyTorch compatibility: inputs modified in place by ``forward``."""

    @property
    def needs_input_grad(self):
        """One bool per argument of ``forward``: does that input need a gradient?"""
        n = self._needs
        if n is None:
            n = self._needs = tuple(e is not None for e in self.next_edges)
        return n

    @needs_input_grad.setter
    def needs_input_grad(self, value):
        self._needs = tuple(value)

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{self.name()}: trying to backward through the graph a second time (the saved "
                "arrays were freed after the first backward). Pass retain_graph=True to the first "
                "backward() if you need to backpropagate twice.")
        return self._saved

    def name(self) -> str:
        return self.fn.__name__ if self.fn is not None else "Function"

    # ------------------------------------------------------------------ for differentiable_backward
    def input_tensor(self, i, data):
        """Forward argument ``i`` as a Tensor in the graph, holding ``data`` (a saved array).

        A leaf comes back as itself, an intermediate result as a Tensor pointing at the node that
        made it, a constant (or a Python number) as a plain value. Used by a Function's
        ``differentiable_backward`` so that the gradient it builds reaches back into the graph.
        """
        from .._grad_registry import input_tensor
        return input_tensor(self, i, data)

    def output_tensor(self, data, nr=0):
        """Output ``nr`` of this node as a Tensor in the graph (its ``grad_fn`` is this node)."""
        from .._grad_registry import output_tensor
        return output_tensor(self, nr, data)

    def constant(self, data, dtype):
        """A constant Tensor (a mask, a sign) in ``dtype``, outside the graph."""
        from .._grad_registry import const
        return const(data, dtype)

    def __repr__(self):
        return f"<{self.name()}Backward>"


class Function:
    """Base class of every differentiable op (see the module docstring for an example).

    glassnet's own ops (every subclass defined inside the ``glassnet`` package) work on raw
    arrays. A subclass defined anywhere else follows PyTorch's convention, so that code written
    for ``torch.autograd.Function`` runs unchanged: ``forward`` runs under ``no_grad`` and sees
    the Tensors it was given, ``backward`` gets and returns Tensors, ``ctx.saved_tensors`` gives
    back what was saved. Either kind may be chosen explicitly with the class attribute
    ``tensor_io = True`` / ``False``. PyTorch's newer style, a ``forward(*args)`` without ``ctx``
    plus ``setup_context(ctx, inputs, output)``, works too.
    """

    # True when backward returns a newly allocated array for every input (never the incoming
    # gradient, a saved array or one array twice): a leaf then keeps it as .grad without a copy.
    fresh_grads = False
    tensor_io = False

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "tensor_io" not in cls.__dict__:
            mod = cls.__dict__.get("__module__") or ""
            cls.tensor_io = not (mod == "glassnet" or mod.startswith("glassnet."))

    @staticmethod
    def setup_context(ctx, inputs, output):
        """New-style Functions save what backward needs here, from ``inputs`` and ``output``."""
        raise NotImplementedError

    @staticmethod
    def forward(ctx, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    @staticmethod
    def backward(ctx, *grads):  # pragma: no cover - abstract
        raise NotImplementedError

    # The gradient again, written on Tensors so that it is itself recorded in the graph and can
    # be differentiated (``create_graph=True``): ``differentiable_backward(ctx, *grads)`` gets one
    # gradient Tensor per output and returns one per forward argument, like ``backward``.
    # ``ctx.input_tensor(i, a)`` / ``ctx.output_tensor(a)`` reconnect saved arrays to the graph.
    # None: the first gradient is computed with ``backward`` and differentiating it again raises
    # a clear error. Returning ``NotImplemented`` does the same for one call (an unsupported case).
    differentiable_backward = None

    @classmethod
    def apply(cls, *args, **kwargs):
        # This is the hot path of every op: one pass over the arguments, no per-call lists
        # beyond the edges, and Tensors built without going through __init__.
        if cls.tensor_io:
            return _apply_tensor_io(cls, args, kwargs)
        Tensor = _Tensor
        record = _grad_mode.enabled
        arrays = []
        edges = []
        any_grad = False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a._data)
                if record and a.requires_grad:
                    any_grad = True
                    gf = a.grad_fn
                    edges.append((gf, a._output_nr) if gf is not None else (a, None))
                else:
                    edges.append(None)
            else:
                arrays.append(a)
                edges.append(None)
        ctx = Context()
        ctx.fn = cls
        ctx.next_edges = tuple(edges)  # read lazily by ctx.needs_input_grad
        out = cls.forward(ctx, *arrays, **kwargs)
        if out.__class__ is tuple:
            outs = tuple(_np_asarray(o) if isinstance(o, _np_generic) else o for o in out)
            multi = True
        else:
            if isinstance(out, _np_generic):  # NumPy reductions return scalars
                out = _np_asarray(out)
            outs = (out,)
            multi = False
        if _anomaly["on"]:
            ctx._stack = _user_frame(traceback.extract_stack()[:-1])
            _check_finite(outs, "forward output", ctx)
        new = _new_tensor
        results = []
        if any_grad:
            ctx.n_outputs = len(outs)
            if multi:
                ctx._out_meta = [(o.shape, o.dtype) for o in outs]
            for i, o in enumerate(outs):
                t = new(Tensor)
                t._data = o
                t.grad = None
                t._hooks = None
                t._output_nr = i
                if o.dtype.kind == "f":
                    t.requires_grad = True
                    t.grad_fn = ctx
                else:  # integer and bool outputs (indices, masks) carry no gradient
                    t.requires_grad = False
                    t.grad_fn = None
                results.append(t)
        else:
            for o in outs:
                t = new(Tensor)
                t._data = o
                t.grad = None
                t.grad_fn = None
                t._output_nr = 0
                t._hooks = None
                t.requires_grad = False
                results.append(t)
        return tuple(results) if multi else results[0]


class Relabel(Function):
    """The identity on gradients, with a forward value given exactly: ``Relabel.apply(t, v)`` is
    ``t`` for autograd but holds ``v`` (an array equal to t up to rounding, saved by the first
    pass). Differentiable backwards use it to reuse a value without recomputing it."""

    @staticmethod
    def forward(ctx, x, value):
        return value

    @staticmethod
    def backward(ctx, g):
        return g, None

    @staticmethod
    def differentiable_backward(ctx, g):
        return g, None


_new_tensor = object.__new__
_np_generic = np.generic
_np_asarray = np.asarray


# ----------------------------------------------------------------------------- the engine
def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None, _capture=None):
    """Backpropagate from ``tensors`` (Kahn's algorithm over the graph: iterative, no recursion).

    Each node runs once, after every node that feeds gradient into it has run, so the gradient
    it sees is already the sum over all paths. Leaf tensors accumulate into ``.grad``; with
    ``inputs`` (a tensor or a list), only those leaves do. ``create_graph=True`` records the
    gradients themselves in the graph (glassnet/_double_backward.py); ``retain_graph`` then
    defaults to True, as in PyTorch.
    """
    if grad_tensors is None and grad_variables is not None:
        grad_tensors = grad_variables
    if create_graph:
        from .. import _double_backward
        _double_backward.backward(tensors, grad_tensors, retain_graph=retain_graph is not False,
                                  inputs=inputs)
        return
    retain_graph = bool(retain_graph)
    Tensor = _Tensor
    if inputs is not None and _capture is None:
        ins = [inputs] if isinstance(inputs, Tensor) else list(inputs)
        for t in ins:
            if t.grad_fn is not None:
                t.retain_grad()
        only = {id(t) for t in ins if t.grad_fn is None}
        _capture = _LeafFilter(only)
    if isinstance(tensors, Tensor):
        tensors = [tensors]
        grad_tensors = [grad_tensors]
    elif grad_tensors is None:
        grad_tensors = [None] * len(tensors)
    elif isinstance(grad_tensors, Tensor):
        grad_tensors = [grad_tensors]
    roots = []
    for t, g in zip(tensors, grad_tensors):
        check_root(t, g)
        if g is None:
            g = backend.array_module(t._data).ones(t._data.shape, dtype=t._data.dtype)
        else:
            g = g._data if isinstance(g, Tensor) else backend.array_module(t._data).asarray(g)
            check_root(t, g)
            g = g.astype(t._data.dtype, copy=False)
        roots.append((t, g))

    # 1. Find every node reachable from the roots and count the edges into it.
    deps = {}
    stack = []
    for t, _ in roots:
        if t.grad_fn is not None and t.grad_fn not in deps:
            deps[t.grad_fn] = 0
            stack.append(t.grad_fn)
    while stack:
        node = stack.pop()
        for e in node.next_edges:
            if e is None or e[1] is None:
                continue
            nxt = e[0]
            d = deps.get(nxt)
            if d is None:
                deps[nxt] = 1
                stack.append(nxt)
            else:
                deps[nxt] = d + 1

    # 2. Seed the gradient buffers and run nodes whose dependencies are all satisfied.
    # A buffer is keyed by the node for single-output nodes, by (node, output) otherwise.
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
    ready = [n for n, d in deps.items() if d == 0]
    anomaly = _anomaly["on"]
    while ready:
        node = ready.pop()
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
        if _capture is not None and _capture.nodes:
            _capture.node(node, grads_out)
        edges = node.next_edges
        if has_grad:
            if n_out > 1 and not node._tensor_io:
                xp = backend.array_module(*[g for g in grads_out if g is not None])
                grads_out = [xp.zeros(s, d) if g is None else g
                             for g, (s, d) in zip(grads_out, node._out_meta)]
            if node._freed:
                raise RuntimeError(
                    f"{node.name()}: trying to backward through the graph a second time (the "
                    "saved arrays were freed after the first backward). Pass retain_graph=True to "
                    "the first backward() if you need to backpropagate twice.")
            if node._tensor_io:
                grads_in = _backward_tensor_io(node, grads_out)
            else:
                grads_in = node.fn.backward(node, *grads_out)
            if grads_in.__class__ is not tuple:
                grads_in = (grads_in,)
            if anomaly:
                _check_finite(grads_in, "backward (input gradient)", node)
            if not retain_graph:
                node._saved = None
                node._freed = True
        else:
            grads_in = ()
        n_in = len(grads_in)
        fresh = node.fn.fresh_grads
        for i, e in enumerate(edges):
            if e is None:
                continue
            nxt, nr = e
            g = grads_in[i] if i < n_in else None
            if nr is None:  # a leaf tensor
                if g is not None:
                    if _capture is None:
                        _accumulate_leaf(nxt, g, fresh)
                    else:
                        _capture.leaf(nxt, g, fresh)
                continue
            if g is not None:
                # A tensor used on several paths receives the sum of their gradients.
                key = nxt if nxt.n_outputs == 1 else (nxt, nr)
                old = buf.get(key)
                buf[key] = g if old is None else old + g
            d = deps[nxt] - 1
            deps[nxt] = d
            if d == 0:
                ready.append(nxt)


def check_root(t, g):
    """The checks on one (output, gradient) pair that backward starts from (both engines):
    the output is in a graph, and the gradient is implicit only for a scalar output, else of the
    output's shape (``g`` is checked for its shape once it is an array or a Tensor)."""
    if not t.requires_grad:
        raise RuntimeError(
            "backward: element 0 of tensors does not require grad and does not have a grad_fn "
            "(did you forget requires_grad=True, or compute it under no_grad()?)")
    if g is None:
        if t._data.size != 1:
            raise RuntimeError(
                f"backward: grad can be implicitly created only for scalar outputs, but the "
                f"output has shape {tuple(t.shape)}; pass gradient= a tensor of that shape "
                "(e.g. y.backward(gn.ones_like(y))) or reduce it first (y.sum().backward())")
    elif hasattr(g, "shape") and tuple(g.shape) != tuple(t._data.shape):
        raise RuntimeError(f"backward: gradient has shape {tuple(g.shape)} but the output has "
                           f"shape {tuple(t._data.shape)}")


def _run_tensor_hooks(node, grads_out):
    out = list(grads_out)
    Tensor = _Tensor
    for i, g in enumerate(out):
        if g is None:
            continue
        for hook in (node._pre_hooks or {}).get(i, ()):
            r = hook(Tensor._make(g, False))
            if r is not None:
                out[i] = g = r._data if isinstance(r, Tensor) else r
        ref = (node._retain or {}).get(i)
        t = ref() if ref is not None else None
        if t is not None:
            t.grad = Tensor._make(g.copy(), False) if t.grad is None else t.grad + Tensor._make(g, False)
    return out


def _accumulate_leaf(t, g, fresh=False):
    """Add ``g`` into ``t.grad``. ``fresh``: the Function that made ``g`` promises it is a new
    array nobody else holds (``Function.fresh_grads = True``), so it can become ``.grad``
    without a copy."""
    if isinstance(g, np.generic):  # NumPy ops on 0-d arrays return scalars
        g = np.asarray(g)
    if g.shape != t._data.shape:  # only a broken Function can get here
        raise RuntimeError(f"backward: gradient of shape {g.shape} for a leaf of shape {t._data.shape}")
    if g.dtype != t._data.dtype:
        g = g.astype(t._data.dtype)
    for hook in t._hooks or ():
        r = hook(_Tensor._make(g, False))
        if r is not None:
            g = r._data if isinstance(r, _Tensor) else r
            fresh = False
    if t.grad is None:
        # Own the buffer (one op may hand the same array to several inputs): later
        # accumulations update it in place.
        t.grad = _Tensor._make(g if fresh and g.base is None else g.copy(), False)
    else:
        t.grad._data += g


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
            self._add(i, g if g.dtype == t._data.dtype else g.astype(t._data.dtype))

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
    Tensor = _Tensor
    single = isinstance(inputs, Tensor)
    ins = [inputs] if single else list(inputs)
    if create_graph:
        from .. import _double_backward
        res = list(_double_backward.grad(outputs, ins, grad_outputs,
                                         retain_graph=retain_graph is not False,
                                         allow_unused=allow_unused))
    else:
        cap = _Capture(ins)
        backward(outputs, grad_outputs, retain_graph=bool(retain_graph), _capture=cap)
        res = []
        for g in cap.result:
            if g is None:
                if not allow_unused:
                    raise RuntimeError("autograd.grad: one of the differentiated tensors appears "
                                       "not to have been used in the graph (pass "
                                       "allow_unused=True to get None for it)")
                res.append(None)
            else:
                res.append(Tensor._make(g, False))
    if materialize_grads:
        xp = backend.array_module
        res = [Tensor._make(xp(t._data).zeros_like(t._data), False) if g is None else g
               for t, g in zip(ins, res)]
    return tuple(res)


# ``glassnet.autograd.functional`` (torch.autograd.functional): importable as a submodule too.
from .. import _autograd_functional as functional
from .._custom_function import apply_tensor_io as _apply_tensor_io
from .._custom_function import backward_tensor_io as _backward_tensor_io
from .._gradcheck import gradcheck, gradgradcheck  # noqa: F401

_sys.modules[__name__ + ".functional"] = functional
