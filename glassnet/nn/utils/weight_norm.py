"""Weight normalisation (Salimans & Kingma, 2016), hook-based (``torch.nn.utils.weight_norm``).

A weight is split into a direction and a length, ``w = g * v / ||v||``, trained separately: the
length ``g`` then no longer depends on the scale of ``v``, which conditions the optimisation
better (a cheap relative of batch normalisation). The norm is taken over every dimension except
``dim`` (``dim=0``: one length per output unit); ``dim=None`` uses one norm for the whole tensor.

The modern form is :func:`glassnet.nn.utils.parametrizations.weight_norm`.
"""

from __future__ import annotations

import warnings

from glassnet.nn.parameter import Parameter
from glassnet.tensor import Tensor

__all__ = ["norm_except_dim", "remove_weight_norm", "weight_norm", "weight_norm_of"]


def norm_except_dim(v, pow=2, dim=0):
    """The ``pow``-norm of ``v`` over every dimension except ``dim``, keeping dimensions
    (``torch.norm_except_dim``); ``dim=-1`` means the norm of the whole tensor (0-d), as in
    PyTorch.

    Shape: ``v`` (d_0, ..., d_{n-1}) gives (1, ..., d_dim, ..., 1).
    """
    if dim == -1:
        return v.norm(pow)
    dim = dim % v.ndim
    axes = tuple(i for i in range(v.ndim) if i != dim)
    if not axes:
        return v.abs() if pow != 0 else (v != 0).to(v.dtype)
    return v.norm(pow, dim=axes, keepdim=True)


def weight_norm_of(v, g, dim=0):
    """``v * (g / ||v||)`` with the norm of :func:`norm_except_dim` (``torch._weight_norm``)."""
    return v * (g / norm_except_dim(v, 2, dim))


class WeightNorm:
    """The forward pre-hook that recomputes ``module.<name>`` from ``<name>_g`` and
    ``<name>_v`` before each forward."""

    def __init__(self, name, dim):
        self.name = name
        self.dim = -1 if dim is None else dim
        self.handle = None

    def compute_weight(self, module):
        return weight_norm_of(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                              self.dim)

    @staticmethod
    def apply(module, name, dim):
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(f"Cannot register two weight_norm hooks on the same parameter "
                                   f"{name}")
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        if not isinstance(weight, Tensor):
            raise ValueError(  # noqa: TRY004 - PyTorch raises a ValueError
                f"weight_norm: module has no tensor attribute {name!r}")
        del module._parameters[name]
        module.register_parameter(name + "_g",
                                  Parameter(norm_except_dim(weight, 2, fn.dim).detach()._data))
        module.register_parameter(name + "_v", Parameter(weight._data))
        setattr(module, name, fn.compute_weight(module))
        fn.handle = module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module):
        weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()._data))

    def __call__(self, module, inputs):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    r"""Reparametrise ``module.<name>`` as :math:`w = g\, v / \|v\|` (``torch.nn.utils.weight_norm``).

    The parameter is replaced by two parameters ``<name>_g`` (the lengths, shape of
    :func:`norm_except_dim`) and ``<name>_v`` (the direction, the weight's shape), and a forward
    pre-hook recomputes ``module.<name>`` before every forward. Returns ``module``.

    Example: ``m = weight_norm(nn.Linear(20, 40))`` gives ``m.weight_g`` (40, 1) and
    ``m.weight_v`` (40, 20).
    """
    warnings.warn("`glassnet.nn.utils.weight_norm` is deprecated in favor of "
                  "`glassnet.nn.utils.parametrizations.weight_norm`.", FutureWarning,
                  stacklevel=2)
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module, name="weight"):
    """Fold the weight normalisation of ``module.<name>`` back into one parameter."""
    for key, hook in list(module._forward_pre_hooks.items()):
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
