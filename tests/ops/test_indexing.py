"""Indexing against PyTorch and finite differences: ints, slices, None, Ellipsis, integer arrays
(with repeated indices: their gradients add up), boolean masks, gather, index_select,
scatter_add, index_add, and differentiable __setitem__."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck, noncontig, randn

import glassnet as gn


def _idx(lib, spec):
    """Build an index for one library from a spec (arrays become that library's tensors)."""
    def conv(i):
        if isinstance(i, np.ndarray):
            return torch.from_numpy(i.copy()) if lib is torch else gn.from_numpy(i.copy())
        return i
    return tuple(conv(i) for i in spec) if isinstance(spec, tuple) else conv(spec)


INDEXES = {
    "int": 1,
    "neg_int": -1,
    "int_int": (1, 2),
    "slice": slice(1, 3),
    "slice_step": (slice(None), slice(0, None, 2)),
    "slice_neg": (slice(-2, None), slice(None, -1)),
    "slice_empty": slice(2, 2),
    "slice_past_end": slice(1, 100),
    "none": (None, 0),
    "ellipsis": (Ellipsis, 1),
    "ellipsis_none": (Ellipsis, None),
    "int_array": np.array([0, 2]),
    "repeated": np.array([0, 2, 0, 0]),
    "neg_array": np.array([-1, 0, -1]),
    "2d_array": np.array([[0, 1], [2, 2]]),
    "two_arrays": (np.array([0, 1, 1]), np.array([3, 3, 0])),
    "array_and_slice": (slice(None), np.array([1, 1, 3])),
    "slice_then_array": (slice(0, 2), np.array([0, 0])),
    "list": [0, 2, 2],
    "bool_mask_rows": np.array([True, False, True]),
    "bool_mask_full": "mask",
    "bool_all_false": np.array([False, False, False]),
    "int_then_mask": (1, np.array([True, False, True, True])),
    "empty_array": np.array([], dtype=np.int64),
}


def _index_for(name, x):
    spec = INDEXES[name]
    if isinstance(spec, str):
        return np.asarray(x > 0)
    return spec


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(INDEXES))
def test_getitem_parity(name, dtype, rng):
    x = randn(rng, (3, 4))
    spec = _index_for(name, x)
    check_parity(lambda t: t[_idx(gn, spec)], lambda t: t[_idx(torch, spec)], [x], dtype=dtype)


@pytest.mark.parametrize("name", list(INDEXES))
def test_getitem_on_noncontiguous_input(name, rng):
    x = randn(rng, (3, 4))
    spec = _index_for(name, x)
    check_parity(lambda t: t[_idx(gn, spec)], lambda t: t[_idx(torch, spec)], [noncontig(x)])


@pytest.mark.parametrize("name", list(INDEXES))
def test_getitem_gradcheck(name, rng):
    x = randn(rng, (3, 4))
    spec = _index_for(name, x)
    gradcheck(lambda t: t[_idx(gn, spec)], [x])


def test_repeated_indices_accumulate_gradient():
    x = gn.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[gn.tensor([0, 0, 2, 0])].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [3.0, 0.0, 1.0])


def test_index_with_a_tensor_scalar_and_bool_tensor(rng):
    x = randn(rng, (3, 4))
    check_parity(lambda t: t[_idx(gn, np.array(2))], lambda t: t[_idx(torch, np.array(2))], [x])
    check_parity(lambda t: t[t > 0], lambda t: t[t > 0], [x])
    check_parity(lambda t: t[:, (t > 0).all(0)], lambda t: t[:, (t > 0).all(0)], [x])


def test_getitem_3d_mixed(rng):
    x = randn(rng, (2, 3, 4))
    specs = [(0, slice(None), np.array([1, 3])), (Ellipsis, np.array([0, 0])),
             (np.array([1, 0]), slice(1, 3), np.array([2, 2])), (slice(None), None, 1, slice(None, 2)),
             (0, None, slice(None), np.array([1, 2])), (np.array([1, 0]), slice(1, 3), 2),
             (np.array([[True, False, True], [False, True, True]]), 1),
             (1, Ellipsis, np.array([True, False, True, True])), (0, slice(None), [1, 3])]
    for spec in specs:
        check_parity(lambda t, s=spec: t[_idx(gn, s)], lambda t, s=spec: t[_idx(torch, s)], [x])


def test_index_out_of_range_is_an_index_error():
    x = gn.ones(2, 3)
    with pytest.raises(IndexError, match="index"):
        _ = x[5]
    with pytest.raises(IndexError):
        _ = x[gn.tensor([0, 3])]


# ----------------------------------------------------------------------------- gather family
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_gather(dim, dtype, rng):
    x = randn(rng, (3, 4))
    n = x.shape[dim]
    idx = rng.integers(0, n, (3, 4) if dim == 0 else (3, 5))
    idx[0, 0] = idx[0, 1] = 0  # repeated
    f = lambda t, i: t.gather(dim, i)
    check_parity(f, f, [x, idx], dtype=dtype)
    check_parity(f, f, [noncontig(x), idx], dtype=dtype)
    gradcheck(f, [x, idx])


def test_gather_with_smaller_index(rng):
    x = randn(rng, (4, 5))
    idx = rng.integers(0, 5, (2, 3))
    f = lambda t, i: t.gather(1, i)
    check_parity(f, f, [x, idx])
    g = lambda t, i: torch.gather(t, 1, i) if isinstance(t, torch.Tensor) else gn.gather(t, 1, i)
    check_parity(g, g, [x, idx])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_index_select(dim, dtype, rng):
    x = randn(rng, (3, 4))
    idx = np.array([2, 0, 2, 1]) % x.shape[dim]
    f = lambda t, i: t.index_select(dim, i)
    check_parity(f, f, [x, idx], dtype=dtype)
    check_parity(f, f, [x, np.array([], dtype=np.int64)], dtype=dtype)
    gradcheck(f, [x, idx])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("dim", [0, 1])
def test_scatter_add(dim, dtype, rng):
    x = randn(rng, (3, 4))
    src = randn(rng, (3, 4))
    idx = rng.integers(0, x.shape[dim], (3, 4))
    f = lambda t, i, s: t.scatter_add(dim, i, s)
    check_parity(f, f, [x, idx, src], dtype=dtype)
    gradcheck(f, [x, idx, src])
    small = idx[:2, :3]  # an index smaller than src (PyTorch's own backward rejects this case)
    check_parity(f, f, [x, small, src], dtype=dtype, grad_inputs=[])
    gradcheck(f, [x, small, src])


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("dim", [0, 1])
def test_index_add(dim, dtype, rng):
    x = randn(rng, (3, 4))
    idx = np.array([0, 2, 0])
    src_shape = (3, 4) if dim == 0 else (3, 3)
    src = randn(rng, src_shape)
    f = lambda t, i, s: t.index_add(dim, i, s)
    check_parity(f, f, [x, idx, src], dtype=dtype)
    g = lambda t, i, s: t.index_add(dim, i, s, alpha=2.5)
    check_parity(g, g, [x, idx, src], dtype=dtype)
    gradcheck(g, [x, idx, src])


def test_gather_family_rejects_float_index():
    x = gn.ones(3, 4)
    with pytest.raises(RuntimeError, match="gather"):
        x.gather(1, gn.ones(3, 4))
    with pytest.raises(RuntimeError, match="index_select"):
        x.index_select(0, gn.tensor([0.0]))


# ----------------------------------------------------------------------------- __setitem__
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


def test_masked_fill_and_nonzero(rng):
    x = randn(rng, (3, 4))
    mask = x > 0.3
    f = lambda t, m: t.masked_fill(m, 0.5)
    check_parity(f, f, [x, mask])
    np.testing.assert_array_equal(gn.tensor(x).nonzero().numpy(),
                                  torch.tensor(x).nonzero().numpy())
    for g, t in zip(gn.tensor(x).nonzero(as_tuple=True), torch.tensor(x).nonzero(as_tuple=True)):
        np.testing.assert_array_equal(g.numpy(), t.numpy())
