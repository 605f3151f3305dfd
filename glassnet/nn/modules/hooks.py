"""Hook handles and module backward hooks.

A module backward hook sees the gradient of the loss with respect to the module's outputs
(``grad_output``) and inputs (``grad_input``). It is built from two identity Functions: one placed
on the outputs records ``grad_output`` when the backward pass reaches it; one placed on the inputs
runs the hooks when the gradient has flowed through the whole module.
"""

from __future__ import annotations

from collections import namedtuple

from ...autograd import Function
from ...tensor import Tensor

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``register_*_hook``: ``handle.remove()`` unregisters the hook; also a context
    manager that removes it on exit."""

    _next_id = 0

    def __init__(self, *dicts):
        self.dicts = dicts
        self.id = RemovableHandle._next_id
        RemovableHandle._next_id += 1

    def remove(self):
        for d in self.dicts:
            d.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class _State:
    def __init__(self, module, n_inputs):
        self.module = module
        self.grad_output = None
        self.n_inputs = n_inputs


class _Identity(Function):
    """Passes its arrays through; the subclasses differ in what their backward records."""

    @staticmethod
    def forward(ctx, state, *arrays):
        ctx.state = state
        return arrays if len(arrays) > 1 else arrays[0]

    differentiable_backward = None  # declared by each subclass

    @staticmethod
    def to_onnx(g, rec):
        for i, a in enumerate(rec.args[1:]):
            g.out(g.value(a), i)


class _OutputIdentity(_Identity):
    @staticmethod
    def backward(ctx, *grads):
        st = ctx.state
        st.grad_output = tuple(Tensor._make(g, False) for g in grads)
        if st.n_inputs == 0:  # nothing upstream requires grad: report now with grad_input None
            _run(st, (None,))
        return (None, *grads)

    @staticmethod
    def differentiable_backward(ctx, *grads):
        # the same, with grad_output as graph Tensors (create_graph=True)
        st = ctx.state
        st.grad_output = tuple(grads)
        if st.n_inputs == 0:
            _run(st, (None,))
        return (None, *grads)


class _InputIdentity(_Identity):
    @staticmethod
    def backward(ctx, *grads):
        if ctx.state.grad_output is None:  # reached without passing through the module's
            return (None, *grads)          # outputs (double backward): no hooks, as in PyTorch
        gi = _run(ctx.state, tuple(Tensor._make(g, False) for g in grads))
        ctx.state.grad_output = None
        return (None, *(g._data if isinstance(g, Tensor) else g for g in gi))

    @staticmethod
    def differentiable_backward(ctx, *grads):
        # the same, with the hooks seeing grad_input and grad_output as graph Tensors
        st = ctx.state
        if st.grad_output is None:
            return (None, *grads)
        gi = _run(st, tuple(grads))
        st.grad_output = None
        return (None, *gi)


def _run(st, grad_input):
    for hook in list(st.module._backward_hooks.values()):
        r = hook(st.module, grad_input, st.grad_output)
        if r is not None:
            grad_input = tuple(r) if isinstance(r, (tuple, list)) else (r,)
    return grad_input


def wrap_backward_hooks(module, args):
    """Route the module's tensor inputs through an identity that runs its backward hooks;
    returns the new args and a function that wraps the outputs."""
    idx = [i for i, a in enumerate(args) if isinstance(a, Tensor) and a.requires_grad]
    st = _State(module, len(idx))
    if idx:
        outs = _InputIdentity.apply(st, *(args[i] for i in idx))
        outs = outs if isinstance(outs, tuple) else (outs,)
        args = list(args)
        for i, o in zip(idx, outs):
            args[i] = o
        args = tuple(args)

    def finish(out):
        single = isinstance(out, Tensor)
        outs = (out,) if single else tuple(out) if isinstance(out, (tuple, list)) else None
        if outs is None or not all(isinstance(o, Tensor) for o in outs):
            return out
        if not any(o.requires_grad for o in outs):
            return out
        r = _OutputIdentity.apply(st, *outs)
        return r if single else (tuple(r) if isinstance(r, tuple) else (r,))

    return args, finish
