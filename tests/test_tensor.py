"""Tensor construction, creation functions, dtypes and PyTorch's promotion rules, conversions,
seeded randomness, and the Python protocol (len, item, bool, iteration, repr)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import dtype_name

import glassnet as gn


def _lib_call(f):
    """Run ``f(lib)`` for glassnet and PyTorch; compare dtype, shape and values."""
    g, t = f(gn), f(torch)
    assert dtype_name(g.dtype) == dtype_name(t.dtype), f"dtype {g.dtype} != torch {t.dtype}"
    assert tuple(g.shape) == tuple(t.shape)
    np.testing.assert_allclose(np.asarray(g.numpy(), dtype=np.float64),
                               t.numpy().astype(np.float64), rtol=1e-6, atol=1e-7, equal_nan=True)
    return g, t


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
    _lib_call(CONSTRUCT[name])


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


def test_dtype_objects():
    assert gn.float32 == np.float32 and gn.float64 == np.float64
    assert gn.int64 == np.int64 and gn.bool == np.bool_
    assert gn.tensor([1.0]).dtype == gn.float32
    assert gn.tensor([1]).dtype == gn.int64
    assert gn.tensor([True]).dtype == gn.bool
    assert gn.ones(2, dtype=gn.float64).dtype == gn.float64
    assert gn.ones(2, dtype="float64").dtype == gn.float64
    assert gn.ones(2, dtype=float).dtype == gn.float32
    assert gn.ones(2, dtype=int).dtype == gn.int64
    assert gn.ones(2, dtype=bool).dtype == gn.bool
    assert gn.get_default_dtype() == gn.float32


def test_set_default_dtype():
    try:
        gn.set_default_dtype(gn.float64)
        assert gn.tensor([1.0]).dtype == gn.float64
        assert gn.zeros(2).dtype == gn.float64
        assert (gn.tensor([1, 2]) / 2).dtype == gn.float64
    finally:
        gn.set_default_dtype(gn.float32)
    with pytest.raises(TypeError, match="floating"):
        gn.set_default_dtype(gn.int64)


# ----------------------------------------------------------------------------- promotion
PROMOTE = {
    "int_times_float_scalar": lambda L: L.tensor([1, 2]) * 2.5,
    "float_scalar_times_int": lambda L: 2.5 * L.tensor([1, 2]),
    "float32_plus_float64": lambda L: L.ones(2) + L.ones(2, dtype=L.float64),
    "float32_plus_0d_float64": lambda L: L.ones(2) + L.tensor(1.0, dtype=L.float64),
    "0d_float64_plus_float32": lambda L: L.tensor(1.0, dtype=L.float64) + L.ones(2),
    "int32_times_0d_int64": lambda L: L.tensor([2], dtype=L.int32) * L.tensor(3),
    "int_plus_0d_float64": lambda L: L.tensor([1, 2]) + L.tensor(0.5, dtype=L.float64),
    "int_plus_float32": lambda L: L.tensor([1, 2]) + L.tensor([0.5, 1.5]),
    "float32_times_int_scalar": lambda L: L.ones(2) * 3,
    "float64_times_float_scalar": lambda L: L.ones(2, dtype=L.float64) * 0.1,
    "bool_plus_int_scalar": lambda L: L.tensor([True, False]) + 1,
    "bool_plus_bool": lambda L: L.tensor([True, False]) + L.tensor([True, True]),
    "bool_times_float": lambda L: L.tensor([True, False]) * 1.5,
    "int_div_int": lambda L: L.tensor([5, 4]) / 2,
    "int_div_int_tensor": lambda L: L.tensor([5, 4]) / L.tensor([2, 3], dtype=L.int32),
    "int_floordiv": lambda L: L.tensor([5, -5]) // 2,
    "int_mod": lambda L: L.tensor([5, -5]) % 3,
    "float_floordiv": lambda L: L.tensor([5.5, -5.5]) // 2,
    "float_mod": lambda L: L.tensor([5.5, -5.5]) % 2,
    "int_pow": lambda L: L.tensor([2, 3]) ** 2,
    "int_pow_float": lambda L: L.tensor([2, 3]) ** 0.5,
    "scalar_pow_int": lambda L: 2 ** L.tensor([1, 2]),
    "float_pow_int": lambda L: 2.5 ** L.tensor([1, 2]),
    "uint8_wraps": lambda L: L.tensor([250], dtype=L.uint8) + 10,
    "int_eq_float": lambda L: L.tensor([1, 2]) == 1.0,
    "int_lt_float_tensor": lambda L: L.tensor([1, 2]) < L.tensor([1.5, 1.5]),
    "exp_of_int": lambda L: L.tensor([1, 2]).exp(),
    "sqrt_of_int": lambda L: L.tensor([1, 4]).sqrt(),
    "sigmoid_of_int": lambda L: L.tensor([-1, 5]).sigmoid(),
    "neg_int": lambda L: -L.tensor([2, 3]),
    "abs_int": lambda L: L.tensor([-2, 3]).abs(),
    "relu_int": lambda L: L.tensor([-1, 5]).relu(),
    "clamp_int": lambda L: L.tensor([1, 5, 2]).clamp(2, 4),
    "clamp_int_float_bound": lambda L: L.tensor([1, 5, 2]).clamp(2.5, 4),
    "where_int_float": lambda L: L.where(L.tensor([True, False]), L.tensor([1, 2]), 0.5),
    "where_two_scalars": lambda L: L.where(L.tensor([True, False]), 1.0, 0.0),
    "where_float_int_scalar": lambda L: L.where(L.tensor([True, False]), L.tensor([1.0, 2.0]), 0),
    "maximum_int_float": lambda L: L.maximum(L.tensor([1, 2]), L.tensor([1.5, 0.5])),
    "sum_bool": lambda L: L.tensor([True, True]).sum(),
    "sum_int32": lambda L: L.tensor([1, 2], dtype=L.int32).sum(),
    "prod_int32": lambda L: L.tensor([1, 2, 3], dtype=L.int32).prod(),
    "cumsum_int32": lambda L: L.tensor([1, 2, 3], dtype=L.int32).cumsum(0),
    "max_int": lambda L: L.tensor([1, 5, 2]).max(),
    "masked_fill_int": lambda L: L.tensor([1, 5, 2]).masked_fill(L.tensor([True, False, True]), 0.7),
    "float16_plus_float32": lambda L: L.tensor([1.0], dtype=L.float16) + L.tensor([1.0]),
    "div_trunc_int": lambda L: L.tensor([5, -5]).div(2, rounding_mode="trunc"),
    "div_floor": lambda L: L.tensor([5.0, -5.0]).div(2, rounding_mode="floor"),
    "round_half_even": lambda L: L.tensor([0.5, 1.5, 2.5, -0.5]).round(),
    "round_decimals": lambda L: L.tensor([1.234, 5.678]).round(decimals=1),
    "sign_int": lambda L: L.tensor([-3, 0, 2]).sign(),
    "mean_of_bool_float": lambda L: (L.tensor([1, 2]) > 1).float().mean(),
}


@pytest.mark.parametrize("name", list(PROMOTE))
def test_promotion_matches_torch(name):
    _lib_call(PROMOTE[name])


def test_float32_stays_float32_through_a_computation():
    x = gn.randn(4, 3)
    y = ((x * 2.0 + 1) / 3.0 - x.mean() * 0.5).exp().log().abs().sqrt() ** 2.0
    y = y.var(0) + y.logsumexp(1).mean() + gn.tensor(2) * y.sum(0) + np.float64(0.5)
    assert y.dtype == gn.float32
    x = gn.randn(4, 3, requires_grad=True)
    (x * np.float64(2.0)).sum().backward()
    assert x.grad.dtype == gn.float32


# ----------------------------------------------------------------------------- conversions
def test_conversions():
    x = gn.tensor([1.7, -1.7])
    assert x.long().dtype == gn.int64 and x.long().tolist() == [1, -1]
    assert x.double().dtype == gn.float64
    assert gn.tensor([1, 2]).float().dtype == gn.float32
    assert x.to(gn.float64).dtype == gn.float64
    assert x.to("cpu") is x and x.to(gn.float32) is x
    assert x.to(dtype=gn.int64).dtype == gn.int64
    assert x.to(gn.zeros(1, dtype=gn.float64)).dtype == gn.float64
    assert x.bool().tolist() == [True, True]
    assert x.int().dtype == gn.int32 and x.half().dtype == gn.float16
    assert x.type_as(gn.tensor([1])).dtype == gn.int64
    assert x.view(gn.float32) is x


def test_to_is_differentiable():
    x = gn.tensor([1.0, 2.0], requires_grad=True)
    (x.double() * 3).sum().backward()
    assert x.grad.dtype == gn.float32
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0])


def test_shape_properties_and_len():
    x = gn.zeros(2, 3, 4)
    assert x.shape == (2, 3, 4) and x.size() == (2, 3, 4) and x.size(1) == 3 and x.size(-1) == 4
    assert x.ndim == 3 and x.dim() == 3 and len(x) == 2 and x.numel() == 24
    assert gn.zeros(()).ndim == 0
    with pytest.raises(TypeError, match="len"):
        len(gn.tensor(1.0))
    assert gn.zeros(2).element_size() == 4 and gn.zeros(2, dtype=gn.float64).element_size() == 8


def test_item_numpy_tolist():
    x = gn.tensor([[1.5, 2.0]])
    assert x[0, 1].item() == 2.0 and isinstance(x[0, 1].item(), float)
    assert gn.tensor([3]).item() == 3 and isinstance(gn.tensor([3]).item(), int)
    assert x.tolist() == [[1.5, 2.0]]
    assert gn.tensor(2.5).tolist() == 2.5
    n = x.numpy()
    assert isinstance(n, np.ndarray) and n.dtype == np.float32
    with pytest.raises(RuntimeError, match="item"):
        x.item()
    r = gn.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="detach"):
        r.numpy()
    assert r.detach().numpy().tolist() == [1.0]
    assert np.asarray(gn.tensor([1, 2])).tolist() == [1, 2]


def test_python_protocol():
    assert bool(gn.tensor([1.0])) and not bool(gn.tensor(0))
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gn.ones(2))
    assert float(gn.tensor(2.5)) == 2.5 and int(gn.tensor(3.7)) == 3
    assert [1, 2, 3][gn.tensor(1)] == 2
    rows = list(gn.tensor([[1, 2], [3, 4]]))
    assert len(rows) == 2 and rows[1].tolist() == [3, 4]
    assert f"{gn.tensor(0.12345):.2f}" == "0.12"
    t = gn.ones(2)
    assert {t: 1}[t] == 1  # tensors hash by identity


def test_repr():
    assert repr(gn.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gn.tensor([1, 2])) == "tensor([1, 2])"
    assert "dtype=glassnet.float64" in repr(gn.ones(1, dtype=gn.float64))
    assert "requires_grad=True" in repr(gn.ones(1, requires_grad=True))
    assert "grad_fn=<MulBackward>" in repr(gn.ones(1, requires_grad=True) * 2)


# ----------------------------------------------------------------------------- randomness
def test_manual_seed_makes_every_random_op_reproducible():
    def draw():
        return [gn.rand(3).tolist(), gn.randn(2, 2).tolist(), gn.randint(0, 10, (4,)).tolist(),
                gn.randn_like(gn.zeros(2)).tolist(), gn.rand_like(gn.zeros(2)).tolist(),
                gn.randperm(5).tolist()]

    gn.manual_seed(42)
    a = draw()
    gn.manual_seed(42)
    b = draw()
    gn.manual_seed(43)
    c = draw()
    assert a == b and a != c


def test_random_creation_dtypes_and_ranges():
    gn.manual_seed(0)
    r = gn.rand(1000)
    assert r.dtype == gn.float32 and 0 <= r.min().item() and r.max().item() < 1
    n = gn.randn(10_000, dtype=gn.float64)
    assert n.dtype == gn.float64 and abs(n.mean().item()) < 0.05 and abs(n.std().item() - 1) < 0.05
    i = gn.randint(3, 7, (1000,))
    assert i.dtype == gn.int64 and i.min().item() == 3 and i.max().item() == 6
    assert gn.randint(5, size=(2, 3)).shape == (2, 3)
    j = gn.randint(4, (50,))  # two positionals read as (high, size), as in PyTorch
    assert j.shape == (50,) and 0 <= j.min().item() and j.max().item() <= 3
    assert gn.randn(2, 3, requires_grad=True).requires_grad
    assert gn.randn_like(gn.zeros(2, dtype=gn.float64)).dtype == gn.float64
    assert gn.randn((2, 3)).shape == (2, 3)


def test_normal_forms():
    m = gn.full((4000,), 3.0, dtype=gn.float64)
    a = gn.normal(m, 0.5)
    assert a.shape == (4000,) and a.dtype == gn.float64 and abs(a.mean().item() - 3) < 0.05
    assert abs(a.std().item() - 0.5) < 0.05
    b = gn.normal(0.0, gn.full((2, 3), 2.0))
    assert b.shape == (2, 3) and not b.requires_grad
    assert gn.normal(gn.zeros(3, 1), gn.ones(1, 2)).shape == (3, 2)
    assert gn.normal(1.0, 2.0, size=(5,)).shape == (5,)
    assert gn.normal(1.0, 2.0, (2, 2), generator=gn.Generator(1)).shape == (2, 2)
    with pytest.raises(TypeError, match="size"):
        gn.normal(1.0, 2.0)


def test_a_generator_object_is_independent_of_the_default():
    g = gn.Generator(7)
    gn.manual_seed(1)
    a = gn.rand(3, generator=g).tolist()
    b = gn.rand(3).tolist()
    g2 = gn.Generator(7)
    gn.manual_seed(1)
    assert gn.rand(3, generator=g2).tolist() == a and gn.rand(3).tolist() == b


def test_rng_state_roundtrip():
    gn.manual_seed(3)
    state = gn.get_rng_state()
    a = gn.randn(4).tolist()
    gn.set_rng_state(state)
    assert gn.randn(4).tolist() == a
    import json
    json.dumps(state)  # the state is JSON-safe (no pickle)


# ----------------------------------------------------------------------------- misc methods
def test_clone_contiguous_and_views():
    x = gn.arange(6).reshape(2, 3).float()
    c = x.clone()
    c._data[0, 0] = 9
    assert x[0, 0].item() == 0
    t = x.T
    assert not t.is_contiguous() and t.contiguous().is_contiguous()
    assert x.is_floating_point() and not gn.tensor([1]).is_floating_point()


def test_data_assignment_like_pytorch():
    import glassnet.nn as nn

    m = nn.Linear(3, 2)
    m.weight.data = gn.ones(2, 3)  # a Tensor: its array is shared
    m.bias.data = [1.0, 2.0]
    assert isinstance(m.weight, nn.Parameter) and m.weight.requires_grad
    np.testing.assert_array_equal(m(gn.ones(1, 3)).detach().numpy(), [[4.0, 5.0]])
