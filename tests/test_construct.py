"""Building tensors from tensors or sizes (glassnet/construct.py) against PyTorch: meshgrid,
cartesian_prod, combinations, block_diag, the stack variants, broadcasting, vander, windows,
gradient, vmap, the random samplers poisson/binomial, and empty_strided."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import FLOAT_DTYPES, check_parity, distinct, gradcheck

import glassnet as gn


def _M(x):
    return torch if isinstance(x, torch.Tensor) else gn


# ----------------------------------------------------------------------------- building
BUILD = {
    "meshgrid_ij": lambda a, b: _M(a).meshgrid(a, b, indexing="ij"),
    "meshgrid_xy": lambda a, b: _M(a).meshgrid(a, b, indexing="xy"),
    "cartesian_prod": lambda a, b: _M(a).cartesian_prod(a, b),
    "combinations": lambda a, b: _M(a).combinations(a, 2),
    "combinations_rep": lambda a, b: _M(a).combinations(b, 3, with_replacement=True),
    "block_diag": lambda a, b: _M(a).block_diag(a.reshape(1, 3), b.reshape(2, 1), a[0]),
    "column_stack": lambda a, b: _M(a).column_stack([a, a * 2]),
    "dstack": lambda a, b: _M(a).dstack([a, a + 1]),
    "row_stack": lambda a, b: _M(a).row_stack([a, a]),
    "hstack": lambda a, b: _M(a).hstack([a, b]),
    "atleast_3d": lambda a, b: _M(a).atleast_3d(a),
    "atleast_2d": lambda a, b: _M(a).atleast_2d(a, b),
    "broadcast_tensors": lambda a, b: _M(a).broadcast_tensors(a.reshape(3, 1), b),
    "broadcast_to": lambda a, b: _M(a).broadcast_to(a, (2, 3)),
    "cdist": lambda a, b: _M(a).cdist(a.reshape(3, 1) * b, b.reshape(1, 2) + a.reshape(3, 1)),
    "cdist_p1": lambda a, b: _M(a).cdist(a.reshape(1, 3), b.reshape(2, 1) * a, p=1),
    "pdist": lambda a, b: _M(a).pdist(a.reshape(3, 1) * b),
    "cov": lambda a, b: _M(a).cov(_M(a).stack([a, a * a, a + 1])),
    "cov_w": lambda a, b: _M(a).cov(_M(a).stack([a, a * a]), correction=0,
                                    aweights=_M(a).tensor([1.0, 2.0, 0.5], dtype=a.dtype)),
    "corrcoef": lambda a, b: _M(a).corrcoef(_M(a).stack([a, a * a * a])),
    "trapezoid": lambda a, b: _M(a).trapezoid(a),
    "trapezoid_x": lambda a, b: _M(a).trapezoid(a * a, _M(a).tensor([0.0, 0.5, 2.0], dtype=a.dtype)),
    "cumulative_trapezoid": lambda a, b: _M(a).cumulative_trapezoid(a, dx=0.5),
    "std_mean": lambda a, b: _M(a).std_mean(a),
    "var_mean": lambda a, b: _M(a).var_mean(a, unbiased=False),
}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("name", list(BUILD))
def test_build_parity(name, dtype, rng):
    a, b = distinct(rng, (3,)) * 0.4, distinct(rng, (2,)) * 0.3 + 0.1
    check_parity(BUILD[name], BUILD[name], [a, b], dtype=dtype)


@pytest.mark.parametrize("name", list(BUILD))
def test_build_gradcheck(name, rng):
    gradcheck(BUILD[name], [distinct(rng, (3,)) * 0.4, distinct(rng, (2,)) * 0.3 + 0.1])


def test_vander():
    # (PyTorch's own vander cannot be backpropagated through: forward values only)
    for x, kw in (([1.0, 2.0, -3.0], {"N": 4}), ([0.5, 2.0], {"increasing": True}),
                  ([1, 2, 3], {})):
        g, t = gn.vander(gn.tensor(x), **kw), torch.vander(torch.tensor(x), **kw)
        np.testing.assert_allclose(g.numpy(), t.numpy())
        assert str(g.dtype) == str(t.dtype).replace("torch.", "")
    gradcheck(lambda v: gn.vander(v, N=3), [np.array([0.5, -1.5])])


@pytest.mark.parametrize("name", ["hann_window", "hamming_window", "blackman_window",
                                  "bartlett_window"])
@pytest.mark.parametrize("n,periodic", [(1, True), (5, True), (6, False), (0, True)])
def test_windows(name, n, periodic):
    g = getattr(gn, name)(n, periodic=periodic)
    t = getattr(torch, name)(n, periodic=periodic)
    np.testing.assert_allclose(g.numpy(), t.numpy(), atol=1e-6)


def test_more_builders_and_switches():
    y = [1.0, 4.0, 9.0, 16.0, 25.0]
    for kw in ({}, {"spacing": 2.0}):
        (g,), (t,) = gn.gradient(gn.tensor(y), **kw), torch.gradient(torch.tensor(y), **kw)
        np.testing.assert_allclose(g.numpy(), t.numpy())
    m = np.arange(12.0).reshape(3, 4) ** 2
    for g, t in zip(gn.gradient(gn.tensor(m), dim=[0, 1]), torch.gradient(torch.tensor(m), dim=[0, 1])):
        np.testing.assert_allclose(g.numpy(), t.numpy())
    gradcheck(lambda v: gn.gradient(v)[0], [np.array([1.0, 3.0, 2.0, 5.0])])
    for n, periodic in ((6, True), (5, False), (1, True)):
        np.testing.assert_allclose(gn.kaiser_window(n, periodic, beta=5.0).numpy(),
                                   torch.kaiser_window(n, periodic, beta=5.0).numpy(), atol=1e-6)
    x = gn.randn(4, 3, requires_grad=True)
    out = gn.vmap(lambda r: (r * r).sum())(x)
    out.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.detach().numpy(), rtol=1e-6)
    with gn.random.fork_rng():
        a = gn.rand(2)
    assert gn.rand(2).tolist() == a.tolist()
    assert gn.poisson(gn.full((100,), 3.0)).mean().item() > 1
    assert 0 <= gn.binomial(gn.full((5,), 10.0), gn.full((5,), 0.5)).max().item() <= 10
    scaler = gn.amp.GradScaler(enabled=True)
    with gn.autocast(device_type="cpu", dtype=gn.float16):
        loss = (x * 2).sum()
    scaler.scale(loss).backward()
    opt = gn.optim.SGD([x], lr=0.1)
    scaler.step(opt)
    scaler.update()
    gn.set_default_tensor_type("torch.DoubleTensor")
    try:
        assert gn.zeros(1).dtype is gn.float64
    finally:
        gn.set_default_tensor_type(gn.FloatTensor)
    assert gn.zeros(1).dtype is gn.float32
    assert gn.empty_strided((2, 3), (3, 1)).shape == (2, 3)
    assert "linalg" in dir(gn) and "conv2d" in dir(gn)


@pytest.mark.parametrize("edge_order", [1, 2])
def test_gradient_spacings_and_edge_orders(edge_order):
    """torch.gradient's forms: one spacing, one per dim, coordinates per dim; edge order 1 or 2."""
    x = np.random.default_rng(0).standard_normal((4, 5))
    coords = (np.array([0.0, 0.5, 2.0, 2.5]), np.array([0.0, 1.0, 3.0, 4.0, 7.0]))
    for kw in ({}, {"spacing": 2.0}, {"spacing": [2.0, 0.5]}, {"dim": 1, "spacing": 3.0},
               {"spacing": "coords"}, {"dim": [0, -1]}):

        def f(t, kw=kw):
            lib = gn if isinstance(t, gn.Tensor) else torch
            k = dict(kw)
            if k.get("spacing") == "coords":
                k["spacing"] = [lib.tensor(c) for c in coords]
            return lib.gradient(t, edge_order=edge_order, **k)

        check_parity(f, f, [x], dtype=np.float64)
        check_parity(f, f, [x])
        gradcheck(f, [x])
    with pytest.raises(RuntimeError, match="edge_order"):
        gn.gradient(gn.zeros(2), edge_order=2)


def test_vmap_structures_out_dims_and_randomness():
    """vmap over dicts and tuples, in_dims per argument (None, an int, a structure), out_dims,
    tuple outputs, and the randomness modes, against torch.vmap."""
    rng = np.random.default_rng(5)
    a = rng.standard_normal((3, 4)).astype(np.float32)
    b = rng.standard_normal((4,)).astype(np.float32)

    def f(d, v):
        return {"s": (d["x"] * v).sum(), "p": (d["x"] + d["y"], v * 2)}

    ot = torch.vmap(f, in_dims=({"x": 1, "y": None}, None))(
        {"x": torch.tensor(a), "y": torch.tensor(1.5)}, torch.tensor(a[:, 0]))
    og = gn.vmap(f, in_dims=({"x": 1, "y": None}, None))(
        {"x": gn.tensor(a), "y": gn.tensor(1.5)}, gn.tensor(a[:, 0]))
    np.testing.assert_allclose(og["s"].numpy(), ot["s"].numpy(), rtol=1e-6)
    for x, y in zip(og["p"], ot["p"]):
        np.testing.assert_allclose(x.numpy(), y.numpy(), rtol=1e-6)
    t = torch.vmap(lambda r, s: r * s, in_dims=(0, None), out_dims=1)(torch.tensor(a),
                                                                      torch.tensor(b))
    g = gn.vmap(lambda r, s: r * s, in_dims=(0, None), out_dims=1)(gn.tensor(a), gn.tensor(b))
    np.testing.assert_allclose(g.numpy(), t.numpy())
    gn.manual_seed(0)
    same = gn.vmap(lambda r: r + gn.rand(()), randomness="same")(gn.zeros(5))
    assert len(set(same.tolist())) == 1
    diff = gn.vmap(lambda r: r + gn.rand(()), randomness="different")(gn.zeros(5))
    assert len(set(diff.tolist())) == 5
    with pytest.raises(ValueError, match="vmap: expected all mapped dimensions"):
        gn.vmap(lambda r, s: r + s)(gn.zeros(2), gn.zeros(3))
    with pytest.raises(ValueError, match="vmap: in_dims has 1 entries"):
        gn.vmap(lambda r, s: r + s, in_dims=(0,))(gn.zeros(2), gn.zeros(2))
