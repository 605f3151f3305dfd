"""SparseAdam (glassnet/optim/sparse_adam.py) against torch.optim.SparseAdam on the rows an
embedding lookup touched."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.optim as goptim


def _sparse_adam_pair(dtype, kw, steps=30):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 3)).astype(dtype)
    gw = gn.tensor(w0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    gopt, topt = goptim.SparseAdam([gw], **kw), torch.optim.SparseAdam([tw], **kw)
    for t in range(steps):
        g = (rng.standard_normal((6, 3)) + w0).astype(dtype)
        g[rng.random(6) < 0.5] = 0           # the rows an embedding lookup did not touch
        g[0, 1] = 0                          # and a lone zero inside a touched row
        if t == 3:
            g[:] = 0                         # an empty gradient: a step with no update
        gw.grad = gn.tensor(g)
        tw.grad = torch.tensor(g).to_sparse()
        gopt.step()
        topt.step()
    return gw, tw, gopt, topt


@pytest.mark.parametrize("kw", [{}, {"lr": 0.05, "betas": (0.5, 0.9), "maximize": True},
                                {"lr": 0.1, "eps": 1e-3}])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_adam_matches_torch_on_nonzero_entries(kw, dtype):
    gw, tw, gopt, topt = _sparse_adam_pair(dtype, kw)
    tol = {"rtol": 1e-6, "atol": 1e-9} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-6}
    np.testing.assert_allclose(gw._data, tw.detach().numpy(), **tol)
    gst, tst = gopt.state[gw], topt.state[tw]
    assert gst["step"] == tst["step"] == 30
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(gst[key]._data, tst[key].numpy(), **tol)
