"""Normal (glassnet/distributions/normal.py): the reparameterised gradient of rsample, and
sample without one."""

from __future__ import annotations

import numpy as np

import glassnet as gn


def test_rsample_reparameterises():
    gn.manual_seed(0)
    loc = gn.tensor([1.0, -2.0], requires_grad=True)
    scale = gn.tensor([0.5, 2.0], requires_grad=True)
    x = gn.distributions.Normal(loc, scale).rsample((1000,))
    x.mean().backward()
    np.testing.assert_allclose(loc.grad.numpy(), [0.5, 0.5], rtol=1e-4)
    eps = (x.detach() - loc.detach()) / scale.detach()
    np.testing.assert_allclose(scale.grad.numpy(), eps.mean(0).numpy() / 2, rtol=1e-4)
    s = gn.distributions.Normal(loc, scale).sample((3,))
    assert not s.requires_grad
