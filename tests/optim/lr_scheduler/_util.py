"""Shared helpers for the learning-rate scheduler tests: the same two-group optimiser in
glassnet and PyTorch, and the sequence of rates and momenta a scheduler produces."""

from __future__ import annotations

import numpy as np
import torch

import glassnet as gn
import glassnet.optim as goptim

STEPS = 100


def _opts(kind):
    """The same two-group optimiser in both libraries."""
    w = [np.ones((2, 2)), np.ones(3)]
    gp = [gn.tensor(a, requires_grad=True) for a in w]
    tp = [torch.tensor(a, requires_grad=True) for a in w]
    if kind == "sgd":
        g = goptim.SGD([{"params": [gp[0]]}, {"params": [gp[1]], "lr": 0.3}], lr=0.1, momentum=0.9)
        t = torch.optim.SGD([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.3}], lr=0.1,
                            momentum=0.9)
    else:
        g = goptim.Adam([{"params": [gp[0]]}, {"params": [gp[1]], "lr": 0.003}], lr=0.01)
        t = torch.optim.Adam([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.003}], lr=0.01)
    return g, t


def _record(opt, sched, steps, metrics=None):
    """Step optimiser then scheduler; record rates and momenta after each step."""
    out = [(list(sched.get_last_lr()), _momenta(opt))]
    for i in range(steps):
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[i])
        out.append((list(sched.get_last_lr()), _momenta(opt)))
    return out


def _momenta(opt):
    return [g.get("momentum", g.get("betas", (None,))[0]) for g in opt.param_groups]


def _assert_seq_equal(a, b):
    assert len(a) == len(b)
    for i, ((la, ma), (lb, mb)) in enumerate(zip(a, b)):
        np.testing.assert_allclose(la, lb, rtol=1e-13, atol=1e-16, err_msg=f"lr at step {i}")
        np.testing.assert_allclose(np.array(ma, dtype=float), np.array(mb, dtype=float),
                                   rtol=1e-13, err_msg=f"momentum at step {i}")


def _ids(c):
    return c[0] + "-" + ",".join(f"{k}={getattr(v, '__name__', v)}" for k, v in c[1].items())
