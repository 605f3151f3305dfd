"""Gradient flow: how the size of the gradient changes from the last layer back to the first.

Backpropagation multiplies the gradient by every layer's local Jacobian on its way back. For a
sigmoid layer that Jacobian contains sigma'(z) <= 1/4, so through L sigmoid layers the gradient
that reaches the first layer is scaled by up to (1/4)^L: the early layers barely learn (lectures:
"vanishing gradients"). ReLU's derivative is 1 wherever a unit is active, and with Kaiming
initialisation (Var(w) = 2 / fan_in) the gradient keeps its size through depth.

``gradient_norms`` measures this on a real model by reading gradients with hooks:

* ``kind='weight'``: ||dL/dW|| of every layer that has a weight, read from ``.grad`` after backward;
* ``kind='output'``: ||dL/da|| of every layer's output a, read with a forward hook that registers
  a tensor hook (``a.register_hook``) on the output during the forward pass.

Layers are reported in the order the forward pass ran them. ``activation_stds`` is the forward
half of the same picture: the spread of every layer's output, which an initialisation should
keep constant through depth (Glorot and Bengio 2010; He et al. 2015).
"""

from __future__ import annotations

from collections import OrderedDict

import numpy as np

from .. import backend
from ..autograd import no_grad

__all__ = ["activation_stds", "gradient_norms", "gradient_ratio"]


def _norm(t):
    a = backend.to_numpy(t._data).astype(np.float64, copy=False)
    return float(np.sqrt((a * a).sum()))


def gradient_norms(model, loss_fn, x, y, kind="weight", layers=None):
    """Run ``loss_fn(model(x), y)``, backpropagate, and return an OrderedDict ``name -> L2 norm``
    of each layer's weight gradient (``kind='weight'``) or output gradient (``kind='output'``).

    ``layers``: the module types to report (default: every module with a ``weight`` Parameter
    for 'weight', every leaf module for 'output'). The model's ``.grad``s are cleared first and
    hold this batch's gradients afterwards.
    """
    if kind not in ("weight", "output"):
        raise ValueError(f"gradient_norms: kind must be 'weight' or 'output', got {kind!r}")

    def wanted(m):
        if layers is not None:
            return isinstance(m, tuple(layers) if isinstance(layers, (list, tuple)) else layers)
        if kind == "weight":
            return m._parameters.get("weight") is not None
        return next(m.children(), None) is None  # leaf modules

    names = {id(m): n for n, m in model.named_modules() if n and wanted(m)}
    order, out_grads, handles = [], {}, []

    def on_forward(mod, args, output):
        name = names[id(mod)]
        if name not in order:
            order.append(name)
        if kind == "output" and getattr(output, "requires_grad", False):
            def record(g, name=name):
                out_grads[name] = _norm(g)
            output.register_hook(record)

    for n, m in model.named_modules():
        if id(m) in names:
            handles.append(m.register_forward_hook(on_forward))
    try:
        model.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
    finally:
        for h in handles:
            h.remove()
    mods = dict(model.named_modules())
    result = OrderedDict()
    for name in order:
        if kind == "weight":
            g = mods[name].weight.grad
            result[name] = _norm(g) if g is not None else 0.0
        else:
            result[name] = out_grads.get(name, 0.0)
    return result


def gradient_ratio(norms):
    """First layer's gradient norm over the last layer's: << 1 means the gradient vanishes on
    its way back, >> 1 that it explodes."""
    vals = list(norms.values())
    if len(vals) < 2:
        raise ValueError("gradient_ratio: need at least two layers")
    return vals[0] / vals[-1] if vals[-1] else float("inf")


def activation_stds(model, x, layers=None):
    """Run ``model(x)`` without gradients and return an OrderedDict ``name -> standard
    deviation`` of each layer's output (over the batch and the features), in forward order.

    ``layers``: the module types to report (default: every leaf module). A forward pass of a
    network initialised well keeps these about equal from the first layer to the last; too small
    weights make them shrink geometrically, too large ones make them grow (or saturate).
    """
    def wanted(m):
        if layers is not None:
            return isinstance(m, tuple(layers) if isinstance(layers, (list, tuple)) else layers)
        return next(m.children(), None) is None

    names = {id(m): n for n, m in model.named_modules() if n and wanted(m)}
    stds, handles = OrderedDict(), []

    def on_forward(mod, args, output):
        a = backend.to_numpy(output._data).astype(np.float64, copy=False)
        stds.setdefault(names[id(mod)], float(a.std()))

    for m in model.modules():
        if id(m) in names:
            handles.append(m.register_forward_hook(on_forward))
    try:
        with no_grad():
            model(x)
    finally:
        for h in handles:
            h.remove()
    return stds
