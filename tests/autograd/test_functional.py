"""``glassnet.autograd.functional`` (glassnet/autograd/functional.py): a real submodule
loaded on first use, and jacobian, hessian, vjp, jvp, vhp and hvp against PyTorch."""

from __future__ import annotations

import importlib

import numpy as np
import torch
from helpers import assert_close

import glassnet as gn


def test_functional_is_a_real_submodule_loaded_on_first_use():
    mod = importlib.import_module("glassnet.autograd.functional")
    assert gn.autograd.functional is mod
    from glassnet.autograd import functional

    assert functional is mod and callable(mod.jacobian)
    x = gn.tensor([1.0, 2.0])
    np.testing.assert_allclose(gn.autograd.functional.jacobian(lambda a: a * a, x).numpy(),
                               np.diag([2.0, 4.0]))


# ----------------------------------------------------------------------------- autograd.functional
def _functional(T):
    import importlib
    AF = importlib.import_module(T.__name__ + ".autograd.functional")
    r = np.random.default_rng(8)
    x = T.tensor(r.standard_normal(3).astype(np.float32))
    y = T.tensor(r.standard_normal(2).astype(np.float32))
    v = T.tensor(r.standard_normal(3).astype(np.float32))

    def f(a):
        return (a.sin() * a).sum() + a.prod()

    def g(a, b):
        return (a[:2] * b).tanh(), (a ** 2).sum() * b

    out = [AF.hessian(f, x), AF.jacobian(lambda a: a.exp() * a.sum(), x)]
    out += list(AF.hvp(f, x, v)) + list(AF.vhp(f, x, v))
    out += [AF.jvp(lambda a: a.sin() * a[0], x, v)[1], AF.vjp(lambda a: a.cos(), x, v)[1]]
    jac = AF.jacobian(g, (x, y))
    out += [j for row in jac for j in row]
    hes = AF.hessian(lambda a, b: (a[:2] * b * b).sum(), (x, y))
    out += [h for row in hes for h in row]
    return out


def test_autograd_functional_matches_torch():
    for a, b in zip(_functional(gn), _functional(torch)):
        assert_close(a, b, 2e-4, 2e-5)
