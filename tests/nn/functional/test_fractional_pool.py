"""Fractional max pooling (glassnet/nn/functional/fractional_pool.py) against PyTorch with the
same ``_random_samples``: outputs, indices and gradients equal, for 2-D and 3-D, batched and
unbatched, ties and NaNs; a float64 finite-difference check; and the window rule itself."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F

CASES = [  # (nd, input shape, kernel_size, output_size, output_ratio)
    (2, (2, 3, 9, 9), 3, (4, 5), None),
    (2, (1, 2, 9, 10), (2, 3), None, (0.5, 0.7)),
    (2, (3, 7, 6), 2, 3, None),  # unbatched
    (2, (1, 1, 16, 16), 1, None, (0.5, 0.5)),
    (3, (2, 2, 7, 8, 9), (2, 3, 2), (4, 3, 5), None),
    (3, (2, 5, 6, 7), 2, None, (0.5, 0.6, 0.7)),  # unbatched
]


def _fns(nd):
    return ((F.fractional_max_pool2d, TF.fractional_max_pool2d) if nd == 2 else
            (F.fractional_max_pool3d, TF.fractional_max_pool3d))


@pytest.mark.parametrize("nd,shape,k,size,ratio", CASES)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fractional_max_pool_matches_pytorch(nd, shape, k, size, ratio, dtype, rng):
    x = rng.standard_normal(shape)
    x.reshape(-1)[:3] = x.reshape(-1)[3]  # a tie in the first windows
    batched = len(shape) == nd + 2
    u = rng.random(((shape[0] if batched else 1), shape[-nd - 1], nd))
    gf, tf = _fns(nd)
    kw = {"output_size": size, "output_ratio": ratio}

    def g(a, s):
        return gf(a, k, return_indices=True, _random_samples=s, **kw)

    def t(a, s):
        return tf(a, k, return_indices=True, _random_samples=s, **kw)

    out, _ = check_parity(g, t, [x, u.astype(dtype)], dtype=dtype, grad_inputs=[0])
    assert out[1].dtype == gn.int64


def test_fractional_max_pool_nan_wins_and_gradcheck(rng):
    x = rng.standard_normal((1, 2, 6, 6))
    u = rng.random((1, 2, 2))
    g = lambda a: F.fractional_max_pool2d(a, 2, output_size=4, _random_samples=gn.tensor(u))
    gradcheck(g, [x])
    x[0, 0, 1, 1] = x[0, 0, 2, 2] = np.nan
    out, idx = F.fractional_max_pool2d(gn.tensor(x), 2, output_size=4, return_indices=True,
                                       _random_samples=gn.tensor(u))
    ref, ridx = TF.fractional_max_pool2d(torch.tensor(x), 2, output_size=4, return_indices=True,
                                         _random_samples=torch.tensor(u))
    np.testing.assert_array_equal(idx.numpy(), ridx.numpy())
    np.testing.assert_array_equal(out.numpy(), ref.numpy())


def test_fractional_windows_cover_the_map():
    """alpha = (L - k) / (O - 1); steps between window starts are floor or ceil of alpha, the
    first window starts at 0 and the last ends at L."""
    from glassnet.nn.functional.fractional_pool import fractional_starts

    u = np.random.default_rng(3).random(50).astype(np.float32)
    s = fractional_starts(u, 25, 8, 3)
    assert (s[:, 0] == 0).all() and (s[:, -1] == 22).all()
    assert set(np.unique(np.diff(s, axis=1))) <= {2, 3, 4}  # alpha = 22 / 7 = 3.14


def test_fractional_max_pool_random_samples_drawn_and_seeded(rng):
    x = gn.tensor(rng.standard_normal((2, 3, 10, 10)).astype(np.float32))
    gn.manual_seed(0)
    a = F.fractional_max_pool2d(x, 2, output_ratio=0.5)
    gn.manual_seed(0)
    b = F.fractional_max_pool2d(x, 2, output_ratio=0.5)
    assert tuple(a.shape) == (2, 3, 5, 5)
    np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_fractional_max_pool_errors():
    x = gn.zeros(1, 1, 9, 9)
    with pytest.raises(ValueError, match="either an output_size or an output_ratio"):
        F.fractional_max_pool2d(x, 3)
    with pytest.raises(RuntimeError, match="too large relative to input"):
        F.fractional_max_pool2d(x, 3, output_size=8)
    with pytest.raises(RuntimeError, match="same dtype as input"):
        F.fractional_max_pool2d(x, 3, output_size=2, _random_samples=gn.zeros(1, 1, 2).double())
    with pytest.raises(RuntimeError, match="_random_samples of shape"):
        F.fractional_max_pool2d(x, 3, output_size=2, _random_samples=gn.zeros(1, 1, 3))


def test_fractional_max_pool_second_derivative(rng):
    """The gradient (a scatter of the upstream gradient into the winners) is differentiable in
    the upstream gradient: create_graph=True gives PyTorch's result."""
    x, u = rng.standard_normal((1, 2, 7, 7)), rng.random((1, 2, 2))
    w, v = rng.standard_normal((1, 2, 3, 3)), rng.standard_normal((1, 2, 7, 7))

    def run(lib, fn):
        a, ww = lib.tensor(x, requires_grad=True), lib.tensor(w, requires_grad=True)
        out = fn(a, 3, output_size=3, _random_samples=lib.tensor(u))
        (ga,) = lib.autograd.grad((out * ww).sum(), a, create_graph=True)
        (gw,) = lib.autograd.grad((ga * lib.tensor(v)).sum(), ww)
        return gw.detach().numpy()

    np.testing.assert_allclose(run(gn, F.fractional_max_pool2d),
                               run(torch, TF.fractional_max_pool2d))


@pytest.mark.parametrize("nd", [2, 3])
def test_fractional_max_pool_modules_as_pytorch(nd):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3) + (9,) * nd).astype(np.float32)
    samples = rng.random((2, 3, nd)).astype(np.float32)
    outs = []
    for lib in (torch, gn):
        cls = getattr(lib.nn, f"FractionalMaxPool{nd}d")
        m = cls(3, output_ratio=0.5, return_indices=True, _random_samples=lib.tensor(samples))
        xx = lib.tensor(x, requires_grad=True)
        out, idx = m(xx)
        out.sum().backward()
        outs.append((out.detach().numpy(), idx.numpy(), xx.grad.numpy(), repr(m),
                     sorted(k for k, _ in m.named_buffers())))
        with pytest.raises(ValueError, match="output_ratio must be between 0 and 1"):
            cls(2, output_ratio=1.5)
        with pytest.raises(ValueError, match="either an output size"):
            cls(2)
    (o1, i1, g1, r1, b1), (o2, i2, g2, r2, b2) = outs
    np.testing.assert_array_equal(o1, o2)
    np.testing.assert_array_equal(i1, i2)
    np.testing.assert_array_equal(g1, g2)
    assert r1 == r2 and b1 == b2
