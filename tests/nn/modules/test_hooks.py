"""Module hooks: forward pre-hooks and forward hooks with their removable handles, and full
backward hooks against PyTorch."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.nn as nn


def test_forward_hooks_and_handles():
    m = nn.Linear(2, 3)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", args[0].shape)))
    h2 = m.register_forward_hook(lambda mod, args, out: calls.append(("post", out.shape)))
    m(gn.randn(4, 2))
    assert calls == [("pre", (4, 2)), ("post", (4, 3))]
    h1.remove()
    h2.remove()
    m(gn.randn(1, 2))
    assert len(calls) == 2
    # hooks that replace the input / output
    m.register_forward_pre_hook(lambda mod, args: (args[0] * 0,))
    with m.register_forward_hook(lambda mod, args, out: out + 1):
        out = m(gn.randn(2, 2))
    expect = (m.bias + 1).detach().numpy()[None].repeat(2, 0)
    np.testing.assert_allclose(out.detach().numpy(), expect)
    # with_kwargs
    seen = {}
    m2 = nn.Linear(2, 2)
    m2.register_forward_hook(lambda mod, a, kw, out: seen.update(kw), with_kwargs=True)
    m2(input=gn.randn(1, 2))
    assert "input" in seen


def test_backward_hook_sees_grad_output_and_grad_input():
    m = nn.Linear(3, 2)
    got = {}

    def hook(mod, gin, gout):
        got["gin"], got["gout"] = gin, gout

    m.register_full_backward_hook(hook)
    x = gn.randn(4, 3, requires_grad=True)
    m(x).sum().backward()
    np.testing.assert_allclose(got["gout"][0].numpy(), np.ones((4, 2)))
    np.testing.assert_allclose(got["gin"][0].numpy(), x.grad.numpy(), rtol=1e-6)
    tm = tnn.Linear(3, 2)
    tm.load_state_dict({k: torch.from_numpy(v.numpy()) for k, v in m.state_dict().items()})
    tgot = {}
    tm.register_full_backward_hook(lambda mod, gi, go: tgot.update(gin=gi))
    xt = torch.from_numpy(x.detach().numpy()).requires_grad_()
    tm(xt).sum().backward()
    np.testing.assert_allclose(got["gin"][0].numpy(), tgot["gin"][0].numpy(), rtol=1e-5)
