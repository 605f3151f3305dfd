"""Tensor arithmetic (glassnet/tensor/arith.py): PyTorch's dtype promotion, comparisons that
broadcast and give bool without grad, logical operators, comparisons with non-tensors,
differentiable ``__setitem__``, in-place updates and their rules, and the errors for mismatched
shapes and devices."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import BROADCAST_PAIRS, broadcast_pair, check_parity, gradcheck, lib_call, randn

import glassnet as gn


# ----------------------------------------------------------------------------- comparisons
COMPARISONS = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "lt": lambda a, b: a < b,
    "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
    "lt_scalar": lambda a, b: a < 0.25, "ge_rscalar": lambda a, b: 0.25 >= b,
    "eq_method": lambda a, b: a.eq(b), "gt_method": lambda a, b: a.gt(b),
}


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name", list(COMPARISONS))
def test_comparisons_broadcast_and_give_bool_without_grad(name, shapes, rng):
    a, b = broadcast_pair(rng, *shapes, "any")
    b = np.where(rng.random(np.shape(b)) < 0.3, 0.25, b)  # some exact ties
    a = np.where(rng.random(np.shape(a)) < 0.3, 0.25, a)
    fn = COMPARISONS[name]
    g, _ = check_parity(fn, fn, [a, b])
    assert g[0].dtype == gn.bool and not g[0].requires_grad


def test_logical_ops_on_bool_tensors(rng):
    a, b = rng.random((3, 4)) > 0.5, rng.random((4,)) > 0.5
    for fn in (lambda x, y: x & y, lambda x, y: x | y, lambda x, y: x ^ y, lambda x, y: ~x):
        check_parity(fn, fn, [a, b])


# ----------------------------------------------------------------------------- __setitem__
def _idx(lib, spec):
    """Build an index for one library from a spec (arrays become that library's tensors)."""
    def conv(i):
        if isinstance(i, np.ndarray):
            return torch.from_numpy(i.copy()) if lib is torch else gn.from_numpy(i.copy())
        return i
    return tuple(conv(i) for i in spec) if isinstance(spec, tuple) else conv(spec)


def test_setitem_is_differentiable(rng):
    x, v = randn(rng, (3, 4)), randn(rng, (4,))

    def f(t, s):
        y = t * 1
        y[1] = s
        y[0, ::2] = 0.0
        return y

    check_parity(f, f, [x, v])
    gradcheck(f, [x, v])


def test_setitem_with_mask_and_array(rng):
    x = randn(rng, (3, 4))

    def f(t):
        y = t.clone()
        y[y > 0] = 0.0
        y[_idx(torch if isinstance(t, torch.Tensor) else gn, np.array([0, 2]))] *= 1
        return y * 2

    check_parity(f, f, [x])


def test_setitem_on_leaf_requiring_grad_is_an_error():
    x = gn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x[0] = 2.0
    with gn.no_grad():
        x[0] = 2.0
    assert x.tolist() == [2.0, 1.0, 1.0]


def test_setitem_without_grad(rng):
    x = gn.zeros(3, 4)
    x[1, 2] = 5
    x[:, 0] = gn.tensor([1.0, 2.0, 3.0])
    x[x > 4] = -1
    t = torch.zeros(3, 4)
    t[1, 2] = 5
    t[:, 0] = torch.tensor([1.0, 2.0, 3.0])
    t[t > 4] = -1
    np.testing.assert_array_equal(x.numpy(), t.numpy())


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
    lib_call(PROMOTE[name])


def test_float32_stays_float32_through_a_computation():
    x = gn.randn(4, 3)
    y = ((x * 2.0 + 1) / 3.0 - x.mean() * 0.5).exp().log().abs().sqrt() ** 2.0
    y = y.var(0) + y.logsumexp(1).mean() + gn.tensor(2) * y.sum(0) + np.float64(0.5)
    assert y.dtype == gn.float32
    x = gn.randn(4, 3, requires_grad=True)
    (x * np.float64(2.0)).sum().backward()
    assert x.grad.dtype == gn.float32


def test_compare_with_non_tensors_and_bool_negation():
    for other in ([1, 2], (1, 2), None, "ab"):
        assert (gn.tensor([1, 2]) == other) is (torch.tensor([1, 2]) == other)
        assert (gn.tensor([1, 2]) != other) is (torch.tensor([1, 2]) != other)
    with pytest.raises(RuntimeError, match="Negation"):
        -gn.tensor([True])


def test_in_place_on_a_leaf_that_requires_grad_is_an_error():
    x = gn.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="in-place"):
        x += 1
    with gn.no_grad():
        x -= 0.5
    np.testing.assert_array_equal(x.detach().numpy(), [0.5, 0.5, 0.5])
    assert x.requires_grad and x.is_leaf


def test_in_place_on_a_non_leaf_stays_differentiable(rng):
    x = randn(rng, (3,))

    def f(t):
        y = t * 2
        y += 1
        y *= t
        return y

    check_parity(f, f, [x])


def test_shape_mismatch_names_the_op_and_both_shapes():
    with pytest.raises(RuntimeError, match=r"add: shapes \(2, 3\) and \(4,\)"):
        gn.ones(2, 3) + gn.ones(4)
    with pytest.raises(RuntimeError, match=r"mul: shapes \(2, 3\) and \(2,\)"):
        gn.ones(2, 3) * gn.ones(2)
    with pytest.raises(RuntimeError, match=r"(maximum|where).*\(2, 3\).*\(5,\)"):
        gn.maximum(gn.ones(2, 3), gn.ones(5))
    with pytest.raises(RuntimeError, match=r"lt|less"):
        _ = gn.ones(2, 3) < gn.ones(4)


def test_mixed_devices_are_a_clear_error(monkeypatch):
    # Without a GPU, a stand-in array class plays the part of a device array.
    import importlib

    tmod = importlib.import_module("glassnet.tensor.arith")

    class FakeCupy:
        class ndarray(np.ndarray):
            pass

    monkeypatch.setattr(tmod, "_cupy", FakeCupy)
    a = gn.ones(3)
    b = gn.from_numpy(np.ones(3, np.float32).view(FakeCupy.ndarray))
    with pytest.raises(RuntimeError, match="same device"):
        a + b


@pytest.mark.parametrize("name", ["zero_", "fill_", "fill_tensor"])
def test_zero_and_fill_cut_the_gradient_to_the_old_values(name, rng):
    """After y.zero_() / y.fill_(v) the old values of y get gradient 0 (y = x * 1; y.zero_();
    (y + x).sum() gives x.grad = 1), and a tensor fill value gets the sum of the gradient."""
    x, c = randn(rng, (3, 4)), randn(rng, ())

    def run(lib):
        def f(a, v):
            y = a * 2
            if name == "zero_":
                y.zero_()
            elif name == "fill_":
                y.fill_(1.5)
            else:
                y.fill_(v)
            return y * 3 + a
        return f

    check_parity(run(gn), run(torch), [x, c], dtype=np.float64)
    # an untracked fill stays a write into the same memory (views see it)
    base = gn.ones(2, 3)
    view = base[0]
    getattr(view, "zero_" if name == "zero_" else "fill_")(*(() if name == "zero_" else (4.0,)))
    np.testing.assert_array_equal(base.numpy()[0], 0.0 if name == "zero_" else 4.0)


@pytest.mark.parametrize("name,run", [
    ("floor_divide", lambda m, a, b: a // b),
    ("floor_divide", lambda m, a, b: a // 0),
    ("floor_divide", lambda m, a, b: 5 // b),
    ("floor_divide", lambda m, a, b: a.div(b, rounding_mode="floor")),
    ("floor_divide", lambda m, a, b: a.div(b, rounding_mode="trunc")),
    ("remainder", lambda m, a, b: a % b),
    ("remainder", lambda m, a, b: m.remainder(a, 0)),
    ("fmod", lambda m, a, b: a.fmod(b)),
])
def test_integer_division_by_zero_raises_as_pytorch(name, run):
    a, b = [7, -7], [2, 0]
    with pytest.raises(RuntimeError, match="ZeroDivisionError"):
        run(torch, torch.tensor(a), torch.tensor(b))
    with pytest.raises(RuntimeError, match=rf"{name}: ZeroDivisionError: integer division by "
                                           r"zero \(the divisor must be nonzero, got 1 zero"):
        run(gn, gn.tensor(a), gn.tensor(b))


def test_float_division_by_zero_stays_ieee():
    a, b = [1.0, -1.0, 0.0], [0.0, 0.0, 0.0]
    for run in (lambda x, y: x // y, lambda x, y: x % y, lambda x, y: x.fmod(y),
                lambda x, y: x // gn.tensor([0, 0, 0]) if isinstance(x, gn.Tensor)
                else x // torch.tensor([0, 0, 0])):
        np.testing.assert_array_equal(run(gn.tensor(a), gn.tensor(b)).numpy(),
                                      run(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_array_equal((gn.tensor([7, -7]) // gn.tensor([2, 3])).numpy(), [3, -3])
