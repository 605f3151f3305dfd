"""Shared checks for the zoo's torchvision-shaped models (VGG, AlexNet, MobileNetV2, SqueezeNet):
same modules, names, shapes and parameter counts as a torch.nn twin written in torchvision's
structure, the same outputs and gradients once the weights are copied, and safetensors files
that load both ways with ``strict=True``."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn as tnn

import glassnet as gn
from glassnet import backend

BIG = 5_000_000  # elements; the largest convolution weight here has 2,359,296


class _SkipBigDraws:
    """Stands in for the random generator while a big model is built: a draw of more than
    ``BIG`` numbers (the 25088 x 4096 linear layers) gives 0, a scalar that the initialisers
    broadcast, so no time goes into 100 million numbers; smaller draws are real."""

    def __init__(self, real, big):
        self.real, self.big = real, big

    def _draw(self, method, size, *args):
        if size is not None and int(np.prod(size)) > self.big:
            return np.float32(0)
        return getattr(self.real, method)(*args, size=size)

    def uniform(self, low=0.0, high=1.0, size=None):
        return self._draw("uniform", size, low, high)

    def standard_normal(self, size=None):
        return self._draw("standard_normal", size)

    def normal(self, loc=0.0, scale=1.0, size=None):
        return self._draw("normal", size, loc, scale)


def build_without_big_draws(monkeypatch, factory, big=BIG, **kw):
    """``factory(**kw)`` with the initial values of layers over ``big`` numbers 0 (see above;
    ``big=0`` when only the structure matters)."""
    real = backend.rng
    with monkeypatch.context() as m:
        m.setattr(backend, "rng", lambda generator=None: _SkipBigDraws(real(generator), big))
        return factory(**kw)


def body(module):
    """The module's printout without its own class name: every child, name and setting."""
    return str(module).split("\n", 1)[1]


def assert_same_layout(theirs, ours, count=None):
    """Same state_dict keys in the same order, same shapes and dtypes, same modules (names,
    classes and settings), and ``count`` parameters if given."""
    t_sd, g_sd = theirs.state_dict(), ours.state_dict()
    assert list(g_sd) == list(t_sd)
    for k, v in t_sd.items():
        assert tuple(g_sd[k].shape) == tuple(v.shape), k
        assert str(g_sd[k].dtype).split(".")[-1] == str(v.dtype).split(".")[-1], k
    assert [n for n, _ in ours.named_modules()] == [n for n, _ in theirs.named_modules()]
    assert [type(m).__name__ for _, m in list(ours.named_modules())[1:]] == \
        [type(m).__name__ for _, m in list(theirs.named_modules())[1:]]
    assert body(ours) == body(theirs)
    if count is not None:
        assert sum(p.numel() for p in ours.parameters()) == count
        assert sum(p.numel() for p in theirs.parameters()) == count


def copy_weights(theirs, ours):
    """Give the torch model's batch norms made-up statistics, then load all of its state into
    ours with ``strict=True``."""
    with torch.no_grad():
        for m in theirs.modules():
            if isinstance(m, tnn.BatchNorm2d):
                m.running_mean.uniform_(-0.1, 0.1)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.1, 0.1)
    ours.load_state_dict(gn.io.from_torch_state_dict(theirs.state_dict()), strict=True)
    return theirs, ours


def assert_same_outputs(theirs, ours, x, rtol=1e-4, atol=1e-5, grads=()):
    """Same outputs in eval mode; with ``grads`` (parameter names), the same input gradient and
    the same gradients of those parameters for a random weighting of the outputs."""
    theirs.eval()
    ours.eval()
    tx = torch.tensor(x, requires_grad=True)
    gx = gn.tensor(x, requires_grad=True)
    ty, gy = theirs(tx), ours(gx)
    scale = float(ty.detach().abs().max())
    np.testing.assert_allclose(gy.detach().numpy(), ty.detach().numpy(), rtol=rtol,
                               atol=atol * max(scale, 1.0))
    if not grads:
        return
    w = np.random.default_rng(1).standard_normal(tuple(ty.shape)).astype(x.dtype)
    (ty * torch.tensor(w)).sum().backward()
    (gy * gn.tensor(w)).sum().backward()
    t_grad = tx.grad.numpy()
    np.testing.assert_allclose(gx.grad.numpy(), t_grad, rtol=rtol,
                               atol=atol * max(float(np.abs(t_grad).max()), 1e-30))
    t_params, g_params = dict(theirs.named_parameters()), dict(ours.named_parameters())
    for name in grads:
        t = t_params[name].grad.numpy()
        np.testing.assert_allclose(g_params[name].grad.numpy(), t, rtol=rtol,
                                   atol=atol * max(float(np.abs(t).max()), 1e-30), err_msg=name)


def assert_safetensors_round_trip(theirs, ours, tmp_path, x):
    """A torch state_dict saved with safetensors loads into ours with ``strict=True`` and gives
    the same outputs; ours saved by ``glassnet.io.save`` loads back into the torch model."""
    from safetensors.torch import load_file, save_file

    theirs.eval()
    ours.eval()
    path = tmp_path / "theirs.safetensors"
    save_file({k: v.contiguous() for k, v in theirs.state_dict().items()}, str(path))
    ours.load_state_dict(gn.io.load(str(path)), strict=True)
    with gn.no_grad(), torch.no_grad():
        expected = theirs(torch.tensor(x)).numpy()
        np.testing.assert_allclose(ours(gn.tensor(x)).numpy(), expected, rtol=1e-4, atol=1e-5)
    back = tmp_path / "ours.safetensors"
    gn.io.save(ours.state_dict(), str(back))
    theirs.load_state_dict(load_file(str(back)), strict=True)
    with torch.no_grad():
        np.testing.assert_allclose(theirs(torch.tensor(x)).numpy(), expected, rtol=0, atol=0)
