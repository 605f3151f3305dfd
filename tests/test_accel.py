"""glassnet.accel: the compiled loops give what the NumPy reference gives, and PyTorch's values.

Every compiled kernel is checked against the NumPy path it replaces (``backends.cpu_kernels =
"numpy"``) and against PyTorch, on shapes that exercise the threads' parts of the batch, strided
inputs, float64, and statistics that cancel (|mean| >> std).
"""

from __future__ import annotations

import contextlib

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import gradcheck

import glassnet as gn
import glassnet.nn.functional as F
from glassnet import accel, backends
from glassnet.nn.functional import im2col as I


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    """Compiled kernels for the small arrays of these tests too."""
    monkeypatch.setattr(accel, "MIN_ELEMENTS", 0)


@contextlib.contextmanager
def kernels(mode):
    old = backends.cpu_kernels
    backends.cpu_kernels = mode
    try:
        yield
    finally:
        backends.cpu_kernels = old


needs_numba = pytest.mark.skipif(not accel._numba(), reason="numba is not installed")


def test_available_follows_the_switch_and_the_arrays():
    x = np.zeros(3, np.float32)
    with kernels("numpy"):
        assert not accel.available(x)
    with kernels("compiled"):
        assert accel.available(x) == bool(accel._numba())
        assert not accel.available(np.zeros(3, np.int64))
        assert not accel.available(np.zeros(3, np.float16))
        accel.MIN_ELEMENTS = 4  # restored by the fixture
        assert not accel.available(x)
    with kernels("fast"), pytest.raises(ValueError, match="cpu_kernels must be"):
        accel.available(x)


def test_a_kernel_without_numba_says_how_to_get_it(monkeypatch):
    k = accel.kernel(lambda a: a)
    monkeypatch.setitem(accel._state, "numba", False)
    with pytest.raises(RuntimeError, match=r"numba is not installed.*glassnet\[accel\]"):
        k(1)
    assert k.fn(2) == 2  # the plain Python loop stays reachable


def _bn_both(x, w, b, g, eps=1e-5):
    """(out, dx, dw, db, running mean, running var) with the compiled and the NumPy kernels."""
    res = []
    for mode in ("compiled", "numpy"):
        with kernels(mode):
            xt = gn.tensor(x, requires_grad=True)
            wt = gn.tensor(w, requires_grad=True) if w is not None else None
            bt = gn.tensor(b, requires_grad=True) if b is not None else None
            rm, rv = gn.zeros(x.shape[1], dtype=x.dtype), gn.ones(x.shape[1], dtype=x.dtype)
            y = F.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.1, eps=eps)
            y.backward(gn.tensor(g))
            res.append([y.detach().numpy(), xt.grad.numpy(),
                        None if wt is None else wt.grad.numpy(),
                        None if bt is None else bt.grad.numpy(), rm.numpy(), rv.numpy()])
    return res


@needs_numba
@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 7), (2, 3, 4, 5), (2, 2, 3, 2, 4),
                                   (64, 16, 32, 32)])  # the last: 4 MiB, parts on threads
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_compiled_matches_numpy_and_pytorch(shape, affine, rng):
    x = (rng.standard_normal(shape) * 3 + 1).astype(np.float32)
    g = rng.standard_normal(shape).astype(np.float32)
    c = shape[1]
    w = rng.uniform(0.5, 1.5, c).astype(np.float32) if affine else None
    b = rng.standard_normal(c).astype(np.float32) if affine else None
    comp, ref = _bn_both(x, w, b, g)
    for a, r in zip(comp, ref):
        if r is not None:
            np.testing.assert_allclose(a, r, rtol=2e-5, atol=2e-5)
    xt = torch.tensor(x, requires_grad=True)
    wt = torch.tensor(w, requires_grad=True) if affine else None
    bt = torch.tensor(b, requires_grad=True) if affine else None
    rm, rv = torch.zeros(c), torch.ones(c)
    y = TF.batch_norm(xt, rm, rv, wt, bt, training=True, momentum=0.1)
    y.backward(torch.tensor(g))
    np.testing.assert_allclose(comp[0], y.detach().numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(comp[1], xt.grad.numpy(), rtol=1e-4, atol=1e-4)
    if affine:
        np.testing.assert_allclose(comp[2], wt.grad.numpy(), rtol=1e-4, atol=1e-3)
        np.testing.assert_allclose(comp[3], bt.grad.numpy(), rtol=1e-4, atol=1e-3)
    np.testing.assert_allclose(comp[4], rm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(comp[5], rv.numpy(), rtol=1e-4, atol=1e-6)


@needs_numba
def test_batch_norm_compiled_variance_survives_a_large_mean(rng):
    # sum(x^2) - sum(x)^2 / m would lose every digit here; the shifted sums do not
    x = (1e4 + rng.standard_normal((32, 4, 50))).astype(np.float32)
    g = rng.standard_normal(x.shape).astype(np.float32)
    comp, ref = _bn_both(x, None, None, g)
    np.testing.assert_allclose(comp[5], ref[5], rtol=1e-3)
    x64 = x.astype(np.float64)
    var = x64.var(axis=(0, 2), ddof=1)
    np.testing.assert_allclose(comp[5], 0.9 + 0.1 * var, rtol=1e-3)
    np.testing.assert_allclose(comp[0], ref[0], atol=2e-3)


@needs_numba
def test_batch_norm_compiled_float64_and_strided_input(rng):
    x = rng.standard_normal((6, 8, 5, 4))[:, ::2]  # (6, 4, 5, 4), not contiguous
    g = rng.standard_normal((6, 4, 5, 4))
    w, b = rng.uniform(0.5, 1.5, 4), rng.standard_normal(4)
    comp, ref = _bn_both(x, w, b, g)
    for a, r in zip(comp, ref):
        np.testing.assert_allclose(a, r, rtol=1e-12, atol=1e-12)
    assert comp[0].dtype == np.float64


@needs_numba
def test_batch_norm_compiled_propagates_nan(rng):
    x = rng.standard_normal((4, 2, 3)).astype(np.float32)
    x[1, 0, 2] = np.nan
    with kernels("compiled"):
        y = F.batch_norm(gn.tensor(x), None, None, training=True).numpy()
    assert np.isnan(y[:, 0]).all() and np.isfinite(y[:, 1]).all()


@needs_numba
@pytest.mark.parametrize("spatial,k,pad", [((9,), (3,), 1), ((6, 7), (3, 3), 1),
                                           ((14, 14), (5, 5), 0), ((4, 9), (2, 3), 2)])
def test_col2im_compiled_matches_numpy(spatial, k, pad, rng):
    nd = len(spatial)
    geom = I.geometry((3, 2) + spatial, k, (1,) * nd, ((pad, pad),) * nd, (1,) * nd)
    cols = rng.standard_normal((2 * geom.kprod, 3 * geom.p_wide)).astype(np.float32)
    with kernels("compiled"):
        a = I.col2im(cols, geom)
    with kernels("numpy"):
        b = I.col2im(cols, geom)
    assert geom.runs is not None
    np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)


@needs_numba
def test_conv_input_grad_through_compiled_col2im_matches_pytorch(rng):
    # LeNet-5's second layer: its input gradient is col2im of W.T dy
    x = rng.standard_normal((8, 6, 14, 14)).astype(np.float32)
    w = rng.standard_normal((16, 6, 5, 5)).astype(np.float32)
    g = rng.standard_normal((8, 16, 10, 10)).astype(np.float32)
    grads = []
    for mode in ("compiled", "numpy"):
        with kernels(mode):
            xt = gn.tensor(x, requires_grad=True)
            F.conv2d(xt, gn.tensor(w)).backward(gn.tensor(g))
            grads.append(xt.grad.numpy())
    xt = torch.tensor(x, requires_grad=True)
    TF.conv2d(xt, torch.tensor(w)).backward(torch.tensor(g))
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(grads[0], xt.grad.numpy(), rtol=1e-4, atol=1e-4)


def _pool_both(x, g, return_indices=False):
    """(out, [indices], dx) of max_pool2d(x, 2) with the compiled and the NumPy kernels."""
    res = []
    for mode in ("compiled", "numpy"):
        with kernels(mode):
            xt = gn.tensor(x, requires_grad=True)
            out = F.max_pool2d(xt, 2, return_indices=return_indices)
            y = out[0] if return_indices else out
            y.backward(gn.tensor(g))
            res.append([y.detach().numpy()] + ([out[1].numpy()] if return_indices else [])
                       + [xt.grad.numpy()])
    return res


@needs_numba
@pytest.mark.parametrize("shape", [(3, 2, 8, 8), (2, 3, 9, 7), (64, 6, 28, 28)])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_max_pool_2x2_compiled_matches_numpy_and_pytorch(shape, dtype, rng):
    x = rng.standard_normal(shape).astype(dtype)
    x[0, 0, :2, :2] = 1.5  # a tie: the first pixel in scan order wins, as in PyTorch
    x[-1, -1, 2:4, :2] = [[0.0, 0.0], [0.0, 2.0]]
    g = rng.standard_normal((shape[0], shape[1], shape[2] // 2, shape[3] // 2)).astype(dtype)
    comp, ref = _pool_both(x, g, return_indices=True)
    for a, r in zip(comp, ref):
        np.testing.assert_array_equal(a, r)
    xt = torch.tensor(x, requires_grad=True)
    y, idx = TF.max_pool2d(xt, 2, return_indices=True)
    y.backward(torch.tensor(g))
    np.testing.assert_array_equal(comp[0], y.detach().numpy())
    np.testing.assert_array_equal(comp[1], idx.numpy())
    np.testing.assert_array_equal(comp[2], xt.grad.numpy())


@needs_numba
def test_max_pool_2x2_compiled_nan_and_strided_gradient(rng):
    # a NaN sends that part of the batch down the NumPy steps: NaN out, gradient to the last NaN
    x = rng.standard_normal((4, 2, 6, 6)).astype(np.float32)
    x[1, 0, 0, 1] = x[1, 0, 1, 0] = np.nan
    g = rng.standard_normal((4, 2, 3, 6)).astype(np.float32)[..., ::2]  # not contiguous
    comp, ref = _pool_both(x, g)
    xt = torch.tensor(x, requires_grad=True)
    TF.max_pool2d(xt, 2).backward(torch.tensor(g))
    for a, r in zip(comp, ref):
        np.testing.assert_array_equal(a, r)
    assert np.isnan(comp[0][1, 0, 0, 0])
    np.testing.assert_array_equal(comp[1], xt.grad.numpy())


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_relu_compiled_matches_numpy_and_pytorch(dtype, rng):
    x = rng.standard_normal((64, 6, 28, 28)).astype(dtype)  # 1.2 MiB+: parts on threads
    x[0, 0, 0, :4] = [np.nan, 0.0, -0.0, np.inf]
    g = rng.standard_normal(x.shape).astype(dtype)
    g[1, 0, 0, :2] = [np.nan, np.inf]
    res = []
    for mode in ("compiled", "numpy"):
        with kernels(mode):
            xt = gn.tensor(x, requires_grad=True)
            y = F.relu(xt)
            y.backward(gn.tensor(g))
            res.append((y.detach().numpy(), xt.grad.numpy()))
    np.testing.assert_array_equal(res[0][0], res[1][0])
    np.testing.assert_array_equal(res[0][1], res[1][1])
    xt = torch.tensor(x, requires_grad=True)
    TF.relu(xt).backward(torch.tensor(g))
    np.testing.assert_array_equal(res[0][0], TF.relu(torch.tensor(x)).numpy())
    finite = np.isfinite(g)  # PyTorch gives 0 at dead units for a NaN or inf dy, NumPy NaN
    np.testing.assert_array_equal(res[0][1][finite], xt.grad.numpy()[finite])


@needs_numba
def test_compiled_relu_and_max_pool_pass_a_float64_gradient_check(rng):
    x = rng.standard_normal((3, 2, 7, 6))  # odd height: the trailing row's gradient is 0
    with kernels("compiled"):
        gradcheck(lambda t: F.relu(t), [x])
        gradcheck(lambda t: F.max_pool2d(t, 2), [x])


@needs_numba
def test_a_kernel_called_before_anything_else_compiles(monkeypatch):
    # the first call imports numba itself (under the same lock as the compilation)
    monkeypatch.setitem(accel._state, "numba", None)

    def double(a, out):
        for i in range(a.shape[0]):
            out[i] = 2 * a[i]

    k = accel.kernel(double)
    a, out = np.arange(4.0), np.zeros(4)
    k(a, out)
    np.testing.assert_array_equal(out, 2 * a)


@needs_numba
def test_a_kernel_compiles_without_a_writable_cache(monkeypatch):
    import numba

    real = numba.njit

    def njit(*args, cache=False, **kw):
        if cache:  # what numba raises when no folder can hold its cache
            raise RuntimeError("cannot cache function: no locator available")
        return real(*args, **kw)

    monkeypatch.setattr(numba, "njit", njit)

    def negate(a, out):
        for i in range(a.shape[0]):
            out[i] = -a[i]

    k = accel.kernel(negate)
    a, out = np.arange(3.0), np.zeros(3)
    k(a, out)
    np.testing.assert_array_equal(out, -a)
