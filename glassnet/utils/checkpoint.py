"""Activation checkpointing: trade compute for memory, as ``torch.utils.checkpoint``.

Backpropagation keeps every intermediate activation of the forward pass until the backward pass
has used it. ``checkpoint(fn, *args)`` keeps only ``fn``'s inputs and outputs: the activations
inside ``fn`` are dropped after the forward pass and recomputed, by running ``fn`` again, when
the backward pass reaches it. For a network of ``n`` equal blocks, checkpointing every block
stores ``n`` block boundaries plus one block's activations at a time instead of all of them,
for about one extra forward pass of compute (Chen et al., 2016, "Training Deep Nets with
Sublinear Memory Cost").

The recomputation sees the same random numbers as the first run (the generator's state is saved
with the inputs), so dropout inside ``fn`` draws the same mask twice. Gradients reach ``fn``'s
tensor inputs and every tensor requiring grad that ``fn`` uses (a module's parameters), both
through ``loss.backward()`` and through ``glassnet.autograd.grad``; a tensor output of ``fn``
that does not depend on anything requiring grad does not require grad. Outside grad mode
(``no_grad``, evaluation) ``checkpoint`` simply calls ``fn``.

``use_reentrant`` is accepted for compatibility: both of PyTorch's variants give the same
gradients here. ``fn`` must return a Tensor or a tuple/list whose tensors are the outputs.
"""

from __future__ import annotations

from .. import backend
from ..autograd import Function, grad
from ..autograd.grad_mode import enable_grad, is_grad_enabled
from ..tensor import Tensor

__all__ = ["checkpoint", "checkpoint_sequential"]


def checkpoint(function, *args, use_reentrant=None, context_fn=None, determinism_check="default",
               debug=False, preserve_rng_state=True, **kwargs):
    """``function(*args, **kwargs)``, with its inner activations recomputed during backward
    instead of stored.

    Args:
        function: what to run; a Module, a function or a lambda.
        *args: its positional arguments; tensors among them receive gradients.
        use_reentrant: accepted (True or False) for PyTorch compatibility; no difference here.
        preserve_rng_state: replay the generator's state when recomputing (default True), so
            dropout masks match the first run.
        context_fn, determinism_check, debug: accepted for compatibility; not used.
        **kwargs: keyword arguments passed to ``function``.
    """
    if not is_grad_enabled():
        return function(*args, **kwargs)
    run = (lambda *a: function(*a, **kwargs)) if kwargs else function
    rng = backend.get_rng_state() if preserve_rng_state else None
    inputs = [_detached(a) for a in args]
    with enable_grad():
        out = run(*inputs)
    single = isinstance(out, Tensor)
    if not single and not isinstance(out, (tuple, list)):
        raise TypeError(f"checkpoint: the checkpointed function must return a Tensor or a "
                        f"tuple of them, got {type(out).__name__}")
    outs = (out,) if single else tuple(out)
    as_list = isinstance(out, list)
    leaves = _leaves(outs, {id(a) for a in inputs if isinstance(a, Tensor)})
    values = tuple(o.detach() if isinstance(o, Tensor) else o for o in outs)
    del out, outs  # the graph just built, and with it every inner activation, is released here
    res = _Checkpoint.apply(_Replay(run, rng, len(args), values), *args, *leaves)
    if single:
        return res
    res = res if isinstance(res, tuple) else (res,)
    return list(res) if as_list else res


def checkpoint_sequential(functions, segments, input, use_reentrant=None, **kwargs):
    """Run a Sequential (or a list of modules) in ``segments`` chunks, checkpointing every
    chunk but the last, whose activations the backward pass needs first anyway."""
    mods = list(functions.children()) if hasattr(functions, "children") else list(functions)
    if segments < 1:
        raise ValueError(f"checkpoint_sequential: segments must be >= 1, got {segments}")
    size = max(len(mods) // segments, 1)

    def run_range(lo, hi):
        def forward(x):
            for m in mods[lo:hi]:
                x = m(x)
            return x
        return forward

    end = -1
    for start in range(0, size * (segments - 1), size):
        end = start + size - 1
        input = checkpoint(run_range(start, end + 1), input, use_reentrant=use_reentrant,
                           **kwargs)
    return run_range(end + 1, len(mods))(input)


class _Replay:
    """What the backward pass needs to run the function again."""

    def __init__(self, run, rng, n_args, values):
        self.run, self.rng, self.n_args, self.values = run, rng, n_args, values


class _Checkpoint(Function):
    """Outputs = the values computed in the first run; the gradient recomputes them."""

    tensor_io = True

    @staticmethod
    def forward(ctx, replay, *args):
        ctx.replay = replay
        ctx.args = args[:replay.n_args]
        ctx.leaves = args[replay.n_args:]
        values = replay.values
        replay.values = None
        return values if len(values) > 1 else values[0]

    @staticmethod
    def backward(ctx, *grads):
        replay = ctx.replay
        # create_graph: recompute from the inputs themselves, so that the gradient returned is
        # in their graph and can be differentiated again; otherwise from detached copies
        higher = is_grad_enabled()
        inputs = list(ctx.args) if higher else [_detached(a) for a in ctx.args]
        saved = None
        if replay.rng is not None:
            saved = backend.get_rng_state()
            backend.set_rng_state(replay.rng)
        try:
            with enable_grad():
                out = replay.run(*inputs)
        finally:
            if saved is not None:
                backend.set_rng_state(saved)
        outs = (out,) if isinstance(out, Tensor) else tuple(out)
        pairs = [(o, g) for o, g in zip(outs, grads)
                 if isinstance(o, Tensor) and o.requires_grad and g is not None]
        wrt = [a for a in inputs if isinstance(a, Tensor) and a.requires_grad] + list(ctx.leaves)
        got = iter(grad([o for o, _ in pairs], wrt, [g for _, g in pairs], allow_unused=True,
                        create_graph=higher) if pairs and wrt else [None] * len(wrt))
        res = [next(got) if isinstance(a, Tensor) and a.requires_grad else None for a in inputs]
        return (None, *res, *got)


def _detached(a):
    """A new leaf with ``a``'s values (and its requires_grad), or ``a`` if it is no tensor."""
    if not isinstance(a, Tensor):
        return a
    return a.detach().requires_grad_(a.requires_grad)


def _leaves(outs, skip):
    """The tensors requiring grad that the graph of ``outs`` reaches (not those in ``skip``),
    in the order first met: the parameters the checkpointed function used."""
    found, seen = [], set()
    stack = [o.grad_fn for o in outs if isinstance(o, Tensor) and o.grad_fn is not None]
    stack += [o for o in outs if isinstance(o, Tensor) and o.requires_grad and o.grad_fn is None]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, Tensor):
            if id(node) not in skip:
                found.append(node)
            continue
        for edge in node.next_edges:
            if edge is not None:
                stack.append(edge[0])
    return found
