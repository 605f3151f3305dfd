"""Function and Context: one differentiable op, and the graph node each call of it leaves behind.

A ``Function`` has a ``forward`` that computes the output and a ``backward`` that maps the
gradient of the loss with respect to the output to the gradients with respect to each input (the
vector-Jacobian product). ``Function.apply`` runs ``forward`` and, when an input requires a
gradient and grad mode is on, records a ``Context``: the node that remembers what ``backward``
needs (``ctx.save_for_backward``) and where each input came from (``next_edges``).

glassnet's own ops are Functions on raw arrays (numpy or cupy) for speed. A Function defined
outside the ``glassnet`` package follows PyTorch's convention instead and sees Tensors
(``tensor_io``, below); the engines adapt between the two.
"""

from __future__ import annotations

import traceback
import weakref

import numpy as np

from .. import backend
from .grad_mode import _anomaly, _grad_mode, check_finite, no_grad, user_frame
from .graph import Node
from .variable import Variable


def unbroadcast(grad, shape):
    """Sum ``grad`` down to ``shape``: the adjoint of broadcasting is summation.

    Broadcasting copies an input along new leading axes and along axes of size 1; each copy
    contributes to the loss, so the input's gradient is the sum of the copies' gradients over
    exactly those axes. ``grad`` is an array, or a Tensor (whose ``sum`` accepts NumPy's
    ``axis``/``keepdims``), so this one helper serves every backward and every differentiable
    backward (``Tensor.sum_to_size``).
    """
    if grad.shape == shape:
        return grad
    nlead = grad.ndim - len(shape)
    axes = tuple(range(nlead)) + tuple(
        i + nlead for i, s in enumerate(shape) if s == 1 and grad.shape[i + nlead] != 1)
    g = grad.sum(axis=axes, keepdims=True) if axes else grad
    if nlead:
        g = g.reshape(shape)
    return g


class Context(Node):
    """The per-call state of a Function, and the graph node its outputs point back to.

    ``save_for_backward(*arrays)`` keeps arrays for ``backward``; they are released after
    backward unless ``retain_graph=True``. Any other attribute (``ctx.stride = 2``) may be set.
    Each Function has its own subclass (``Function._node_cls``), named as PyTorch names the
    node: ``MulBackward0`` for glassnet's ``Mul``, ``MyFnBackward`` for a user's ``MyFn``.
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
    _watched = None  # [(weakref(tensor), version, "input"/"output", index)] of saved arrays

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
                f"{self.op_name()}: trying to backward through the graph a second time (the saved "
                "arrays were freed after the first backward). Pass retain_graph=True to the first "
                "backward() if you need to backpropagate twice.")
        if self._watched is not None:
            self._check_versions()
        return self._saved

    def _check_versions(self):
        """PyTorch's rule: backward may not read a saved array whose tensor was changed in
        place after this node was recorded (its values would no longer be the forward's)."""
        for ref, version, kind, i in self._watched:
            t = ref()
            if t is not None and t._version != version:
                raise RuntimeError(
                    f"{self.op_name()}: one of the variables needed for gradient computation has "
                    f"been modified by an inplace operation: a tensor of shape "
                    f"{tuple(t._data.shape)}, which is {kind} {i} of {self.op_name()}, is at "
                    f"version {t._version}; expected version {version} instead. Compute on a "
                    "copy (.clone()) or move the in-place change after backward()")

    def op_name(self) -> str:
        """The op's own name (``"Mul"``), which error messages use; ``name()`` is the node's."""
        return self.fn.__name__ if self.fn is not None else type(self).__name__

    # ------------------------------------------------------------------ for differentiable_backward
    def input_tensor(self, i, data):
        """Forward argument ``i`` as a Tensor in the graph, holding ``data`` (a saved array).

        A leaf comes back as itself, an intermediate result as a Tensor pointing at the node that
        made it, a constant (or a Python number) as a plain value. Used by a Function's
        ``differentiable_backward`` so that the gradient it builds reaches back into the graph.
        """
        e = self.next_edges[i] if i < len(self.next_edges) else None
        if e is None:
            if data is None or not hasattr(data, "shape"):
                return data
            return Variable._make(data, False)
        node, nr = e
        if nr is None:
            return node
        return _linked(data, node, nr)

    def output_tensor(self, data, nr=0):
        """Output ``nr`` of this node as a Tensor in the graph (its ``grad_fn`` is this node)."""
        return _linked(data, self, nr)

    def constant(self, data, dtype):
        """A constant Tensor (a mask, a sign) in ``dtype``, outside the graph."""
        return Variable._make(backend.array_module(data).asarray(data).astype(dtype, copy=False),
                              False)

    def __repr__(self):
        return f"<{self.name()}>"


def _linked(data, node, nr):
    """A Tensor holding ``data`` as output ``nr`` of ``node``."""
    t = Variable._make(data, True)
    t.grad_fn = node
    t._output_nr = nr
    return t


class Function:
    """Base class of every differentiable op (see ``glassnet.autograd`` for an example).

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
        # The class of this op's graph nodes: type(y.grad_fn).__name__ is "MulBackward0" for
        # glassnet's Mul (PyTorch numbers its built-in nodes; a private op's leading underscore
        # is dropped: _ReLU gives "ReLUBackward0") and "MyFnBackward" for a user's MyFn.
        name = f"{cls.__name__}Backward" if cls.tensor_io else \
            f"{cls.__name__.lstrip('_') or cls.__name__}Backward0"
        cls._node_cls = type(name, (Context,), {"__module__": cls.__module__})

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
        record = _grad_mode.enabled
        arrays = []
        edges = []
        any_grad = False
        Tensor = Variable._result_type  # the class ops return (glassnet.Tensor), see variable.py
        for a in args:
            if isinstance(a, Variable):
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
        ctx = cls._node_cls()
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
            ctx._stack = user_frame(traceback.extract_stack()[:-1])
            check_finite(outs, "forward output", ctx)
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
                if o.dtype.kind in "fc" or backend.is_floating(o.dtype):  # bfloat16 is kind V
                    t.requires_grad = True
                    t.grad_fn = ctx
                else:  # integer and bool outputs (indices, masks) carry no gradient
                    t.requires_grad = False
                    t.grad_fn = None
                results.append(t)
            if ctx._saved:
                _watch_saved(ctx, args, results)
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
_weakref = weakref.ref


def _watch_saved(ctx, inputs, outputs):
    """Remember the version of every input and output tensor whose own array ``ctx`` saved, so
    that backward can tell when one was changed in place since (``Context._check_versions``)."""
    saved = ctx._saved
    watched = None
    for kind, ts in (("input", inputs), ("output", outputs)):
        for i, t in enumerate(ts):
            if isinstance(t, Variable):
                d = t._data
                for s in saved:
                    if s is d:
                        if watched is None:
                            watched = ctx._watched = []
                        watched.append((_weakref(t), t._version, kind, i))
                        break
_np_generic = np.generic
_np_asarray = np.asarray


# ----------------------------------------------------------------------------- tensor-io Functions
# A Function written for torch.autograd.Function receives Tensors: ``forward`` runs under
# ``no_grad`` on the very Tensors it was called with, and ``backward`` receives one gradient
# Tensor per output and returns one per input (None where there is none). The code below unwraps
# what ``forward`` returns into the node's outputs; the engines wrap gradients for ``backward``
# and run ``backward`` through backward_tensor_io, which checks its answer with the helpers after it.

def unwrap(o):
    """The array inside a Tensor (NumPy scalars as 0-d arrays); anything else unchanged."""
    if isinstance(o, Variable):
        return o._data
    if isinstance(o, np.generic):
        return np.asarray(o)
    return o


def _apply_tensor_io(cls, args, kwargs):
    """``cls.apply(*args, **kwargs)`` for a Function whose forward and backward see Tensors."""
    record = _grad_mode.enabled
    edges = []
    any_grad = False
    for a in args:
        if record and isinstance(a, Variable) and a.requires_grad:
            any_grad = True
            gf = a.grad_fn
            edges.append((gf, a._output_nr) if gf is not None else (a, None))
        else:
            edges.append(None)
    ctx = cls._node_cls()  # type(y.grad_fn).__name__ == "MyFnBackward", as in PyTorch
    ctx.fn = cls
    ctx.next_edges = tuple(edges)
    ctx._tensor_io = True
    ctx._in_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Variable) else None
                         for a in args)
    new_style = cls.setup_context is not Function.setup_context
    with no_grad():
        if new_style:
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    multi = isinstance(out, tuple)
    outs = out if multi else (out,)
    non_diff = ctx._non_diff or ()
    results = []
    meta = []
    for i, o in enumerate(outs):
        arr = unwrap(o)
        if not hasattr(arr, "dtype") or not hasattr(arr, "shape"):  # a non-tensor output
            results.append(o)
            meta.append(None)
            continue
        t = Variable._make(arr, False)
        t._output_nr = i
        meta.append((arr.shape, arr.dtype))
        if any_grad and backend.is_differentiable(arr.dtype) and id(o) not in non_diff:
            t.requires_grad = True
            t.grad_fn = ctx
        results.append(t)
    ctx.n_outputs = len(outs)
    ctx._out_meta = meta
    return tuple(results) if multi else results[0]


def backward_tensor_io(node, grads):
    """Run a tensor-io Function's ``backward`` on gradient Tensors (one per output, None where
    none came). Returns one Tensor per input (None where there is none), summed to the input's
    shape and cast to its dtype. Grad mode decides whether the result is recorded: the first-order
    engine calls this under ``no_grad``, the create_graph engine with grad mode on."""
    cls = node.fn
    xp = backend.array_module(*[g._data for g in grads if g is not None])
    gs = [Variable._make(xp.zeros(m[0], m[1]), False)
          if g is None and m is not None and node._materialize else g
          for g, m in zip(grads, node._out_meta)]
    res, edges = backward_results(node, cls.backward(node, *gs))
    out = []
    for i, (r, e) in enumerate(zip(res, edges)):
        if r is None or e is None:
            out.append(None)
            continue
        shape, dtype = node._in_meta[i]
        if not isinstance(r, Variable):  # a Python number (or an array) as the gradient
            r = Variable._make(xp.full(shape, unwrap(r), dtype=dtype), False)
        r = sum_to_input(r, shape, cls, i)
        out.append(r if r.dtype == dtype else r.to(dtype))
    return tuple(out)


def backward_results(node, res):
    """A tensor-io backward's return value as a tuple, checked to hold one gradient per input
    that needs one; returns (results, the node's edges). Shared by both backward engines."""
    if not isinstance(res, tuple):
        res = (res,)
    edges = node.next_edges
    if len(res) < len(edges) and any(e is not None for e in edges[len(res):]):
        raise RuntimeError(
            f"{node.fn.__name__}.backward: returned {len(res)} gradients but forward took "
            f"{len(edges)} inputs (return one per input, None where there is none)")
    return res, edges


def sum_to_input(g, shape, cls, i):
    """A gradient that a tensor-io ``backward`` returned with a broadcast shape (a bias gradient
    left as (N, C) for a (C,) input), summed down to input ``i``'s shape as PyTorch does; any
    other shape mismatch is an error naming the Function. ``g`` is an array or a Tensor."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    if lead < 0 or not all(s == 1 or s == gs for s, gs in zip(shape, g.shape[lead:])):
        raise RuntimeError(
            f"{cls.__name__}.backward: returned a gradient of shape {tuple(g.shape)} for input "
            f"{i}, which has shape {shape}")
    return unbroadcast(g, shape)
