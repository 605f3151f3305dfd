"""In-place Tensor methods (glassnet/tensor/inplace.py) against PyTorch: values, gradients on
non-leaf tensors, views and the rules PyTorch enforces, updates of an untracked tensor, and the
random fills."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity, distinct

import glassnet as gn


def _lib(x):
    return torch if isinstance(x, torch.Tensor) else gn


def _idx(x, values):
    return _lib(x).tensor(values)


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
