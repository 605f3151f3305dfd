"""User-defined autograd Functions in PyTorch's convention: forward and backward see Tensors.

glassnet's built-in ops are Functions on raw arrays (glassnet/autograd.py). A Function written for
``torch.autograd.Function`` instead receives Tensors: ``forward`` runs under ``no_grad`` on the
very Tensors it was called with, and ``backward`` receives one gradient Tensor per output and
returns one per input (None where there is none). This module is the adapter between the two: it
unwraps what ``forward`` returns into the graph node's output arrays, and wraps the engine's
gradient arrays into Tensors for ``backward`` (and unwraps its answer).

Gradients that ``backward`` returns with a broadcast shape (a bias gradient left as (N, C) for a
(C,) input) are summed down to the input's shape, as PyTorch does.
"""

from __future__ import annotations

import numpy as np

from . import autograd, backend


def _unwrap(o):
    if isinstance(o, autograd._Tensor):
        return o._data
    if isinstance(o, np.generic):
        return np.asarray(o)
    return o


def apply_tensor_io(cls, args, kwargs):
    """``cls.apply(*args, **kwargs)`` for a Function whose forward and backward see Tensors."""
    Tensor = autograd._Tensor
    record = autograd.is_grad_enabled()
    edges = []
    any_grad = False
    for a in args:
        if record and isinstance(a, Tensor) and a.requires_grad:
            any_grad = True
            gf = a.grad_fn
            edges.append((gf, a._output_nr) if gf is not None else (a, None))
        else:
            edges.append(None)
    node_cls = cls.__dict__.get("_node_cls")
    if node_cls is None:  # type(y.grad_fn).__name__ == "MyFnBackward", as in PyTorch
        node_cls = type(f"{cls.__name__}Backward", (autograd.Context,), {})
        cls._node_cls = node_cls
    ctx = node_cls()
    ctx.fn = cls
    ctx.next_edges = tuple(edges)
    ctx._tensor_io = True
    ctx._in_meta = tuple((a._data.shape, a._data.dtype) if isinstance(a, Tensor) else None
                         for a in args)
    new_style = cls.setup_context is not autograd.Function.setup_context
    with autograd.no_grad():
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
        arr = _unwrap(o)
        if not hasattr(arr, "dtype") or not hasattr(arr, "shape"):  # a non-tensor output
            results.append(o)
            meta.append(None)
            continue
        t = Tensor._make(arr, False)
        t._output_nr = i
        meta.append((arr.shape, arr.dtype))
        if any_grad and arr.dtype.kind in "fc" and id(o) not in non_diff:
            t.requires_grad = True
            t.grad_fn = ctx
        results.append(t)
    ctx.n_outputs = len(outs)
    ctx._out_meta = meta
    return tuple(results) if multi else results[0]


def _sum_to(g, shape, cls, i):
    """PyTorch sums a gradient of a broadcast shape down to the input's shape."""
    if tuple(g.shape) == tuple(shape):
        return g
    lead = g.ndim - len(shape)
    ok = lead >= 0 and all(s == 1 or s == gs for s, gs in zip(shape, g.shape[lead:]))
    if not ok:
        raise RuntimeError(
            f"{cls.__name__}.backward: returned a gradient of shape {tuple(g.shape)} for input "
            f"{i}, which has shape {tuple(shape)}")
    if lead:
        g = g.sum(axis=tuple(range(lead)))
    axes = tuple(k for k, s in enumerate(shape) if s == 1 and g.shape[k] != 1)
    return g.sum(axis=axes, keepdims=True) if axes else g


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


def backward_tensor_io(node, grads_out):
    """Run a tensor-io Function's backward on the engine's gradient arrays; return arrays."""
    Tensor = autograd._Tensor
    cls = node.fn
    gs = []
    xp = backend.array_module(*[g for g in grads_out if g is not None])
    for g, m in zip(grads_out, node._out_meta):
        if g is None:
            if m is None or not node._materialize:
                gs.append(None)
            else:
                gs.append(Tensor._make(xp.zeros(m[0], m[1]), False))
        else:
            gs.append(Tensor._make(g, False))
    with autograd.no_grad():
        res, edges = backward_results(node, cls.backward(node, *gs))
    out = []
    for i, (r, e) in enumerate(zip(res, edges)):
        if r is None or e is None:
            out.append(None)
            continue
        shape, dtype = node._in_meta[i]
        r = _unwrap(r)
        if not hasattr(r, "shape"):  # a Python number
            r = xp.full(shape, r, dtype=dtype)
        r = _sum_to(r, shape, cls, i)
        out.append(r if r.dtype == dtype else r.astype(dtype))
    return tuple(out)
