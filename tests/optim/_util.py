"""Shared helpers for the optimiser tests: the same parameters, gradients and steps in glassnet and
PyTorch."""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn
import glassnet.optim as goptim

SHAPES = [(3, 4), (5,), (2, 3, 2), (1,)]


def init_arrays(dtype=np.float64, seed=0, shapes=SHAPES):
    rng = np.random.default_rng(seed)
    return [rng.standard_normal(s).astype(dtype) for s in shapes]


def grad_fn(arrays, t, seed=1):
    """A deterministic gradient of the current parameters at step ``t``.

    The gradient of a Rosenbrock-flavoured loss (quadratic + coupling + sine) plus a fixed
    sequence of noise: nonlinear in the parameters, so trajectories that drift apart show it.
    """
    out = []
    for i, a in enumerate(arrays):
        rng = np.random.default_rng(seed * 1000 + 31 * t + i)
        c = np.linspace(0.5, 2.0, a.size, dtype=np.float64).reshape(a.shape)
        a64 = a.astype(np.float64)
        g = c * a64 + 0.5 * np.sin(3.0 * a64) + 0.3 * rng.standard_normal(a.shape)
        flat = a64.reshape(-1)
        g = g + 0.1 * np.roll(flat, 1).reshape(a.shape) ** 2
        out.append(g.astype(a.dtype))
    return out


def make_pair(arrays):
    gp = [gn.tensor(a.copy(), requires_grad=True) for a in arrays]
    tp = [torch.tensor(a.copy(), requires_grad=True) for a in arrays]
    return gp, tp


def groups_of(params, groups):
    """Split ``params`` into option groups: ``groups`` is a list of (indices, options)."""
    if groups is None:
        return params
    return [dict(opts, params=[params[i] for i in idx]) for idx, opts in groups]


def set_grads(gp, tp, t, skip=(), signs=None):
    """Give both sides the gradient of their own current parameters; parameters in ``skip``
    get no gradient this step (PyTorch skips them, leaving their state untouched). ``signs[i]``
    = -1 flips parameter i's loss (for ``maximize=True``, so ascent stays bounded)."""
    g_gn = grad_fn([p._data for p in gp], t)
    g_t = grad_fn([p.detach().numpy() for p in tp], t)
    if signs is not None:
        g_gn = [s * g for s, g in zip(signs, g_gn)]
        g_t = [s * g for s, g in zip(signs, g_t)]
    for i, (a, b, ga, gb) in enumerate(zip(gp, tp, g_gn, g_t)):
        if i in skip:
            a.grad = None
            b.grad = None
        else:
            a.grad = gn.tensor(ga)
            b.grad = torch.tensor(gb)


def torch_cls(name):
    return getattr(torch.optim, name)


def gn_cls(name):
    return getattr(goptim, name)


def torch_kwargs(name, kwargs):
    kw = dict(kwargs)
    kw["foreach"] = False  # PyTorch's single-tensor path, the one glassnet mirrors
    return kw


def run_pair(name, kwargs, steps=50, dtype=np.float64, groups=None, closure=False):
    """Run glassnet's and PyTorch's optimiser side by side; returns both parameter lists."""
    arrays = init_arrays(dtype)
    gp, tp = make_pair(arrays)
    gopt = gn_cls(name)(groups_of(gp, groups), **kwargs)
    topt = torch_cls(name)(groups_of(tp, groups), **torch_kwargs(name, kwargs))
    signs = [1.0] * len(gp)
    for idx, opts in groups or [(range(len(gp)), {})]:
        for i in idx:
            if opts.get("maximize", kwargs.get("maximize", False)):
                signs[i] = -1.0
    for t in range(steps):
        skip = (1,) if t % 3 == 2 else ()
        set_grads(gp, tp, t, skip, signs)
        gopt.step()
        topt.step()
    return gp, tp, gopt, topt


def _ids(case):
    name, kw = case
    return name + "-" + ",".join(f"{k}={v}" for k, v in kw.items())


def _assert_params_close(gp, tp, rtol, atol):
    for i, (a, b) in enumerate(zip(gp, tp)):
        np.testing.assert_allclose(a._data, b.detach().numpy(), rtol=rtol, atol=atol,
                                   err_msg=f"parameter {i}")


def _assert_state_close(gopt, topt, rtol, atol):
    gsd, tsd = gopt.state_dict(), topt.state_dict()
    assert sorted(gsd["state"]) == sorted(tsd["state"])
    for k, tst in tsd["state"].items():
        gst = gsd["state"][k]
        assert set(gst) == set(tst), (k, set(gst), set(tst))
        for key, tv in tst.items():
            gv = gst[key]
            if key == "step":
                assert gv == tv.item()
            else:
                np.testing.assert_allclose(gv._data, tv.numpy(), rtol=rtol, atol=atol,
                                           err_msg=f"state {k}.{key}")
    for gg, tg in zip(gsd["param_groups"], tsd["param_groups"]):
        assert gg["params"] == tg["params"]
        for key, v in tg.items():
            if key in ("foreach",):
                continue
            assert key in gg, key
            assert gg[key] == v, (key, gg[key], v)
