"""``torch.func``: gradients and batching as transforms of functions.

``grad(f)`` is a new function returning the gradient of ``f`` with respect to its first
argument; ``vmap(f)`` is a new function that maps ``f`` over a batch dimension; they compose:
``vmap(grad(loss), in_dims=(None, 0, 0))(params, xs, ys)`` gives one gradient per sample.
Together with ``functional_call`` (a module as a function of its weights) these are the tools of
per-sample gradients, model ensembles, Jacobians and meta-learning.

How they are computed here:

* ``grad``, ``grad_and_value``, ``vjp``, ``jacrev``, ``jacfwd``, ``hessian`` and ``jvp`` use
  glassnet's reverse-mode autograd (``glassnet.autograd.grad``). A Jacobian takes one backward
  pass per output element; ``jacfwd`` gives the same numbers as ``jacrev``, computed the same
  way; ``jvp`` uses the double-vjp identity J v = d/du (v . J^T u).
* ``vmap`` calls ``f`` once per slice of the batch and stacks the results: the same values as
  PyTorch's vectorised version, at the speed of a Python loop. Random ops inside draw new
  numbers for every sample (``randomness="different"``), or, with ``randomness="same"``, the
  same numbers for all of them.

Arguments may be tensors or nested tuples, lists and dicts of tensors (a dict of parameters);
the results have the same structure. The transforms compose with each other and with ordinary
autograd: when the inputs require grad, the results stay in the graph.
"""

from __future__ import annotations

from . import backend
from ._pytree import flatten
from .autograd import functional as _functional
from .autograd import grad as _autograd_grad
from .autograd.grad_mode import enable_grad
from .construct import vmap
from .functions import stack
from .nn.utils.stateless import functional_call
from .tensor import Tensor

__all__ = ["functional_call", "grad", "grad_and_value", "hessian", "jacfwd", "jacrev", "jvp",
           "stack_module_state", "vjp", "vmap"]


def _argnums_tuple(argnums, n, fn):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for a in nums:
        if not -n <= a < n:
            raise RuntimeError(f"{fn}: argnums {argnums} out of range for {n} positional "
                               f"arguments")
    return tuple(a % n for a in nums)


def _prepare(args, argnums, fn):
    """Leaves to differentiate, made to require grad: a tensor that already does (an outer
    transform, or a parameter) is used as it is, so that the result stays in its graph."""
    nums = _argnums_tuple(argnums, len(args), fn)
    args = list(args)
    flat, rebuilds, nested = [], [], False
    for a in nums:
        leaves, rebuild = flatten(args[a])
        if not leaves:
            raise RuntimeError(f"{fn}: argument {a} holds no tensor to differentiate")
        new = []
        for t in leaves:
            if t.requires_grad:
                nested = True
                new.append(t)
            else:
                new.append(t.detach().requires_grad_(True))
        args[a] = rebuild(new)
        flat.append(new)
        rebuilds.append(rebuild)
    return args, nums, flat, rebuilds, nested


def _split_aux(out, has_aux, fn):
    if not has_aux:
        return out, None
    if not isinstance(out, tuple) or len(out) != 2:
        raise RuntimeError(f"{fn}: with has_aux=True the function must return a pair "
                           f"(output, aux)")
    return out


# ----------------------------------------------------------------------------- reverse mode

def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient, value)`` of the scalar ``func`` (with ``has_aux``:
    ``(gradient, (value, aux))``), the gradient with respect to argument ``argnums`` (a tuple
    of them gives a tuple of gradients), shaped like that argument."""
    def wrapper(*args, **kwargs):
        with enable_grad():
            args, _, flat, rebuilds, nested = _prepare(args, argnums, "grad")
            out, aux = _split_aux(func(*args, **kwargs), has_aux, "grad")
            if not isinstance(out, Tensor) or out.numel() != 1:
                shape = tuple(out.shape) if isinstance(out, Tensor) else type(out).__name__
                raise RuntimeError(f"grad: the function must return a scalar tensor, got "
                                   f"{shape}")
            leaves = [t for group in flat for t in group]
            if out.requires_grad:
                gs = _autograd_grad(out, leaves, create_graph=nested, allow_unused=True)
            else:
                gs = (None,) * len(leaves)
        gs = [_zeros_like(t) if g is None else g for g, t in zip(gs, leaves)]
        res, i = [], 0
        for group, rebuild in zip(flat, rebuilds):
            res.append(rebuild(gs[i:i + len(group)]))
            i += len(group)
        g = res[0] if isinstance(argnums, int) else tuple(res)
        value = out if nested else out.detach()
        return (g, (value, aux)) if has_aux else (g, value)

    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of the scalar ``func`` with respect to argument
    ``argnums`` (``(gradient, aux)`` with ``has_aux``); see ``grad_and_value``."""
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, value = gv(*args, **kwargs)
        return (g, value[1]) if has_aux else g

    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)``: ``vjp_fn(cotangents)`` returns the vector-Jacobian product
    with respect to each primal (a tuple, one per primal, shaped like it)."""
    with enable_grad():
        args, _, flat, rebuilds, nested = _prepare(primals, tuple(range(len(primals))), "vjp")
        out, aux = _split_aux(func(*args), has_aux, "vjp")
    outs, _ = flatten(out)
    leaves = [t for group in flat for t in group]

    def vjp_fn(cotangents):
        cots, _ = flatten(cotangents)
        if len(cots) != len(outs):
            raise RuntimeError(f"vjp: expected {len(outs)} cotangents (one per output), got "
                               f"{len(cots)}")
        pairs = [(o, c) for o, c in zip(outs, cots) if o.requires_grad]
        with enable_grad():
            gs = (_autograd_grad([o for o, _ in pairs], leaves, [c for _, c in pairs],
                                 retain_graph=True, create_graph=nested, allow_unused=True)
                  if pairs else (None,) * len(leaves))
        gs = [_zeros_like(t) if g is None else g for g, t in zip(gs, leaves)]
        res, i = [], 0
        for group, rebuild in zip(flat, rebuilds):
            res.append(rebuild(gs[i:i + len(group)]))
            i += len(group)
        return tuple(res)

    value = out if nested else flatten(out)[1]([o.detach() for o in outs])
    return (value, vjp_fn, aux) if has_aux else (value, vjp_fn)


def jvp(func, primals, tangents, *, has_aux=False):
    """``(func(*primals), J @ tangents)``: the Jacobian-vector product, by the double-vjp
    identity (two reverse passes)."""
    primals, tangents = tuple(primals), tuple(tangents)
    if len(primals) != len(tangents):
        raise RuntimeError(f"jvp: expected as many tangents as primals, got {len(tangents)} "
                           f"and {len(primals)}")
    aux_box = []

    def f(*xs):
        out, aux = _split_aux(func(*xs), has_aux, "jvp")
        aux_box.append(aux)
        return out

    out, jv = _functional.jvp(f, primals, tangents,
                              create_graph=any(t.requires_grad for t in primals))
    out, jv = (out[0], jv[0]) if isinstance(out, tuple) and len(out) == 1 else (out, jv)
    return (out, jv, aux_box[0]) if has_aux else (out, jv)


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """A function returning the Jacobian of ``func`` with respect to argument ``argnums``:
    shape ``output.shape + input.shape`` (dicts and tuples of them for structured inputs and
    outputs), one backward pass per output element."""
    def wrapper(*args):
        with enable_grad():
            args, nums, flat, rebuilds, nested = _prepare(args, argnums, "jacrev")
            leaves = [t for group in flat for t in group]
            aux_box = []

            def on_leaves(*xs):
                a, i = list(args), 0
                for num, group, rebuild in zip(nums, flat, rebuilds):
                    a[num] = rebuild(list(xs[i:i + len(group)]))
                    i += len(group)
                out, aux = _split_aux(func(*a), has_aux, "jacrev")
                aux_box.append(aux)
                outs, rebuild_out = flatten(out)
                aux_box.append(rebuild_out)
                return tuple(outs)

            jac = _functional.jacobian(on_leaves, tuple(leaves), create_graph=nested)
        rebuild_out = aux_box[1]
        per_out = []
        for row in jac:  # one row per output: a tuple over the leaves
            res, i = [], 0
            for group, rebuild in zip(flat, rebuilds):
                res.append(rebuild(list(row[i:i + len(group)])))
                i += len(group)
            per_out.append(res[0] if isinstance(argnums, int) else tuple(res))
        result = rebuild_out(per_out) if per_out else rebuild_out([])
        return (result, aux_box[0]) if has_aux else result

    return wrapper


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """The Jacobian, as ``jacrev`` (the same numbers; computed in reverse mode here)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """A function returning the Hessian of the scalar ``func``: the Jacobian of its gradient."""
    return jacrev(jacrev(func, argnums), argnums)


def _zeros_like(t):
    return Tensor._make(backend.array_module(t._data).zeros_like(t._data), False)


# ----------------------------------------------------------------------------- ensembles

def stack_module_state(models):
    """``(params, buffers)``: dicts mapping each parameter (buffer) name to the stack, along a
    new first dimension, of that tensor in every model. The stacked parameters are new leaves
    that require grad; use them with ``vmap`` and ``functional_call`` to run an ensemble."""
    models = list(models)
    if not models:
        raise RuntimeError("stack_module_state: expected at least one model, got none")
    first = dict(models[0].named_parameters())
    params = {n: stack([dict(m.named_parameters())[n].detach() for m in models])
              .requires_grad_(p.requires_grad) for n, p in first.items()}
    bnames = [n for n, _ in models[0].named_buffers()]
    buffers = {n: stack([dict(m.named_buffers())[n] for m in models]) for n in bnames}
    return params, buffers
