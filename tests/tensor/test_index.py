"""Tensor shape and indexing ops composed from differentiable primitives
(glassnet/tensor/index.py): tile, repeat_interleave, unfold, tensor_split, take/put, scatter,
index_copy/fill, masked_select/scatter, scatter_reduce, triangles and diagonals, resize_, against
PyTorch (values and gradients) and finite differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, distinct, gradcheck

import glassnet as gn


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else gn


def _idx(x, values):
    return _lib(x).tensor(values)


OPS = {
    "tile": lambda x: x.tile(2, 1, 3),
    "tile_short": lambda x: x.tile(2),
    "repeat_interleave": lambda x: x.repeat_interleave(2, dim=1),
    "repeat_interleave_flat": lambda x: x.repeat_interleave(3),
    "repeat_interleave_counts": lambda x: x.repeat_interleave(_idx(x, [1, 0, 2]), dim=0),
    "unfold": lambda x: x.unfold(1, 2, 1),
    "unfold_step": lambda x: x.unfold(0, 2, 1).unfold(1, 3, 2),
    "tensor_split": lambda x: x.tensor_split(3, dim=1),
    "tensor_split_idx": lambda x: x.tensor_split([1, 3], dim=1),
    "hsplit": lambda x: x.hsplit(2),
    "take": lambda x: x.take(_idx(x, [[0, 5], [7, 0]])),
    "take_along_dim": lambda x: x.take_along_dim(_idx(x, [[0], [3], [1]]), dim=1),
    "take_along_dim_flat": lambda x: x.take_along_dim(_idx(x, [2, 2, 0])),
    "select": lambda x: x.select(1, -1),
    "masked_select": lambda x: x.masked_select(x > 0),
    "scatter": lambda x: x.scatter(1, _idx(x, [[0, 3], [1, 2], [3, 0]]), x[:, :2] * 3),
    "scatter_value": lambda x: x.scatter(0, _idx(x, [[2, 0, 1, 0]]), 0.5),
    "index_copy": lambda x: x.index_copy(1, _idx(x, [3, 0]), x[:, 1:3] * 2),
    "index_fill": lambda x: x.index_fill(1, _idx(x, [0, 2]), -1.0),
    "masked_scatter": lambda x: x.masked_scatter(x > 0, x.flip(0) * 10),
    "put": lambda x: x.put(_idx(x, [0, 11, 5]), x[0, :3] * 2),
    "put_acc": lambda x: x.put(_idx(x, [1, 1, 4]), x[1, :3], accumulate=True),
    "scatter_add": lambda x: x.scatter_add(1, _idx(x, [[0, 0], [1, 3], [2, 2]]), x[:, 1:3]),
    "scatter_sum": lambda x: x.scatter_reduce(1, _idx(x, [[0, 0], [1, 3], [2, 2]]), x[:, 1:3],
                                               "sum"),
    "scatter_mean": lambda x: x.scatter_reduce(1, _idx(x, [[0, 0], [1, 3], [2, 2]]), x[:, 1:3],
                                                "mean"),
    "scatter_amax": lambda x: x.scatter_reduce(1, _idx(x, [[0, 0], [1, 3], [2, 2]]), x[:, 1:3],
                                                "amax"),
    "scatter_amin_noself": lambda x: x.scatter_reduce(0, _idx(x, [[1, 0, 2, 0]]), x[:1] * 2,
                                                       "amin", include_self=False),
    "tril": lambda x: x.tril(),
    "triu_k": lambda x: x.triu(1),
    "tril_neg": lambda x: x.tril(-1),
    "diagonal": lambda x: x.diagonal(),
    "diagonal_off": lambda x: x.diagonal(1),
    "diagonal_neg": lambda x: x.diagonal(-1, 1, 0),
    "diag": lambda x: x.diag(1),
    "diag_embed": lambda x: x.diag_embed(),
    "diag_embed_off": lambda x: x[0].diag_embed(-1),
    "diag_1d": lambda x: x[1].diag(),
    "diagflat": lambda x: x[:2, :2].diagflat(),
    "trace": lambda x: x.trace(),
    "ravel": lambda x: x.t().ravel(),
    "moveaxis": lambda x: x.reshape(3, 2, 2).moveaxis(0, -1),
    "fliplr": lambda x: x.fliplr(),
    "flipud": lambda x: x.flipud(),
    "sum_to_size": lambda x: x.sum_to_size(1, 4),
    "narrow_copy": lambda x: x.narrow_copy(1, 1, 2),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(OPS))
def test_parity(name, dtype, rng):
    check_parity(OPS[name], OPS[name], [distinct(rng, (3, 4)) * 0.3], dtype=dtype)


@pytest.mark.parametrize("name", list(OPS))
def test_gradcheck(name, rng):
    gradcheck(OPS[name], [distinct(rng, (3, 4)) * 0.3])


def test_scatter_reduce_ties_share_gradient():
    x = np.array([[1.0, 2.0, 3.0]])
    src = np.array([[3.0, 0.5, 3.0]])
    idx = [[2, 0, 2]]
    for red in ("amax", "amin", "mean", "prod"):
        def f(a, s, red=red):
            return a.scatter_reduce(1, _idx(a, idx), s, red)
        if red == "prod":
            g = f(gn.tensor(x), gn.tensor(src))
            t = f(torch.tensor(x), torch.tensor(src))
            np.testing.assert_allclose(g.numpy(), t.numpy())
            continue
        check_parity(f, f, [x, src], dtype=np.float64)


SCATTERS = {
    "index_put": lambda x, v: x.index_put((_idx(x, [0, 2]), _idx(x, [1, 3])), v[0, :2]),
    "index_put_acc": lambda x, v: x.index_put((_idx(x, [0, 0, 2]),), v[:3], accumulate=True),
    "index_put_row": lambda x, v: x.index_put((_idx(x, [1]),), v[0]),
    "select_scatter": lambda x, v: x.select_scatter(v[0], 0, 1),
    "slice_scatter": lambda x, v: x.slice_scatter(v[:, :2], 1, 1, 4, 2),
    "diagonal_scatter": lambda x, v: x.diagonal_scatter(v[0, :3], 1),
    "as_strided": lambda x, v: x.as_strided((3, 3), (2, 1), 1),
    "renorm": lambda x, v: x.renorm(2, 0, 0.5),
}


@pytest.mark.parametrize("name", list(SCATTERS))
def test_scatter_variants(name, rng):
    x, v = distinct(rng, (3, 4)) * 0.3, distinct(rng, (3, 4)) * 0.2
    check_parity(SCATTERS[name], SCATTERS[name], [x, v], dtype=np.float64)
    gradcheck(SCATTERS[name], [x, v])


def test_resize_and_misc_methods():
    for f in (lambda t: t.resize_(2, 3), lambda t: t.resize_(6), lambda t: t.resize_as_(t.t())):
        g, t = gn.arange(6.0).reshape(3, 2), torch.arange(6.0).reshape(3, 2)
        np.testing.assert_array_equal(f(g).numpy(), f(t).numpy())
    x = gn.tensor([-1.5, 0.0, 2.0])
    t = torch.tensor([-1.5, 0.0, 2.0])
    np.testing.assert_allclose(x.angle().numpy(), t.angle().numpy())
    m, e = x.frexp()
    tm, te = t.frexp()
    np.testing.assert_array_equal(m.numpy(), tm.numpy())
    np.testing.assert_array_equal(e.numpy(), te.numpy())
    assert x.conj() is x and x.real is x and not x.is_conj()
    assert len(x.unsafe_chunk(2)) == 2 and gn.is_same_size(x, x)
    np.testing.assert_array_equal(
        gn.nonzero_static(gn.tensor([0, 3, 0, 5]), size=3).numpy(),
        torch.nonzero_static(torch.tensor([0, 3, 0, 5]), size=3).numpy())


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_index_put_accumulate_with_a_boolean_mask(dtype):
    """A boolean mask adds into the positions it selects (not rows 0, 1, ...), for index_put,
    index_put_ and x[mask] += v; a 2-D mask, a mask after an index and negative indices too."""
    rng = np.random.default_rng(7)
    x, v = rng.standard_normal((4, 3)), rng.standard_normal((2, 3))
    mask = np.array([False, True, False, True])

    def put(lib):
        return lambda a, b: a.index_put((lib.tensor(mask),), b, accumulate=True)

    check_parity(put(gn), put(torch), [x, v], dtype=dtype)

    def put_(lib):
        return lambda a, b: (a * 1).index_put_((lib.tensor(mask),), b, accumulate=True)

    check_parity(put_(gn), put_(torch), [x, v], dtype=dtype)

    def iadd(lib):
        def f(a, b):
            y = a * 1
            y[lib.tensor(mask)] += b
            return y
        return f

    check_parity(iadd(gn), iadd(torch), [x, v], dtype=dtype)
    m2 = np.array([[True, False, True], [False, False, False], [False, True, False],
                   [True, False, False]])
    w = rng.standard_normal(4)

    def put2(lib):
        return lambda a, b: a.index_put((lib.tensor(m2),), b, accumulate=True)

    check_parity(put2(gn), put2(torch), [x, w], dtype=dtype)
    y3, u = rng.standard_normal((2, 4, 3)), rng.standard_normal((2, 3))

    def put3(lib):
        return lambda a, b: a.index_put((lib.tensor([1, -1]), lib.tensor(mask)), b,
                                        accumulate=True)

    check_parity(put3(gn), put3(torch), [y3, u], dtype=dtype)


# ----------------------------------------------------------------------------- 0-d operands
ZERO_D = {
    "scatter_0d": lambda x, s: x.scatter(0, _idx(x, 0), s),
    "scatter_1d_0d": lambda x, s: x.scatter(0, _idx(x, [0]), s),
    "scatter_value_0d": lambda x, s: x.scatter(0, _idx(x, 0), 2.5) * s,
    "index_copy_0d": lambda x, s: x.index_copy(0, _idx(x, [0]), s),
    "index_fill_0d": lambda x, s: x.index_fill(0, _idx(x, [0]), -1.0) + s,
    "take_along_dim_0d": lambda x, s: _lib(x).take_along_dim(x, _idx(x, [0])) * s,
}


@pytest.mark.parametrize("name", sorted(ZERO_D))
def test_index_writes_on_0d_tensors(name):
    rng = np.random.default_rng(0)
    x, s = np.array(rng.standard_normal()), np.array(rng.standard_normal())
    check_parity(ZERO_D[name], ZERO_D[name], [x, s])
    gradcheck(ZERO_D[name], [x, s])


@pytest.mark.parametrize("reduce", ["sum", "prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_scatter_reduce_on_0d_tensors(reduce, include_self):
    rng = np.random.default_rng(1)
    x, s = np.array(rng.standard_normal()), np.array(rng.standard_normal())

    def f(a, b):
        return a.scatter_reduce(0, _idx(a, 0), b, reduce, include_self=include_self)

    check_parity(f, f, [x, s])


@pytest.mark.parametrize("include_self", [True, False])
@pytest.mark.parametrize("zeros", ["none", "self", "one_src", "two_src", "self_and_src"])
def test_scatter_reduce_prod_gradient(include_self, zeros):
    """The gradient of a product is the product of the other factors, also where some factor
    is zero (PyTorch's formula, which never divides by a zero factor)."""
    rng = np.random.default_rng(2)
    x = rng.uniform(0.5, 1.5, (4, 3)) * rng.choice([-1, 1], (4, 3))
    src = rng.uniform(0.5, 1.5, (5, 3)) * rng.choice([-1, 1], (5, 3))
    index = np.array([[0, 1, 3], [0, 2, 3], [1, 1, 3], [0, 2, 2], [3, 1, 0]])
    if zeros in ("self", "self_and_src"):
        x[0, 0] = x[1, 1] = 0.0
    if zeros in ("one_src", "two_src", "self_and_src"):
        src[0, 0] = 0.0  # the only zero sent to (0, 0) ...
    if zeros == "two_src":
        src[3, 0] = 0.0  # ... now one of two

    def f(a, b):
        return a.scatter_reduce(0, _idx(a, index), b, "prod", include_self=include_self)

    check_parity(f, f, [x, src], dtype=np.float64)
    check_parity(f, f, [x, src])
    gradcheck(f, [x, src])


def test_take_along_dim_negative_indices():
    x = np.random.default_rng(3).standard_normal((2, 5))
    ind = np.array([[-5, -1, 0], [4, -2, 1]])

    def f(a):
        return _lib(a).take_along_dim(a, _idx(a, ind), dim=1)

    check_parity(f, f, [x])
    gradcheck(f, [x])


def test_masked_scatter_broadcasts_and_unfold_of_0d():
    rng = np.random.default_rng(4)
    x, src, mask = rng.standard_normal(5), rng.standard_normal((4, 5)), rng.random((4, 5)) > 0.5

    def f(t, s):
        return t.masked_scatter(_lib(t).tensor(mask), s)

    check_parity(f, f, [x, src])
    check_parity(lambda t: t.unfold(0, 1, 1), lambda t: t.unfold(0, 1, 1), [np.array(2.5)])


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
@pytest.mark.parametrize("reduce", ["prod", "mean", "amax", "amin"])
@pytest.mark.parametrize("include_self", [True, False])
def test_index_reduce(reduce, include_self, rng):
    """Slices of src folded into self at index (repeated and missing indices among them),
    with and without self's own values; ties of amax/amin share the gradient."""
    x, src = distinct(rng, (3, 5, 2)), distinct(rng, (3, 4, 2))
    src[0, 3] = src[0, 1]  # a tie between two source slices sent to the same place
    idx = [1, 4, 1, 0]

    def f(a, s):
        return a.index_reduce(1, _idx(a, idx), s, reduce, include_self=include_self)

    for dtype in FLOAT_DTYPES:
        check_parity(f, f, [x, src], dtype=dtype)
    gradcheck(f, [x, src])
    g = gn.tensor(x).clone()
    g.index_reduce_(1, gn.tensor(idx), gn.tensor(src), reduce, include_self=include_self)
    t = torch.tensor(x).index_reduce_(1, torch.tensor(idx), torch.tensor(src), reduce,
                                      include_self=include_self)
    np.testing.assert_allclose(g.numpy(), t.numpy())
    np.testing.assert_allclose(
        gn.index_reduce(gn.tensor(x), 1, gn.tensor(idx), gn.tensor(src), reduce).numpy(),
        torch.index_reduce(torch.tensor(x), 1, torch.tensor(idx), torch.tensor(src),
                           reduce).numpy())


@pytest.mark.filterwarnings("ignore:index_reduce\\(\\) is in beta")
def test_index_reduce_prod_zeros_and_scalars():
    x = np.array([[0.0, 13.0], [0.0, 0.0], [15.0, 19.0]])
    src = np.array([[2.0, 0.0], [0.0, 0.0], [2.0, 3.0], [2.0, 2.0]])
    f = lambda a, s: a.index_reduce(0, _idx(a, [0, 1, 2, 0]), s, "prod")
    check_parity(f, f, [x, src], dtype=np.float64)
    for reduce in ("prod", "mean", "amax"):
        f = lambda a, s, r=reduce: a.index_reduce(0, _idx(a, [0]), s, r, include_self=False)
        check_parity(f, f, [np.array(2.0), np.array(3.0)], dtype=np.float64)


def test_index_reduce_errors():
    x, s = gn.zeros(3, 4), gn.ones(3, 2)
    with pytest.raises(RuntimeError, match="Expected reduce to be one of prod"):
        x.index_reduce(1, gn.tensor([0, 1]), s, "sum")
    with pytest.raises(IndexError, match="Index is supposed to be a vector"):
        x.index_reduce(1, gn.tensor([[0, 1]]), s, "amax")
    with pytest.raises(RuntimeError, match="Number of indices"):
        x.index_reduce(1, gn.tensor([0, 1, 2]), s, "amax")
    with pytest.raises(RuntimeError, match="same scalar type"):
        x.index_reduce(1, gn.tensor([0, 1]), s.double(), "amax")
    with pytest.raises(RuntimeError, match="source tensor shape must match"):
        x.index_reduce(1, gn.tensor([0, 1]), gn.ones(2, 2), "amax")
    with pytest.raises(IndexError, match="out of bounds"):
        x.index_reduce(1, gn.tensor([0, 5]), s, "amax")
