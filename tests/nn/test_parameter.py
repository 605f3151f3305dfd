"""nn.Parameter, and the lazy placeholders that nn.parameter holds."""

from __future__ import annotations

import glassnet as gn
import glassnet.nn as nn


def test_parameter_is_a_tensor_that_requires_grad():
    p = nn.Parameter(gn.zeros(2))
    assert isinstance(p, gn.Tensor) and p.requires_grad and p.is_leaf
    assert repr(p) == "Parameter containing:\ntensor([0., 0.], requires_grad=True)"
    t = gn.ones(3)
    assert nn.Parameter(t)._data is t._data  # shares the array, like PyTorch
    assert not nn.Parameter(t, requires_grad=False).requires_grad
    assert type(p * 2) is gn.Tensor  # ops on a Parameter give plain tensors


def test_parameter_module_holds_the_lazy_placeholders():
    from glassnet.nn import parameter

    p = parameter.UninitializedParameter()
    assert parameter.is_lazy(p) and isinstance(p, nn.Parameter)
    assert nn.UninitializedParameter is parameter.UninitializedParameter
    p.materialize((2, 3))
    assert type(p) is nn.Parameter and tuple(p.shape) == (2, 3)


def test_empty_param_rejects_a_negative_dimension():
    import pytest

    from glassnet.nn.parameter import empty_param
    assert empty_param((2, 0)).shape == (2, 0)
    with pytest.raises(RuntimeError, match=r"PReLU: weight shape must be non-negative .*"
                                           r"negative dimension -1: \[-1\]"):
        empty_param((-1,), op="PReLU", name="weight shape")
