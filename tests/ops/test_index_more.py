"""tile, repeat_interleave, unfold, tensor_split, take/put, scatter, index_copy/fill,
masked_select/scatter, scatter_reduce, triangles and diagonals, and the in-place variants,
against PyTorch (values and gradients) and finite differences."""

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


def test_unique_and_consecutive():
    x = [3, 1, 1, 2, 3, 3, 0]
    for kw in ({}, {"return_inverse": True}, {"return_counts": True},
               {"return_inverse": True, "return_counts": True}):
        g, t = gn.tensor(x).unique(**kw), torch.tensor(x).unique(**kw)
        g, t = (g if isinstance(g, tuple) else (g,)), (t if isinstance(t, tuple) else (t,))
        for a, b in zip(g, t):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        g = gn.tensor(x).unique_consecutive(**kw)
        t = torch.tensor(x).unique_consecutive(**kw)
        g, t = (g if isinstance(g, tuple) else (g,)), (t if isinstance(t, tuple) else (t,))
        for a, b in zip(g, t):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
    m = [[1, 2], [0, 5], [1, 2]]
    g, t = gn.unique(gn.tensor(m), dim=0, return_counts=True), \
        torch.unique(torch.tensor(m), dim=0, return_counts=True)
    for a, b in zip(g, t):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


# ----------------------------------------------------------------------------- in place
INPLACE = {
    "exp_": lambda x: x.exp_(),
    "sqrt_abs": lambda x: x.abs_().sqrt_(),
    "clamp_": lambda x: x.clamp_(-0.2, 0.3),
    "clamp_min_": lambda x: x.clamp_min_(0.0),
    "add_alpha": lambda x: x.add_(x.detach() * 0 + 1, alpha=2),
    "mul_": lambda x: x.mul_(3),
    "div_floor": lambda x: x.div_(0.25, rounding_mode="floor"),
    "addcmul_": lambda x: x.addcmul_(x.detach(), x.detach(), value=0.5),
    "lerp_": lambda x: x.lerp_(x.detach() * 0, 0.25),
    "tanh_": lambda x: x.tanh_(),
    "sigmoid_": lambda x: x.sigmoid_(),
    "neg_": lambda x: x.neg_(),
    "t_": lambda x: x.t_(),
    "transpose_": lambda x: x.transpose_(0, 1),
    "unsqueeze_": lambda x: x.unsqueeze_(0),
    "tril_": lambda x: x.tril_(),
    "masked_fill_": lambda x: x.masked_fill_(x > 0, 0.5),
    "index_fill_": lambda x: x.index_fill_(1, _idx(x, [1]), 2.0),
    "index_add_": lambda x: x.index_add_(0, _idx(x, [0, 0]), x.detach()[:2].clone()),
    "scatter_": lambda x: x.scatter_(1, _idx(x, [[1], [0], [2]]), 7.0),
    "scatter_add_": lambda x: x.scatter_add_(1, _idx(x, [[1], [0], [2]]), x.detach()[:, :1]),
    "copy_": lambda x: x.copy_(_lib(x).ones(4)),
    "fill_diagonal_": lambda x: x.fill_diagonal_(9.0),
    "eq_": lambda x: x.gt_(0),
    "nan_to_num_": lambda x: x.nan_to_num_(),
}


@pytest.mark.parametrize("name", list(INPLACE))
def test_inplace_values(name, rng):
    x = distinct(rng, (3, 4)).astype(np.float32) * 0.3
    g, t = gn.tensor(x), torch.tensor(x)
    rg = INPLACE[name](g)
    INPLACE[name](t)
    assert rg is g
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6, atol=1e-7)
    assert tuple(g.shape) == tuple(t.shape)


@pytest.mark.parametrize("name", [n for n in INPLACE if n not in ("fill_diagonal_", "eq_",
                                                                  "div_floor")])
def test_inplace_gradients(name, rng):
    """An in-place op on a non-leaf differentiates like its out-of-place form."""
    x = distinct(rng, (3, 4)) * 0.3

    def f(a):
        y = a * 1.0
        INPLACE[name](y)
        return y * y

    check_parity(f, f, [x], dtype=np.float64)


def test_inplace_views_and_rules():
    base = gn.zeros(2, 3)
    base[0].add_(1)  # a view: the base sees the change
    base[:, 1].exp_()
    t = torch.zeros(2, 3)
    t[0].add_(1)
    t[:, 1].exp_()
    np.testing.assert_allclose(base.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)  # float32 exp
    leaf = gn.ones(2, requires_grad=True)
    with pytest.raises(RuntimeError, match="leaf"):
        leaf.exp_()
    with gn.no_grad():
        leaf.mul_(2)
    assert leaf.tolist() == [2.0, 2.0]
    ints = gn.tensor([1, 2])
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.sqrt_()
    with pytest.raises(RuntimeError, match="can't be cast"):
        ints.add_(0.5)
    ints.mul_(3)
    assert ints.tolist() == [3, 6] and ints.dtype == gn.int64


def test_inplace_from_untracked_tensor_keeps_the_graph():
    """h = zeros(); h.add_(w): gradients reach w, as in PyTorch."""
    w = gn.tensor([1.0, 2.0], requires_grad=True)
    h = gn.zeros(2)
    h.add_(w * 3)
    h.sum().backward()
    assert w.grad.tolist() == [3.0, 3.0]
    h = gn.zeros(2)
    h.copy_(w)
    (h * h).sum().backward()
    assert w.grad.tolist() == [5.0, 7.0]


def test_random_fills():
    gn.manual_seed(0)
    x = gn.empty(1000)
    assert 0 <= x.random_(0, 5).min().item() and x.max().item() <= 4
    assert x.exponential_().min().item() >= 0
    assert abs(x.cauchy_().median().item()) < 0.3
    assert set(x.bernoulli_(0.3).unique().tolist()) <= {0.0, 1.0}
    assert x.geometric_(0.5).min().item() >= 1
    assert x.log_normal_().min().item() > 0


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
