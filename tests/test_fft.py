"""glassnet.fft (glassnet/fft.py over glassnet/ops/fft.py) against torch.fft: values, dtypes,
shapes and gradients of every transform over n/s, dim and norm, real and complex inputs; complex
finite-difference gradchecks of the three primitive ops, second derivatives, the frequency and
shift helpers, and the errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck, gradgradcheck

NORMS = [None, "forward", "ortho"]
REAL_ONLY = {"rfft", "ihfft", "rfft2", "ihfft2", "rfftn", "ihfftn"}


def _np(t):
    t = t.detach()
    return t.resolve_conj().numpy() if isinstance(t, torch.Tensor) else t.numpy()


def signal(rng, shape, complex_, dtype=np.float64):
    x = rng.standard_normal(shape)
    if complex_:
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(np.result_type(dtype, x.dtype))


def check(name, kwargs, x, rtol=1e-9, atol=1e-9, seed=1):
    """The transform's output and the gradient of a random upstream gradient, against torch."""
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yg, yt = getattr(gn.fft, name)(xg, **kwargs), getattr(torch.fft, name)(xt, **kwargs)
    assert tuple(yg.shape) == tuple(yt.shape)
    assert yg.dtype.name == str(yt.dtype).split(".")[-1]
    np.testing.assert_allclose(_np(yg), _np(yt), rtol=rtol, atol=atol)
    rng = np.random.default_rng(seed)
    u = signal(rng, tuple(yt.shape), yt.is_complex(), _np(yt).real.dtype)
    yg.backward(gn.tensor(u))
    yt.backward(torch.tensor(u))
    assert xg.grad.dtype == xg.dtype
    np.testing.assert_allclose(_np(xg.grad), _np(xt.grad), rtol=rtol, atol=atol)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("n", [None, 3, 5, 6, 9])
@pytest.mark.parametrize("name", ["fft", "ifft", "rfft", "irfft", "hfft", "ihfft"])
def test_1d_transforms_match_pytorch(name, n, norm):
    rng = np.random.default_rng(0)
    for complex_ in ([False] if name in REAL_ONLY else [False, True]):
        check(name, {"n": n, "norm": norm}, signal(rng, (2, 8), complex_))
        check(name, {"n": n, "norm": norm, "dim": 0}, signal(rng, (7, 3), complex_))


SD = [(None, None), ((4, 5), None), ((3, 6), (0, 2)), (None, (1,)), ((-1, 4), (2, 0)),
      ((5,), None), (None, (0, 1, 2))]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("s,dim", SD, ids=str)
@pytest.mark.parametrize("name", ["fftn", "ifftn", "rfftn", "irfftn", "hfftn", "ihfftn",
                                  "fft2", "ifft2", "rfft2", "irfft2", "hfft2", "ihfft2"])
def test_nd_transforms_match_pytorch(name, s, dim, norm):
    if name.endswith("2") and ((dim is not None and len(dim) != 2)
                               or (s is not None and len(s) != 2)):
        pytest.skip("2-D transforms take two dims")
    kwargs = {"norm": norm}
    if s is not None:
        kwargs["s"] = s
    if dim is not None:
        kwargs["dim"] = dim
    rng = np.random.default_rng(1)
    for complex_ in ([False] if name in REAL_ONLY else [False, True]):
        check(name, kwargs, signal(rng, (4, 6, 5), complex_))


@pytest.mark.parametrize("name", ["fft", "rfft", "irfft", "fft2", "irfftn"])
def test_single_precision(name):
    rng = np.random.default_rng(2)
    x = signal(rng, (4, 6), name != "rfft", np.float32)
    check(name, {}, x, rtol=1e-4, atol=1e-4)


def test_integer_input_is_promoted():
    x = np.arange(6)
    y = gn.fft.fft(gn.tensor(x))
    assert y.dtype == gn.complex64
    np.testing.assert_allclose(y.numpy(), torch.fft.fft(torch.tensor(x)).numpy(), atol=1e-5)
    assert gn.fft.rfft(gn.tensor(x)).dtype == gn.complex64


# ----------------------------------------------------------------------------- finite differences
@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize("name,kw,complex_", [
    ("fft", {"n": 5}, True), ("ifft", {"n": 3}, True), ("fft2", {"s": (3, 2)}, True),
    ("rfft", {"n": 6}, False), ("rfft", {"n": 3}, False), ("irfft", {"n": 5}, True),
    ("irfft", {"n": 8}, True), ("hfft", {}, True), ("ihfft", {}, False),
    ("rfftn", {}, False), ("irfftn", {"s": (3, 5)}, True), ("fft", {}, False)])
def test_gradcheck(name, kw, complex_, norm):
    rng = np.random.default_rng(3)
    x = gn.tensor(signal(rng, (3, 4), complex_), requires_grad=True)
    assert gradcheck(lambda t: getattr(gn.fft, name)(t, norm=norm, **kw), (x,))


@pytest.mark.parametrize("name,kw,complex_", [
    ("fft", {"n": 5}, True), ("rfft", {"n": 3}, False), ("irfft", {"n": 5}, True),
    ("ifftn", {"s": (2, 5)}, True)])
def test_second_derivatives(name, kw, complex_):
    rng = np.random.default_rng(4)
    x = gn.tensor(signal(rng, (2, 4), complex_), requires_grad=True)
    assert gradgradcheck(lambda t: getattr(gn.fft, name)(t, norm="ortho", **kw) * t.sum(), (x,))


def test_parseval_ortho_is_unitary():
    gn.manual_seed(0)
    x = gn.randn(16, dtype=gn.cdouble, requires_grad=True)
    X = gn.fft.fft(x, norm="ortho")
    np.testing.assert_allclose((X.abs() ** 2).sum().item(), (x.abs() ** 2).sum().item(),
                               rtol=1e-12)
    assert gn.fft.ifft(X, norm="ortho").detach().numpy() == pytest.approx(x.detach().numpy())


# ----------------------------------------------------------------------------- helpers
@pytest.mark.parametrize("n,d", [(1, 1.0), (8, 1.0), (9, 0.1)])
def test_frequencies(n, d):
    for name in ("fftfreq", "rfftfreq"):
        g, t = getattr(gn.fft, name)(n, d), getattr(torch.fft, name)(n, d)
        assert g.dtype == gn.float32
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-6)
    assert gn.fft.fftfreq(4, dtype=gn.float64).dtype == gn.float64


@pytest.mark.parametrize("dim", [None, 0, (1,), (-1, 0)])
def test_shifts_match_pytorch_and_invert(dim):
    x = np.arange(35.0).reshape(5, 7)
    for name in ("fftshift", "ifftshift"):
        g = getattr(gn.fft, name)(gn.tensor(x), dim=dim)
        np.testing.assert_array_equal(g.numpy(),
                                      getattr(torch.fft, name)(torch.tensor(x), dim=dim).numpy())
    back = gn.fft.ifftshift(gn.fft.fftshift(gn.tensor(x), dim), dim)
    np.testing.assert_array_equal(back.numpy(), x)


def test_shift_gradient():
    x = gn.tensor(np.arange(5.0), requires_grad=True)
    (gn.fft.fftshift(x) * gn.arange(5.0)).sum().backward()
    assert x.grad.tolist() == gn.fft.ifftshift(gn.arange(5.0)).tolist()


# ----------------------------------------------------------------------------- errors
def test_errors():
    x = gn.randn(4)
    with pytest.raises(ValueError, match="normalization"):
        gn.fft.fft(x, norm="bogus")
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        gn.fft.fft(x, n=0)
    with pytest.raises(RuntimeError, match="real input"):
        gn.fft.rfft(gn.fft.fft(x))
    with pytest.raises(IndexError, match="out of range"):
        gn.fft.fft(x, dim=1)
    with pytest.raises(RuntimeError, match="same length"):
        gn.fft.fftn(gn.randn(2, 3), s=(2,), dim=(0, 1))
    with pytest.raises(RuntimeError, match="Invalid number of data points"):
        gn.fft.irfft(gn.randn(1, dtype=gn.cfloat))
    with pytest.raises(TypeError, match="Tensor"):
        gn.fft.fft([1.0, 2.0])
