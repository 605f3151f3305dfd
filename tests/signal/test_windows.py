"""glassnet.signal.windows (glassnet/signal/windows.py) against torch.signal.windows: every
window, symmetric and periodic, lengths 0 to 9, both float dtypes and the windows' parameters."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn

WINDOWS = {"bartlett": {}, "blackman": {}, "cosine": {}, "hamming": {}, "hann": {},
           "nuttall": {}, "gaussian": {"std": 0.7}, "kaiser": {"beta": 4.5},
           "general_hamming": {"alpha": 0.6}, "general_cosine": {"a": [0.46, 0.23, 0.31]},
           "exponential": {"tau": 2.5}}


@pytest.mark.parametrize("name", sorted(WINDOWS))
@pytest.mark.parametrize("sym", [True, False])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_window_matches_torch(name, sym, dtype):
    for M in range(10):
        kw = dict(WINDOWS[name], sym=sym)
        g = getattr(gn.signal.windows, name)(M, dtype=getattr(gn, dtype), **kw)
        t = getattr(torch.signal.windows, name)(M, dtype=getattr(torch, dtype), **kw)
        assert str(g.dtype) == dtype and tuple(g.shape) == tuple(t.shape)
        np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-5, atol=1e-6)
    w = getattr(gn.signal.windows, name)(4, requires_grad=True, **WINDOWS[name])
    assert w.requires_grad


def test_window_errors_like_torch():
    with pytest.raises(ValueError, match="non-negative"):
        gn.signal.windows.hann(-1)
    with pytest.raises(ValueError, match="float32 or float64"):
        gn.signal.windows.hann(3, dtype=gn.int64)
    with pytest.raises(ValueError, match="Center"):
        gn.signal.windows.exponential(3, center=1.0)
    np.testing.assert_allclose(
        gn.signal.windows.exponential(5, center=1.0, sym=False).numpy(),
        torch.signal.windows.exponential(5, center=1.0, sym=False).numpy(), rtol=1e-6)
