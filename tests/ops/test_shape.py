"""Shape and indexing Functions (glassnet/ops/shape.py) against PyTorch and finite
differences: reshape, view, transpose, permute, squeeze, unsqueeze, flatten, expand, repeat, cat,
stack, split, chunk, unbind, flip, roll, narrow; indexing with ints, slices, None, Ellipsis,
integer arrays (repeated indices add their gradients up) and boolean masks; gather,
index_select, scatter_add, index_add; and the errors that name the op."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, gradcheck, noncontig, randn

import glassnet as gn

# name -> (input shape, function applied to either library's tensor)
SHAPE_OPS = {
    "reshape": ((2, 3, 4), lambda t: t.reshape(4, 6)),
    "reshape_tuple": ((2, 3, 4), lambda t: t.reshape((6, -1))),
    "reshape_scalar": ((1,), lambda t: t.reshape(())),
    "reshape_from_scalar": ((), lambda t: t.reshape(1, 1)),
    "reshape_empty": ((0, 4), lambda t: t.reshape(2, 0, 2)),
    "view": ((2, 3, 4), lambda t: t.view(-1)),
    "view_as_3d": ((6, 4), lambda t: t.view(2, 3, 4)),
    "transpose": ((2, 3, 4), lambda t: t.transpose(0, 2)),
    "transpose_neg": ((2, 3, 4), lambda t: t.transpose(-1, -2)),
    "t": ((3, 4), lambda t: t.t()),
    "T": ((3, 4), lambda t: t.T),
    "mT": ((2, 3, 4), lambda t: t.mT),
    "permute": ((2, 3, 4), lambda t: t.permute(2, 0, 1)),
    "permute_tuple": ((2, 3, 4), lambda t: t.permute((1, 2, 0))),
    "permute_neg": ((2, 3, 4), lambda t: t.permute(-1, 0, 1)),
    "squeeze": ((1, 3, 1, 4), lambda t: t.squeeze()),
    "squeeze_dim": ((1, 3, 1, 4), lambda t: t.squeeze(2)),
    "squeeze_noop": ((1, 3, 1, 4), lambda t: t.squeeze(1)),
    "squeeze_neg": ((1, 3, 1, 4), lambda t: t.squeeze(-2)),
    "squeeze_tuple": ((1, 3, 1, 4), lambda t: t.squeeze((0, 2))),
    "unsqueeze0": ((3, 4), lambda t: t.unsqueeze(0)),
    "unsqueeze_end": ((3, 4), lambda t: t.unsqueeze(2)),
    "unsqueeze_neg": ((3, 4), lambda t: t.unsqueeze(-1)),
    "unsqueeze_scalar": ((), lambda t: t.unsqueeze(0)),
    "flatten": ((2, 3, 4), lambda t: t.flatten()),
    "flatten_1": ((2, 3, 4), lambda t: t.flatten(1)),
    "flatten_range": ((2, 3, 4, 5), lambda t: t.flatten(1, 2)),
    "flatten_scalar": ((), lambda t: t.flatten()),
    "unflatten": ((2, 12), lambda t: t.unflatten(1, (3, 4))),
    "expand": ((3, 1), lambda t: t.expand(3, 4)),
    "expand_new": ((3, 1), lambda t: t.expand(2, 3, 5)),
    "expand_minus1": ((3, 1), lambda t: t.expand(-1, 4)),
    "expand_scalar": ((), lambda t: t.expand(2, 3)),
    "expand_as": ((1, 4), lambda t: t.expand_as(torch.zeros(3, 4)
                                                 if isinstance(t, torch.Tensor) else gn.zeros(3, 4))),
    "repeat": ((2, 3), lambda t: t.repeat(2, 1)),
    "repeat_more": ((2, 3), lambda t: t.repeat(2, 1, 3)),
    "flip": ((2, 3, 4), lambda t: t.flip(0)),
    "flip_many": ((2, 3, 4), lambda t: t.flip(0, 2)),
    "flip_neg": ((2, 3, 4), lambda t: t.flip(-1)),
    "flip_list": ((2, 3, 4), lambda t: t.flip([1, 2])),
    "roll": ((3, 4), lambda t: t.roll(1, 0)),
    "roll_multi": ((3, 4), lambda t: t.roll((1, -2), (0, 1))),
    "roll_flat": ((3, 4), lambda t: t.roll(5)),
    "narrow": ((4, 5), lambda t: t.narrow(1, 1, 3)),
    "movedim": ((2, 3, 4), lambda t: t.movedim(0, -1)),
    "swapaxes": ((2, 3, 4), lambda t: t.swapaxes(0, 1)),
    "contiguous": ((3, 4), lambda t: t.T.contiguous()),
    "clone": ((3, 4), lambda t: t.clone()),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_op_parity(name, dtype, rng):
    shape, fn = SHAPE_OPS[name]
    check_parity(fn, fn, [randn(rng, shape)], dtype=dtype)


@pytest.mark.parametrize("name", [n for n in SHAPE_OPS if len(SHAPE_OPS[n][0]) >= 2])
def test_shape_op_on_noncontiguous_input(name, rng):
    shape, fn = SHAPE_OPS[name]
    check_parity(fn, fn, [noncontig(randn(rng, shape))])


@pytest.mark.parametrize("name", list(SHAPE_OPS))
def test_shape_op_gradcheck(name, rng):
    shape, fn = SHAPE_OPS[name]
    gradcheck(fn, [randn(rng, shape)])


def test_view_of_a_transposed_tensor_then_op(rng):
    x = randn(rng, (3, 4))
    f = lambda t: (t.T.reshape(-1) * 2).reshape(2, 6).sum(0)
    check_parity(f, f, [x])


# ----------------------------------------------------------------------------- joins and splits
def _lib(t):
    return torch if isinstance(t, torch.Tensor) else gn


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shapes,dim", [
    (((2, 3), (4, 3)), 0), (((2, 3), (2, 1), (2, 2)), 1), (((2, 3), (2, 3)), -1),
    (((0, 3), (2, 3)), 0), (((3,), (2,)), 0), (((2, 1, 4), (2, 3, 4)), 1),
], ids=str)
def test_cat(shapes, dim, dtype, rng):
    xs = [randn(rng, s) for s in shapes]
    f = lambda *ts: _lib(ts[0]).cat(list(ts), dim)
    check_parity(f, f, xs, dtype=dtype)
    gradcheck(f, xs)


def test_cat_with_noncontiguous_and_mixed_requires_grad(rng):
    a, b = noncontig(randn(rng, (3, 4))), randn(rng, (2, 4))
    f = lambda x, y: _lib(x).cat((x, y), dim=0)
    check_parity(f, f, [a, b], grad_inputs=[1])
    g = lambda x, y: _lib(x).concat([x.T, y.T], dim=1)
    check_parity(g, g, [a, b])


def test_cat_promotes_dtypes():
    assert gn.cat([gn.tensor([1, 2]), gn.tensor([0.5])]).dtype == gn.float32
    assert gn.cat([gn.tensor([1.0]), gn.tensor([0.5], dtype=gn.float64)]).dtype == gn.float64


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,dim,n", [((3,), 0, 2), ((2, 3), 0, 3), ((2, 3), 1, 2),
                                         ((2, 3), -1, 2), ((2, 3), 2, 2), ((), 0, 3),
                                         ((0, 2), 1, 2)], ids=str)
def test_stack(shape, dim, n, dtype, rng):
    xs = [randn(rng, shape) for _ in range(n)]
    f = lambda *ts: _lib(ts[0]).stack(ts, dim)
    check_parity(f, f, xs, dtype=dtype)
    gradcheck(f, xs)


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("shape,arg,dim", [
    ((7, 3), 3, 0), ((7, 3), 7, 0), ((7, 3), 10, 0), ((7, 3), [2, 5], 0), ((4, 6), 4, 1),
    ((4, 6), [1, 0, 5], -1), ((0, 3), 2, 0), ((4, 6), 1, 1),
], ids=str)
def test_split(shape, arg, dim, dtype, rng):
    x = randn(rng, shape)
    f = lambda t: t.split(arg, dim)
    check_parity(f, f, [x], dtype=dtype)
    if x.size:
        gradcheck(f, [x])


@pytest.mark.parametrize("shape,chunks,dim", [((7, 3), 3, 0), ((6, 3), 3, 0), ((6, 3), 4, 0),
                                              ((5, 4), 2, 1), ((2, 3), 5, 1), ((1, 3), 2, 0)],
                         ids=str)
def test_chunk(shape, chunks, dim, rng):
    x = randn(rng, shape)
    f = lambda t: t.chunk(chunks, dim)
    check_parity(f, f, [x])
    check_parity(f, f, [noncontig(x)], dtype=np.float64)
    gradcheck(f, [x])


def test_split_uses_only_some_outputs(rng):
    x = randn(rng, (6, 2))
    f = lambda t: t.split(2)[1] * 3
    check_parity(f, f, [x])
    g = lambda t: t.chunk(3)[0].sum() + t.chunk(3)[2].sum()
    check_parity(g, g, [x])


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unbind_and_iteration(dim, rng):
    x = randn(rng, (3, 4))
    f = lambda t: t.unbind(dim)
    check_parity(f, f, [x])
    g = lambda t: tuple(r * 2 for r in t)
    check_parity(g, g, [x])


# ----------------------------------------------------------------------------- errors
def test_shape_errors_are_clear():
    x = gn.ones(2, 3)
    with pytest.raises(RuntimeError, match=r"reshape: shape \[4, 2\] is invalid for input of size 6"):
        x.reshape(4, 2)
    with pytest.raises(RuntimeError, match="expand"):
        x.expand(4, 3)
    with pytest.raises(RuntimeError, match="permute"):
        x.permute(0, 0)
    with pytest.raises(RuntimeError, match="cat: sizes of tensors must match"):
        gn.cat([x, gn.ones(2, 4)])
    with pytest.raises(RuntimeError, match="stack: expects each tensor to be equal size"):
        gn.stack([x, gn.ones(3, 2)])
    with pytest.raises(IndexError, match="transpose"):
        x.transpose(0, 2)
    with pytest.raises(IndexError, match="unsqueeze"):
        x.unsqueeze(4)
    with pytest.raises(RuntimeError, match="split"):
        x.split([1, 2], 0)


# ----------------------------------------------------------------------------- indexing
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
