"""Winograd's F(2x2, 3x3) and F(4x4, 3x3) for stride-1 3x3 convolutions: the transforms are
the minimal filtering identity; forward, input gradient and weight gradient agree with PyTorch
(float64 reference), with the im2col path and with finite differences; the batch may be cut into
chunks and shared among threads without changing the result; glassnet.backends.conv_algorithm
chooses the algorithm, and everything Winograd cannot do falls back to im2col."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import accel
from glassnet.nn.functional import conv_kernels, winograd
from glassnet.nn.functional.im2col import geometry

# Measured max |error| / max |reference| of float32 against a float64 reference (see
# docs/performance.md): im2col and F(2x2) stay below 1.5e-6, F(4x4) below 8e-6; bounds with room.
REL_TOL = {2: 3e-6, 4: 2e-5}


@pytest.fixture
def algorithm(monkeypatch):
    """Set glassnet.backends.conv_algorithm and winograd.TILE for one test."""
    def use(name, tile=4):
        monkeypatch.setattr(gn.backends, "conv_algorithm", name)
        monkeypatch.setattr(winograd, "TILE", tile)
    return use


def _conv(x, w, b, g, padding, dtype=np.float32):
    """glassnet's y, dx, dW, db for conv2d(x, w, b, padding) with output gradient g."""
    gx, gw, gb = (gn.tensor(a.astype(dtype), requires_grad=True) for a in (x, w, b))
    y = F.conv2d(gx, gw, gb, padding=padding)
    y.backward(gn.tensor(g.astype(dtype)))
    return y.detach().numpy(), gx.grad.numpy(), gw.grad.numpy(), gb.grad.numpy()


def _torch64(x, w, b, g, padding):
    tx, tw, tb = (torch.tensor(a.astype(np.float64), requires_grad=True) for a in (x, w, b))
    y = TF.conv2d(tx, tw, tb, padding=padding)
    y.backward(torch.tensor(g.astype(np.float64)))
    return [t.detach().numpy() for t in (y, tx.grad, tw.grad, tb.grad)]


def _data(n, c, o, h, w, padding, seed=0):
    r = np.random.default_rng(seed)
    x = r.standard_normal((n, c, h, w))
    wt = r.standard_normal((o, c, 3, 3)) / np.sqrt(9 * c)
    b = r.standard_normal(o)
    g = r.standard_normal((n, o, h + 2 * padding - 2, w + 2 * padding - 2))
    return x, wt, b, g


def _rel_err(a, ref):
    return np.abs(a - ref).max() / max(np.abs(ref).max(), 1e-30)


def test_the_transforms_are_minimal_filtering():
    # A^T [(G g) * (B^T d)] = the 1-D correlation of d (m + 2 samples) with g (3 taps), and the
    # 2-D tile is the same identity along both axes.
    r = np.random.default_rng(0)
    for m, (bt, gm, at) in winograd.TILES.items():
        d, g = r.standard_normal(m + 2), r.standard_normal(3)
        direct = np.array([d[i:i + 3] @ g for i in range(m)])
        np.testing.assert_allclose(at @ ((gm @ g) * (bt @ d)), direct, rtol=1e-12, atol=1e-12)
        d2, g2 = r.standard_normal((m + 2, m + 2)), r.standard_normal((3, 3))
        direct2 = np.array([[np.sum(d2[i:i + 3, j:j + 3] * g2) for j in range(m)]
                            for i in range(m)])
        tile = at @ ((gm @ g2 @ gm.T) * (bt @ d2 @ bt.T)) @ at.T
        np.testing.assert_allclose(tile, direct2, rtol=1e-12, atol=1e-12)


# (batch, in, out, height, width, padding): odd and even sizes, tiles cut by the border,
# outputs smaller than one tile, padding 0, 1 and 2
SHAPES = [(2, 3, 4, 5, 5, 1), (3, 4, 5, 7, 6, 0), (1, 2, 3, 3, 3, 0), (4, 8, 8, 9, 10, 1),
          (5, 6, 7, 4, 4, 2), (2, 5, 3, 12, 7, 1), (1, 3, 2, 1, 6, 1), (3, 2, 2, 8, 8, 0)]


@pytest.mark.parametrize("tile", [2, 4])
@pytest.mark.parametrize("shape", SHAPES)
def test_forward_and_gradients_match_pytorch_and_im2col(algorithm, tile, shape):
    n, c, o, h, w, p = shape
    data = _data(n, c, o, h, w, p)
    ref = _torch64(*data, p)
    algorithm("im2col")
    direct = _conv(*data, p)
    algorithm("winograd", tile)
    wino = _conv(*data, p)
    for name, a, d, t in zip(("y", "dx", "dW", "db"), wino, direct, ref):
        assert a.dtype == np.float32 and a.shape == t.shape, name
        assert _rel_err(a, t) < REL_TOL[tile], name
        assert _rel_err(a, d) < REL_TOL[tile], name
        assert _rel_err(d, t) < REL_TOL[2], name


@pytest.mark.parametrize("tile", [2, 4])
def test_float64_matches_pytorch_tightly(algorithm, tile):
    algorithm("winograd", tile)
    data = _data(3, 4, 5, 9, 6, 1, seed=1)
    for a, t in zip(_conv(*data, 1, dtype=np.float64), _torch64(*data, 1)):
        np.testing.assert_allclose(a, t, rtol=1e-9, atol=1e-11)


@pytest.mark.parametrize("tile", [2, 4])
def test_gradcheck(algorithm, tile):
    algorithm("winograd", tile)
    r = np.random.default_rng(2)
    x = gn.tensor(r.standard_normal((2, 2, 5, 6)), requires_grad=True)
    w = gn.tensor(r.standard_normal((3, 2, 3, 3)), requires_grad=True)
    b = gn.tensor(r.standard_normal(3), requires_grad=True)
    assert gn.autograd.gradcheck(lambda x, w, b: F.conv2d(x, w, b, padding=1), (x, w, b))


def test_large_batch_chunked_and_threaded_is_deterministic(algorithm, monkeypatch):
    # Batch 128 in many chunks, shared among 2 threads: the same bits as on one thread, and
    # PyTorch's values.
    algorithm("winograd")
    monkeypatch.setattr(winograd, "CHUNK_BYTES", 2000)
    monkeypatch.setattr(conv_kernels, "MIN_PARALLEL_BYTES", 0)
    data = _data(128, 3, 4, 6, 5, 1, seed=3)
    monkeypatch.setitem(gn.backend._threads, "n", 1)
    one = _conv(*data, 1)
    monkeypatch.setitem(gn.backend._threads, "n", 2)
    two = _conv(*data, 1)
    for a, b, t in zip(one, two, _torch64(*data, 1)):
        np.testing.assert_array_equal(a, b)
        assert _rel_err(a, t) < REL_TOL[4]


def test_kept_transforms_and_a_switch_between_passes(algorithm, monkeypatch):
    # Forward keeps V for the weight gradient; if the algorithm changes before backward, the
    # kept V is not mistaken for im2col's columns (and the other way round).
    data = _data(4, 3, 4, 6, 6, 1, seed=4)
    ref = _torch64(*data, 1)
    for first, second in (("winograd", "im2col"), ("im2col", "winograd")):
        algorithm(first)
        x, w, b, g = data
        gx, gw, gb = (gn.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w, b))
        y = F.conv2d(gx, gw, gb, padding=1)
        algorithm(second)
        y.backward(gn.tensor(g.astype(np.float32)))
        for a, t in zip((gx.grad.numpy(), gw.grad.numpy(), gb.grad.numpy()), ref[1:]):
            assert _rel_err(a, t) < REL_TOL[4]


def test_weight_grad_only_and_input_grad_only(algorithm):
    algorithm("winograd")
    x, w, b, g = _data(2, 3, 4, 7, 7, 1, seed=5)
    ref = _torch64(x, w, b, g, 1)
    gx = gn.tensor(x.astype(np.float32))
    gw = gn.tensor(w.astype(np.float32), requires_grad=True)
    F.conv2d(gx, gw, padding=1).backward(gn.tensor(g.astype(np.float32)))
    assert _rel_err(gw.grad.numpy(), ref[2]) < REL_TOL[4]
    gx = gn.tensor(x.astype(np.float32), requires_grad=True)
    gw = gn.tensor(w.astype(np.float32))
    F.conv2d(gx, gw, padding=1).backward(gn.tensor(g.astype(np.float32)))
    assert _rel_err(gx.grad.numpy(), ref[1]) < REL_TOL[4]


def test_transposed_convolution_runs_the_adjoint(algorithm):
    # conv_transpose2d with stride 1 is the input gradient of a 3x3 convolution: Winograd's
    # adjoint pass computes it, and its backward runs the forward and weight-gradient passes.
    algorithm("winograd")
    r = np.random.default_rng(6)
    x = r.standard_normal((2, 4, 5, 6))
    w = r.standard_normal((4, 3, 3, 3)) / 6
    g = r.standard_normal((2, 3, 5, 6))
    gx, gw = (gn.tensor(a.astype(np.float32), requires_grad=True) for a in (x, w))
    y = F.conv_transpose2d(gx, gw, padding=1)
    y.backward(gn.tensor(g.astype(np.float32)))
    tx, tw = (torch.tensor(a, requires_grad=True) for a in (x, w))
    ty = TF.conv_transpose2d(tx, tw, padding=1)
    ty.backward(torch.tensor(g))
    for a, t in ((y.detach(), ty), (gx.grad, tx.grad), (gw.grad, tw.grad)):
        assert _rel_err(a.numpy(), t.detach().numpy()) < REL_TOL[4]


@pytest.mark.parametrize("kwargs", [{"stride": 2, "padding": 1}, {"dilation": 2, "padding": 2},
                                    {"groups": 2, "padding": 1}, {"padding": (1, 0)}])
def test_what_winograd_cannot_do_falls_back(algorithm, kwargs):
    algorithm("winograd")
    r = np.random.default_rng(7)
    x = r.standard_normal((2, 4, 7, 8))
    w = r.standard_normal((6, 4 // kwargs.get("groups", 1), 3, 3))
    y = F.conv2d(gn.tensor(x), gn.tensor(w), **kwargs)
    np.testing.assert_allclose(y.numpy(), TF.conv2d(torch.tensor(x), torch.tensor(w),
                                                    **kwargs).numpy(), rtol=1e-9, atol=1e-11)
    geom = geometry(x.shape, (3, 3), (kwargs.get("stride", 1),) * 2,
                    ((1, 1), (1, 1)), (kwargs.get("dilation", 1),) * 2)
    # only the last one (different padding per dimension) is Winograd's
    assert winograd.applicable(geom, w, kwargs.get("groups", 1)) == (kwargs == {"padding": (1, 0)})


def test_conv_algorithm_switch(algorithm, monkeypatch):
    w = np.zeros((64, 64, 3, 3), np.float32)
    big = geometry((128, 64, 8, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    small = geometry((1, 64, 8, 8), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    wide = geometry((8, 16, 32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    w16 = np.zeros((16, 16, 3, 3), np.float32)
    assert gn.backends.conv_algorithm == "auto"  # the default
    algorithm("auto")
    # F(2x2) with compiled transforms on 16+ channels at 16+ wide, where numba is there
    assert conv_kernels.uses_winograd(wide, w16, 1) == (2 if accel._numba() else 0)
    assert not conv_kernels.uses_winograd(big, w, 1)  # 8 wide
    thin = geometry((8, 8, 32, 32), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    assert not conv_kernels.uses_winograd(thin, np.zeros((8, 8, 3, 3), np.float32), 1)
    few = geometry((1, 16, 16, 16), (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    assert not conv_kernels.uses_winograd(few, w16, 1)  # under accel.MIN_ELEMENTS
    with monkeypatch.context() as mp:
        mp.setattr(gn.backends, "cpu_kernels", "numpy")  # no compiled transforms: im2col
        assert not conv_kernels.uses_winograd(wide, w16, 1)
    algorithm("winograd")
    assert conv_kernels.uses_winograd(small, w, 1) == winograd.TILE
    assert not conv_kernels.uses_winograd(small, w.astype(np.complex64), 1)
    algorithm("im2col")
    assert not conv_kernels.uses_winograd(big, w, 1)
    assert not conv_kernels.uses_winograd(wide, w16, 1)
    algorithm("fastest")
    with pytest.raises(ValueError, match="conv_algorithm must be 'auto', 'winograd' or 'im2col'"):
        F.conv2d(gn.zeros(1, 1, 4, 4), gn.zeros(1, 1, 3, 3))


@pytest.mark.skipif(not accel._numba(), reason="numba is not installed")
# (16 -> 16 and 16 -> 8 compute dx as a full correlation of dy, itself an F(2x2) convolution;
# the others have more output than input channels, and dx comes from F(2x2)'s own backward)
@pytest.mark.parametrize("n,c,o,h,w,padding", [(2, 3, 4, 7, 9, 1), (3, 5, 6, 8, 8, (0, 2)),
                                               (1, 2, 3, 5, 6, 0), (4, 16, 16, 16, 16, 1),
                                               (40, 16, 8, 6, 10, 1),  # 2 chunks
                                               (3, 4, 16, 9, 8, 1)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_f2_compiled_transforms_match_numpy_and_pytorch(algorithm, monkeypatch, n, c, o, h, w,
                                                        padding, dtype):
    algorithm("winograd", 2)
    monkeypatch.setattr(accel, "MIN_ELEMENTS", 0)
    monkeypatch.setattr(winograd, "CHUNK_BYTES", 64 * 1024)
    pad = padding if isinstance(padding, tuple) else (padding, padding)
    x, wt, b, _ = _data(n, c, o, h, w, 0)
    g = np.random.default_rng(1).standard_normal(
        (n, o, h + 2 * pad[0] - 2, w + 2 * pad[1] - 2))
    ref = _torch64(x, wt, b, g, padding)
    res = {}
    for mode in ("compiled", "numpy"):
        monkeypatch.setattr(gn.backends, "cpu_kernels", mode)
        res[mode] = _conv(x, wt, b, g, padding, dtype)
    tol = REL_TOL[2] if dtype == np.float32 else 1e-12
    for a, r, e in zip(res["compiled"], res["numpy"], ref):
        assert _rel_err(a, e) < tol
        assert _rel_err(a, r) < tol


@pytest.mark.skipif(not accel._numba(), reason="numba is not installed")
def test_auto_runs_f2_compiled_on_a_resnet_layer_as_exactly_as_im2col(algorithm):
    # the default algorithm on ResNet-20's first stage (16 channels, 32x32): F(2x2)
    x, wt, b, g = _data(16, 16, 16, 32, 32, 1)
    geom = geometry(x.shape, (3, 3), (1, 1), ((1, 1), (1, 1)), (1, 1))
    assert conv_kernels.uses_winograd(geom, wt.astype(np.float32), 1) == 2
    ref = _torch64(x, wt, b, g, 1)
    algorithm("auto")
    auto = _conv(x, wt, b, g, 1)
    algorithm("im2col")
    im2col = _conv(x, wt, b, g, 1)
    for a, i, e in zip(auto, im2col, ref):
        assert _rel_err(a, e) <= max(2 * _rel_err(i, e), 1e-6)
