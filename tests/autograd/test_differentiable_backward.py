"""Every autograd Function in glassnet carries its own second-order gradient, or says it has none.

``create_graph=True`` differentiates each op's gradient with ``differentiable_backward``, a
method of the op's own class written on Tensors. A class either defines it (a callable) or writes
``differentiable_backward = None`` in its body; a base class inside glassnet may say it for its
subclasses. An op with none still gets its first gradient, and differentiating that gradient
again raises an error that names the op.
"""

from __future__ import annotations

import importlib
import pkgutil

import numpy as np
import pytest
import torch
from helpers import assert_close

import glassnet as gn
from glassnet.autograd import Function


def _import_all_modules():
    """Import every glassnet module, so that every Function subclass is defined."""
    for info in pkgutil.walk_packages(gn.__path__, "glassnet."):
        try:
            importlib.import_module(info.name)
        except ImportError as e:  # an optional extra (mpi4py, matplotlib, onnx...) is missing
            if (e.name or "").split(".")[0] == "glassnet":
                raise


def _glassnet_functions():
    _import_all_modules()
    found, stack = set(), [Function]
    while stack:
        for sub in stack.pop().__subclasses__():
            if sub not in found:
                found.add(sub)
                stack.append(sub)
    return sorted((c for c in found if c.__module__.split(".")[0] == "glassnet"),
                  key=lambda c: (c.__module__, c.__qualname__))


def _declaring_class(cls):
    """The class, cls or a glassnet base of it below Function, whose body sets
    ``differentiable_backward``; None if none does (Function's own default does not count)."""
    for base in cls.__mro__:
        if base is Function:
            return None
        if base.__module__.split(".")[0] == "glassnet" and "differentiable_backward" in base.__dict__:
            return base
    return None


def _name(cls):
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_function_declares_its_differentiable_backward():
    functions = [c for c in _glassnet_functions() if not c.tensor_io]
    # Functions on Tensors (tensor_io) need none: their backward is recorded as it runs.
    assert len(functions) > 100
    missing = [_name(c) for c in functions if _declaring_class(c) is None]
    assert not missing, (
        f"{len(missing)} Function classes neither define differentiable_backward nor say "
        "`differentiable_backward = None` in their body:\n  " + "\n  ".join(missing))
    wrong = [_name(c) for c in functions
             if not (c.differentiable_backward is None or callable(c.differentiable_backward))]
    assert not wrong, "differentiable_backward is neither None nor callable in: " + ", ".join(wrong)


def test_an_op_without_a_second_derivative_raises_when_differentiated_twice():
    # digamma has no differentiable_backward (it would need polygamma(2, x)).
    from glassnet.ops.unary import Digamma
    assert "differentiable_backward" in Digamma.__dict__ and Digamma.differentiable_backward is None
    values = np.array([0.5, 1.5, 3.0])
    x = gn.tensor(values, requires_grad=True)
    (g,) = gn.autograd.grad(x.digamma().sum(), x, create_graph=True)  # the first one is right
    assert_close(g, torch.special.polygamma(1, torch.tensor(values)))
    assert g.requires_grad
    with pytest.raises(NotImplementedError, match="create_graph: no differentiable gradient for "
                                                  "Digamma"):
        g.sum().backward()


def test_an_unsupported_case_refuses_the_same_way():
    # prod over a zero: differentiable_backward returns NotImplemented for that call only.
    values = np.array([[2.0, 0.0, 3.0], [1.5, -1.0, 2.0]])
    x = gn.tensor(values, requires_grad=True)
    (g,) = gn.autograd.grad(x.prod(1).sum(), x, create_graph=True)
    t = torch.tensor(values, requires_grad=True)
    (tg,) = torch.autograd.grad(t.prod(1).sum(), t)
    assert_close(g, tg)
    with pytest.raises(NotImplementedError, match="no differentiable gradient for Prod"):
        g.sum().backward()
    y = gn.tensor(values + 5.0, requires_grad=True)  # no zero: differentiable twice
    (gy,) = gn.autograd.grad(y.prod(1).sum(), y, create_graph=True)
    gy.sum().backward()
    assert y.grad is not None
