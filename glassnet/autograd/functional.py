"""``glassnet.autograd.functional``: Jacobians, Hessians and their products with vectors.

PyTorch's ``torch.autograd.functional`` API, built on reverse mode and ``create_graph=True``:

    vjp(f, x, v)   = v^T J            one backward pass
    jvp(f, x, v)   = J v              the "double-backward trick": u -> u^T J is linear in u, so
                                      differentiating it with respect to u along v gives J v
    jacobian(f, x) = J                one backward pass per output element
    vhp(f, x, v)   = v^T H            the gradient of <grad f(x), v>: two backward passes
    hvp(f, x, v)   = H v              equal to v^T H (the Hessian is symmetric)
    hessian(f, x)  = H                the Jacobian of the gradient

``inputs`` is a Tensor or a tuple of Tensors, and the results follow the same structure, as in
PyTorch. Results are detached unless ``create_graph=True``, which keeps them differentiable.
"""

from __future__ import annotations

from ..functions import ones_like, stack, zeros, zeros_like
from ..tensor import Tensor
from .engine import grad
from .grad_mode import enable_grad

__all__ = ["hessian", "hvp", "jacobian", "jvp", "vhp", "vjp"]


def _as_tuple(x, name, fn):
    if isinstance(x, Tensor):
        return False, (x,)
    if not isinstance(x, (tuple, list)) or not all(isinstance(t, Tensor) for t in x):
        raise TypeError(f"{fn}: the {name} given to the function must be a Tensor or a tuple of "
                        f"Tensors, got {type(x).__name__}")
    return True, tuple(x)


def _prep(inputs, create_graph):
    """Fresh leaves that require grad (kept in the caller's graph when ``create_graph``)."""
    return tuple(t if create_graph and t.requires_grad else t.detach().requires_grad_(True)
                 for t in inputs)


def _post(ts, create_graph):
    return tuple(None if t is None else (t if create_graph else t.detach()) for t in ts)


def _zeros_for(grads, refs):
    return tuple(zeros_like(r) if g is None else g for g, r in zip(grads, refs))


def _untuple(res, is_tuple):
    return res if is_tuple else res[0]


def _grad(outs, ins, v, create_graph, strict, fn):
    outs = [o for o in outs]
    if not any(o.requires_grad for o in outs):
        if strict:
            raise RuntimeError(f"{fn}: the output of the function does not require grad; with "
                               "strict=True every input must be used")
        return (None,) * len(ins)
    keep = [(o, g) for o, g in zip(outs, v) if o.requires_grad]
    gs = grad([o for o, _ in keep], list(ins), grad_outputs=[g for _, g in keep],
                       create_graph=create_graph, retain_graph=True, allow_unused=True)
    if strict and any(g is None for g in gs):
        raise RuntimeError(f"{fn}: the output of the function is independent of one of the "
                           "inputs, which strict=True forbids")
    return gs


def _default_v(outs, fn, what="output"):
    for o in outs:
        if o.numel() != 1:
            raise RuntimeError(f"{fn}: the vector v can only be None if the {what} of the "
                               f"function is a single-element Tensor (got shape {tuple(o.shape)})")
    return tuple(ones_like(o) for o in outs)


def _check_v(v, refs, fn):
    _, v = _as_tuple(v, "v", fn)
    if len(v) != len(refs):
        raise RuntimeError(f"{fn}: v has {len(v)} Tensors but {len(refs)} were expected")
    for a, b in zip(v, refs):
        if tuple(a.shape) != tuple(b.shape):
            raise RuntimeError(f"{fn}: v has shape {tuple(a.shape)} where {tuple(b.shape)} was "
                               "expected")
    return v


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product at ``inputs``."""
    is_tuple, ins = _as_tuple(inputs, "inputs", "vjp")
    with enable_grad():
        ins = _prep(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "vjp")
        v = _default_v(outs, "vjp") if v is None else _check_v(v, outs, "vjp")
        gs = _zeros_for(_grad(outs, ins, v, create_graph, strict, "vjp"), ins)
    return (_untuple(_post(outs, create_graph), out_tuple),
            _untuple(_post(gs, create_graph), is_tuple))


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, by differentiating u -> u^T J along v."""
    _, ins = _as_tuple(inputs, "inputs", "jvp")
    with enable_grad():
        ins = _prep(ins, create_graph)
        v = _default_v(ins, "jvp", "input") if v is None else _check_v(v, ins, "jvp")
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function", "jvp")
        us = tuple(zeros_like(o).requires_grad_(True) for o in outs)
        gs = _grad(outs, ins, us, True, strict, "jvp")
        pairs = [(g, w) for g, w in zip(gs, v) if g is not None and g.requires_grad]
        if pairs:
            res = grad([g for g, _ in pairs], list(us), grad_outputs=[w for _, w in pairs],
                                create_graph=create_graph, retain_graph=True, allow_unused=True)
        else:
            res = (None,) * len(us)
        res = _zeros_for(res, outs)
    return (_untuple(_post(outs, create_graph), out_tuple),
            _untuple(_post(res, create_graph), out_tuple))


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """d func(inputs) / d inputs, of shape output.shape + input.shape for each pair.

    A Tensor for one input and one output; a tuple over inputs (or outputs) when that side is a
    tuple; a tuple of tuples ``[output][input]`` when both are.
    """
    is_tuple, ins = _as_tuple(inputs, "inputs", "jacobian")
    with enable_grad():
        ins = _prep(ins, create_graph)
        out_tuple, outs = _as_tuple(func(*ins), "outputs of the user-provided function",
                                    "jacobian")
        result = []
        for out in outs:
            rows = [[] for _ in ins]
            flat = out.reshape(-1)
            for k in range(flat.numel()):
                if out.requires_grad:
                    gs = grad(flat[k], list(ins), retain_graph=True,
                                       create_graph=create_graph, allow_unused=True)
                else:
                    gs = (None,) * len(ins)
                if strict and any(g is None for g in gs):
                    raise RuntimeError("jacobian: the output of the function is independent of "
                                       "one of the inputs, which strict=True forbids")
                for r, g, x in zip(rows, gs, ins):
                    r.append(zeros(*x.shape, dtype=x.dtype) if g is None else g)
            jac = []
            for r, x in zip(rows, ins):
                j = stack(r) if r else zeros(0, *x.shape, dtype=x.dtype)
                jac.append(j.reshape(tuple(out.shape) + tuple(x.shape)))
            result.append(_post(jac, create_graph))
    if out_tuple and is_tuple:
        return tuple(result)
    if out_tuple:
        return tuple(r[0] for r in result)
    return result[0] if is_tuple else result[0][0]


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The matrix of second derivatives of a scalar function: the Jacobian of its gradient.

    Shape input.shape + input.shape for one input; a tuple of tuples ``[i][j]`` for several.
    """
    is_tuple, ins = _as_tuple(inputs, "inputs", "hessian")

    def scalar(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("hessian: the function given to hessian should return a single "
                               "Tensor with one element")
        return out.reshape(())

    def grad_func(*xs):
        return jacobian(scalar, xs, create_graph=True, strict=strict)

    res = jacobian(grad_func, ins, create_graph=create_graph, strict=strict)
    return res if is_tuple else res[0][0]


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H) for a scalar function: the gradient of <grad func, v>."""
    is_tuple, ins = _as_tuple(inputs, "inputs", "vhp")
    with enable_grad():
        ins = _prep(ins, create_graph)
        out = func(*ins)
        if not isinstance(out, Tensor) or out.numel() != 1:
            raise RuntimeError("vhp: the function given to vhp/hvp should return a single Tensor "
                               "with one element")
        v = _default_v(ins, "vhp", "input") if v is None else _check_v(v, ins, "vhp")
        jac = _grad((out,), ins, _default_v((out,), "vhp"), True, strict, "vhp")
        pairs = [(g, w, x) for g, w, x in zip(jac, v, ins) if g is not None and g.requires_grad]
        res = (None,) * len(ins)
        if pairs:
            res = grad([g for g, _, _ in pairs], list(ins),
                                grad_outputs=[w for _, w, _ in pairs], create_graph=create_graph,
                                retain_graph=True, allow_unused=True)
        if strict and any(r is None for r in res):
            raise RuntimeError("vhp: the Hessian is independent of one of the inputs, which "
                               "strict=True forbids")
        res = _zeros_for(res, ins)
    return _post((out,), create_graph)[0], _untuple(_post(res, create_graph), is_tuple)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v). The Hessian of a twice-differentiable function is symmetric, so
    H v = (v^T H)^T, computed as ``vhp``."""
    return vhp(func, inputs, v, create_graph, strict)
