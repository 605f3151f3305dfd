"""Tracing for ONNX export: run the model once and record every primitive op it executes.

Every differentiable op in glassnet is a ``Function`` whose ``apply`` receives the op's inputs
(Tensors, raw arrays, ints, tuples) and returns its outputs. While a trace is active,
``Function.apply`` is replaced by a recording wrapper, so a run of the model leaves the list of
ops actually executed, in order, with everything each one was given::

    Record(fn=ConvNd, args=(x, w, b, (1, 1), ((2, 2), (2, 2)), (1, 1), 1), outputs=(y,), ...)

Outside a trace nothing is patched: the normal path of every op costs nothing extra. Only the
outermost ``apply`` is recorded (a glassnet Function never calls another from its forward; if
one did, the inner call would be part of the outer op). A user-defined Function whose forward
works on Tensors is not recorded itself: the ops inside its forward are, and its outputs are
recognised as theirs.

The trace runs with gradient recording on and a graph input that requires grad, so that
in-place updates (``relu(x, inplace=True)``, ``x += y``) rebind the tensor to the new array
instead of overwriting the old one: a value is then identified by the array it holds.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from .. import autograd
from ..tensor import arith as tensor_arith
from ..autograd import Function

_ORIGINAL_APPLY = Function.__dict__["apply"]
_ORIGINAL_NOGRAD_BINARY = tensor_arith._nograd_binary
_lock = threading.Lock()
_state = {"tracer": None}


def is_tracing() -> bool:
    """True while an ONNX export is tracing a model (``glassnet.onnx.is_in_onnx_export``)."""
    return _state["tracer"] is not None


@dataclass
class Record:
    """One executed op: its Function, arguments, outputs and the module that ran it."""

    fn: type
    args: tuple
    kwargs: dict
    outputs: tuple
    module: str = ""


@dataclass
class Trace:
    """What a run of the model did: the graph inputs, the records and the outputs."""

    inputs: list
    records: list = field(default_factory=list)
    outputs: list = field(default_factory=list)


class _Tracer:
    def __init__(self):
        self.records = []
        self.depth = 0
        self.modules = []

    def where(self):
        return self.modules[-1] if self.modules else ""


def _traced_apply(cls, *args, **kwargs):
    tr = _state["tracer"]
    if tr is None or tr.depth or cls.tensor_io:
        return _ORIGINAL_APPLY.__func__(cls, *args, **kwargs)
    tr.depth += 1
    try:
        out = _ORIGINAL_APPLY.__func__(cls, *args, **kwargs)
    finally:
        tr.depth -= 1
    outs = out if isinstance(out, tuple) else (out,)
    tr.records.append(Record(cls, _snap(args), {k: _snap1(v) for k, v in kwargs.items()},
                             _snap(outs), tr.where()))
    return out


def _snap1(a):
    """The Tensor ``a`` as it is now: a later in-place update rebinds ``a`` to a new array,
    and the record must keep the array this op actually read or wrote."""
    from ..tensor import Tensor

    if isinstance(a, Tensor):
        return Tensor._make(a._data, False)
    return a


def _snap(args):
    return tuple(_snap1(a) for a in args)


class NoGradBinary:
    """Marks a record of a comparison or other non-differentiable binary op (``x > 0``,
    ``x == y``, ``x // 2``): these run outside Functions, but masks built from the input must
    stay in the graph. ``args`` = (ufunc, a, b, reverse)."""


def _traced_nograd_binary(ufunc, a, b, reverse=False, compare=False):
    out = _ORIGINAL_NOGRAD_BINARY(ufunc, a, b, reverse=reverse, compare=compare)
    tr = _state["tracer"]
    if tr is not None and not tr.depth:
        tr.records.append(Record(NoGradBinary, (ufunc, _snap1(a), _snap1(b), reverse), {},
                                 (_snap1(out),), tr.where()))
    return out


def _module_hooks(model, tracer):
    """Forward pre/post hooks on every submodule that keep the path of the running module."""
    handles = []
    named = getattr(model, "named_modules", None)
    if named is None:
        return handles
    for name, mod in named():
        def pre(m, args, name=name):
            tracer.modules.append(name)

        def post(m, args, out, name=name):
            if tracer.modules and tracer.modules[-1] == name:
                tracer.modules.pop()

        handles.append(mod.register_forward_pre_hook(pre, prepend=True))
        handles.append(mod.register_forward_hook(post))
    return handles


def run_traced(model, args, kwargs):
    """Call ``model(*args, **kwargs)`` while recording; returns (output, records).

    ``args`` are the traced copies of the user's inputs (see ``traced_inputs``).
    """
    tracer = _Tracer()
    with _lock:
        if _state["tracer"] is not None:
            raise RuntimeError("onnx.export: an export is already running (exports cannot nest)")
        handles = _module_hooks(model, tracer)
        _state["tracer"] = tracer
        Function.apply = classmethod(_traced_apply)
        tensor_arith._nograd_binary = _traced_nograd_binary
    try:
        with autograd.enable_grad():
            out = model(*args, **kwargs)
    finally:
        Function.apply = _ORIGINAL_APPLY
        tensor_arith._nograd_binary = _ORIGINAL_NOGRAD_BINARY
        _state["tracer"] = None
        for h in handles:
            h.remove()
    return out, tracer.records


class _Input(Function):
    """The identity on a copy of the array: makes a graph input a non-leaf that requires grad,
    so the model may update it in place as it could the user's own tensor."""

    @staticmethod
    def forward(ctx, a):
        return a.copy()

    @staticmethod
    def backward(ctx, g):
        return g

    @staticmethod
    def differentiable_backward(ctx, g):
        return g


def traced_input(t):
    """A copy of input Tensor ``t`` for the trace (floating tensors take part in autograd)."""
    from ..tensor import Tensor

    if t._data.dtype.kind == "f":
        with autograd.enable_grad():
            return _ORIGINAL_APPLY.__func__(_Input, Tensor._make(t._data, True))
    return Tensor._make(t._data.copy(), False)
