"""stft and istft (glassnet/spectral.py) against torch.stft / torch.istft: values and gradients
over windows, hops, padding modes, normalisation, one- and two-sided spectra, real and complex
signals; the round trip; and the errors."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet.autograd import gradcheck

CONFIGS = [(8, None, None, None), (16, 4, 12, "hann"), (9, 3, 9, "hann"), (8, 2, 5, "hamming")]


def _window(name, length):
    if name is None:
        return None, None
    wt = getattr(torch, f"{name}_window")(length, dtype=torch.float64)
    return gn.tensor(wt.numpy()), wt


def _compare(fg, ft, x, seed):
    rng = np.random.default_rng(seed)
    xg, xt = gn.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yg, yt = fg(xg), ft(xt)
    assert tuple(yg.shape) == tuple(yt.shape) and yg.dtype.name == str(yt.dtype).split(".")[-1]
    np.testing.assert_allclose(yg.detach().numpy(), yt.detach().numpy(), rtol=1e-9, atol=1e-9)
    u = rng.standard_normal(tuple(yt.shape))
    if yt.is_complex():
        u = u + 1j * rng.standard_normal(tuple(yt.shape))
    yg.backward(gn.tensor(u))
    yt.backward(torch.tensor(u))
    np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("complex_", [False, True])
@pytest.mark.parametrize("pad_mode", ["reflect", "constant", "replicate", "circular"])
@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("config", CONFIGS, ids=str)
def test_stft_and_istft_match_pytorch(config, center, pad_mode, complex_):
    n_fft, hop, wl, win = config
    wg, wt = _window(win, wl or n_fft)
    rng = np.random.default_rng(0)
    for shape, normalized, onesided in (((40,), False, None), ((2, 37), True, False)):
        if complex_ and onesided is None:
            onesided = False
        x = rng.standard_normal(shape)
        if complex_:
            x = x + 1j * rng.standard_normal(shape)
        kw = {"n_fft": n_fft, "hop_length": hop, "win_length": wl, "center": center,
              "pad_mode": pad_mode, "normalized": normalized, "onesided": onesided,
              "return_complex": True}
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch's rectangular-window advice
            _compare(lambda t, kw=kw: gn.stft(t, window=wg, **kw),
                     lambda t, kw=kw: torch.stft(t, window=wt, **kw), x, 1)
            spec = torch.stft(torch.tensor(x), window=wt, **kw).numpy()
        kw.pop("pad_mode")
        kw["return_complex"] = complex_
        for length in (None, shape[-1]):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    torch.istft(torch.tensor(spec), window=wt, length=length, **kw)
                except RuntimeError:  # torch refuses (window overlap-add vanishes)
                    continue
                _compare(lambda s, n=length, kw=kw: gn.istft(s, window=wg, length=n, **kw),
                         lambda s, n=length, kw=kw: torch.istft(s, window=wt, length=n, **kw),
                         spec, 2)


def test_round_trip_recovers_the_signal():
    gn.manual_seed(0)
    x = gn.randn(3, 100, dtype=gn.float64)
    w = gn.tensor(torch.hann_window(32, dtype=torch.float64).numpy())
    s = gn.stft(x, 32, hop_length=8, window=w, return_complex=True)
    y = gn.istft(s, 32, hop_length=8, window=w, length=100)
    np.testing.assert_allclose(y.numpy(), x.numpy(), atol=1e-12)


def test_gradcheck():
    rng = np.random.default_rng(3)
    x = gn.tensor(rng.standard_normal(20), requires_grad=True)
    w = gn.tensor(torch.hann_window(8, dtype=torch.float64).numpy(), requires_grad=True)
    assert gradcheck(lambda t, win: gn.stft(t, 8, hop_length=3, window=win,
                                            return_complex=True), (x, w))
    s = gn.tensor(gn.stft(x.detach(), 8, hop_length=2, window=w.detach(),
                          return_complex=True).numpy(), requires_grad=True)
    assert gradcheck(lambda t: gn.istft(t, 8, hop_length=2, window=w.detach()), (s,))


def test_errors():
    x = gn.randn(32)
    with pytest.raises(RuntimeError, match="return_complex"):
        gn.stft(x, 8)
    with pytest.raises(RuntimeError, match="win_length"):
        gn.stft(x, 8, win_length=9, return_complex=True)
    with pytest.raises(RuntimeError, match="window"):
        gn.stft(x, 8, window=gn.ones(5), return_complex=True)
    with pytest.raises(RuntimeError, match="complex-valued"):
        gn.istft(gn.randn(5, 4), 8)
    with pytest.raises(RuntimeError, match="n_fft / 2 \\+ 1"):
        gn.istft(gn.randn(4, 4, dtype=gn.cfloat), 8, onesided=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch: return_complex=False is deprecated
        want = torch.stft(torch.randn(32), 8, window=torch.ones(8), return_complex=False).shape
    assert gn.stft(x, 8, return_complex=False).shape == want == (5, 17, 2)
