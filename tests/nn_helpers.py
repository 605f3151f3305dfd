"""Module-level parity helpers: run a glassnet layer and a PyTorch layer from the same state."""

from __future__ import annotations

import numpy as np
import torch
from helpers import assert_close, torch_dtype

import glassnet as gn


def copy_state(tmod, gmod):
    gmod.load_state_dict({k: v.detach().cpu().numpy() for k, v in tmod.state_dict().items()})


def module_parity(gmod, tmod, inputs, dtype=np.float32, rtol=None, atol=None, seed=0):
    """Same state, same inputs: compare outputs, input gradients and parameter gradients."""
    tmod = tmod.to(torch_dtype(dtype))
    gmod = gmod.to(dtype)
    copy_state(tmod, gmod)
    rtol = rtol or (1e-4 if dtype == np.float32 else 1e-7)
    atol = atol or (1e-5 if dtype == np.float32 else 1e-7)
    gi, ti = [], []
    for x in inputs:
        if x.dtype.kind == "f":
            gi.append(gn.tensor(x, dtype=dtype, requires_grad=True))
            ti.append(torch.tensor(x, dtype=torch_dtype(dtype), requires_grad=True))
        else:
            gi.append(gn.tensor(x))
            ti.append(torch.tensor(x))
    go, to = gmod(*gi), tmod(*ti)
    assert_close(go, to, rtol, atol, "output")
    u = np.random.default_rng(seed).standard_normal(tuple(to.shape))
    to.backward(torch.tensor(u, dtype=to.dtype))
    go.backward(gn.tensor(u, dtype=go.dtype))
    for k, (a, b) in enumerate(zip(gi, ti)):
        if b.grad is not None:
            assert_close(a.grad, b.grad, rtol, atol, f"input {k} gradient")
    tparams = dict(tmod.named_parameters())
    for name, p in gmod.named_parameters():
        assert_close(p.grad, tparams[name].grad, rtol, atol, f"{name} gradient")
    return go, to
