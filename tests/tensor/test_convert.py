"""From Python data to tensors (glassnet/tensor/convert.py): the dtype a list of numbers,
NumPy scalars or tensors gets, copying versus sharing memory, requires_grad, and clear errors
for bad data, against PyTorch."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import lib_call

import glassnet as gn


# ----------------------------------------------------------------------------- construction
CONSTRUCT = {
    "floats": lambda L: L.tensor([1.0, 2.0]),
    "ints": lambda L: L.tensor([1, 2]),
    "bools": lambda L: L.tensor([True, False]),
    "mixed": lambda L: L.tensor([1, 2.5]),
    "scalar": lambda L: L.tensor(3.5),
    "int_scalar": lambda L: L.tensor(3),
    "nested": lambda L: L.tensor([[1, 2], [3, 4]], dtype=L.float64),
    "empty": lambda L: L.tensor([]),
    "np_float64": lambda L: L.tensor(np.array([1.0, 2.0])),
    "np_int32": lambda L: L.tensor(np.array([1, 2], dtype=np.int32)),
    "np_bool": lambda L: L.tensor(np.array([True])),
    "explicit_int": lambda L: L.tensor([1.7, -1.2], dtype=L.int64),
    "zeros": lambda L: L.zeros(2, 3),
    "zeros_tuple": lambda L: L.zeros((2, 3), dtype=L.int64),
    "zeros_0d": lambda L: L.zeros(()),
    "zeros_empty": lambda L: L.zeros(0, 3),
    "ones_list": lambda L: L.ones([2]),
    "ones_f64": lambda L: L.ones(2, dtype=L.float64),
    "full_float": lambda L: L.full((2, 2), 1.5),
    "full_int": lambda L: L.full((2, 2), 7),
    "full_bool": lambda L: L.full((2,), True),
    "full_dtype": lambda L: L.full((2,), 7, dtype=L.float32),
    "empty_fn": lambda L: L.empty(2, 3).zero_(),
    "arange": lambda L: L.arange(5),
    "arange_start": lambda L: L.arange(1, 7, 2),
    "arange_float": lambda L: L.arange(0, 1, 0.25),
    "arange_neg": lambda L: L.arange(5, 0, -1.5),
    "arange_dtype": lambda L: L.arange(5, dtype=L.float32),
    "linspace": lambda L: L.linspace(0, 1, 5),
    "linspace_one": lambda L: L.linspace(-1, 1, 1),
    "linspace_f64": lambda L: L.linspace(0, 10, 4, dtype=L.float64),
    "eye": lambda L: L.eye(3),
    "eye_rect": lambda L: L.eye(2, 4),
    "eye_int": lambda L: L.eye(2, dtype=L.int64),
    "zeros_like": lambda L: L.zeros_like(L.ones(2, 3, dtype=L.int64)),
    "ones_like": lambda L: L.ones_like(L.ones(2, 3), dtype=L.float64),
    "full_like": lambda L: L.full_like(L.ones(2, 3), 4),
    "new_zeros": lambda L: L.ones(2, dtype=L.float64).new_zeros(3),
    "new_ones": lambda L: L.ones(2, dtype=L.int64).new_ones((2, 2)),
    "new_tensor": lambda L: L.ones(2, dtype=L.float64).new_tensor([1, 2]),
}


@pytest.mark.parametrize("name", list(CONSTRUCT))
def test_construction_matches_torch(name):
    lib_call(CONSTRUCT[name])


def test_tensor_copies_and_from_numpy_shares():
    a = np.array([1.0, 2.0], dtype=np.float32)
    t = gn.tensor(a)
    s = gn.from_numpy(a)
    a[0] = 9.0
    assert t[0].item() == 1.0 and s[0].item() == 9.0
    assert s.dtype == gn.float32
    assert gn.from_numpy(np.zeros(2)).dtype == gn.float64  # keeps NumPy's dtype, like PyTorch
    with pytest.raises(TypeError, match="from_numpy"):
        gn.from_numpy([1, 2])


def test_tensor_from_tensors_and_requires_grad():
    t = gn.tensor([gn.tensor(1.0), gn.tensor(2.0)])
    assert t.tolist() == [1.0, 2.0]
    r = gn.tensor([1.0, 2.0], requires_grad=True)
    assert r.requires_grad and r.is_leaf and r.grad is None
    c = gn.tensor(r)
    assert not c.requires_grad
    c._data[0] = 5
    assert r._data[0] == 1.0
    assert isinstance(r, gn.Tensor)
    assert gn.zeros(2, requires_grad=True).requires_grad


def test_bad_data_is_a_clear_error():
    with pytest.raises(TypeError, match="tensor"):
        gn.tensor("abc")
    with pytest.raises(TypeError):
        gn.tensor([object()])


# ----------------------------------------------------------------------------- idioms from scripts
@pytest.mark.parametrize("data", [
    [np.float64(1.0), 2], [np.float32(1), 2.5], [np.float16(1), 2.5], [np.float16(1), 2],
    [np.int32(1), 2], [np.int32(1)], [np.uint8(1), np.int8(2)], [[np.float64(1)], [2.0]],
    [np.array([1.0, 2.0]), np.array([3.0, 4.0])], [np.array([1, 2], dtype=np.int32)],
    (np.float64(1),), [True, np.float16(1)], [1, 2.5], [[1, 2], [3, 4]]], ids=str)
def test_tensor_infers_dtype_from_numpy_elements(data):
    # PyTorch promotes the element dtypes: a NumPy float64 scalar in a list gives float64
    t, g = torch.tensor(data), gn.tensor(data)
    assert g.dtype.itemsize == t.element_size() and g.is_floating_point() == t.is_floating_point()
    assert g.tolist() == t.tolist()


def test_tensor_infers_dtype_from_tensor_elements():
    for parts in [[torch.tensor(1.0, dtype=torch.float64), 2.0],
                  [torch.tensor(1, dtype=torch.int32), 2], [torch.tensor(1, dtype=torch.int32)],
                  [torch.tensor([1.0]).half(), torch.tensor([2.0])],
                  [torch.tensor(1, dtype=torch.int8), torch.tensor(1, dtype=torch.uint8)]]:
        t = torch.tensor(parts)
        g = gn.tensor([gn.tensor(p.numpy()) if isinstance(p, torch.Tensor) else p for p in parts])
        assert g.dtype.itemsize == t.element_size() and g.tolist() == t.tolist()


def test_new_size_checks_every_dimension():
    from glassnet.tensor.convert import _new_size
    assert _new_size("zeros", ((2, 0, 3),)) == (2, 0, 3)
    assert _new_size("zeros", (2, 3)) == (2, 3)
    with pytest.raises(RuntimeError, match=r"zeros: size must be non-negative in every "
                                           r"dimension, got \[2, -1\]"):
        _new_size("zeros", (2, -1))
    with pytest.raises(RuntimeError, match=r"Linear: weight shape .*dimension -3: \[-3, 4\]"):
        _new_size("Linear", ((-3, 4),), "weight shape")
