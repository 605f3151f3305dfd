"""Printing tensors (glassnet/tensor/printing.py): repr as PyTorch writes it, for fixed and
random values, with suffixes (dtype, requires_grad, grad_fn) and ``set_printoptions``."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn


def test_repr():
    assert repr(gn.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gn.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=glassnet.float64" in repr(gn.ones(1, dtype=gn.float64))
    assert "requires_grad=True" in repr(gn.ones(1, requires_grad=True))
    assert "grad_fn=<MulBackward0>" in repr(gn.ones(1, requires_grad=True) * 2)


REPR_CASES = [[1.0, 2.0], [0.12345, 1.0], [1e-5, 1e3], [[1, 2], [3, 4]], [True, False], 3.5, 7,
              [0.1, float("nan"), float("inf")], [-1.5, 2.25], [1e10, 1.0], [123456.7, 1.5], [],
              [[0.0, 0.0]], [1e-9], [-0.0, 5.0], [[[1.5]]], 1e20, [100.0, 2.5]]


@pytest.mark.parametrize("data", REPR_CASES, ids=str)
def test_repr_matches_pytorch(data):
    assert repr(gn.tensor(data)) == repr(torch.tensor(data))


@pytest.mark.parametrize("shape", [(2, 3), (40,), (3, 30), (1001,), (12, 100), (2, 3, 4),
                                   (5, 5, 50)], ids=str)
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int32", "bool"])
def test_repr_random_tensors(shape, dtype, rng):
    a = rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 4)
    a = a.astype(dtype) if dtype != "bool" else a > 0
    assert repr(gn.tensor(a)) == repr(torch.tensor(a)).replace("torch.", "glassnet.")


def test_repr_suffixes_and_printoptions():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    t = torch.tensor([1.0, 2.0], requires_grad=True)
    assert repr(x) == repr(t)
    assert repr(x * 2).startswith("tensor([2., 4.], grad_fn=<Mul")
    assert repr(gn.zeros(0, 3)) == "tensor([], size=(0, 3))"
    assert repr(gn.zeros(0, dtype=gn.int64)) == "tensor([], dtype=glassnet.int64)"
    a = np.linspace(0, 1, 7, dtype=np.float32)
    try:
        for kw in ({"precision": 2}, {"threshold": 5, "edgeitems": 2}, {"sci_mode": True},
                   {"linewidth": 30}, {"profile": "short"}):
            gn.set_printoptions(**kw)
            torch.set_printoptions(**kw)
            assert repr(gn.tensor(a)) == repr(torch.tensor(a)), kw
    finally:
        gn.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")
