"""LBFGS: the same iterates as torch.optim.LBFGS on a quadratic and on Rosenbrock."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.optim as goptim

X0 = np.array([-1.5, 2.0, 0.5, -0.7])
_B = np.random.default_rng(0).standard_normal((4, 4))
A = _B @ _B.T + np.eye(4)


def rosenbrock(x, a):
    return ((1 - x[:-1]) ** 2).sum() + (100 * (x[1:] - x[:-1] ** 2) ** 2).sum()


def quadratic(x, a):
    return 0.5 * (x * (a @ x)).sum() - x.sum()


LOSSES = {"rosenbrock": rosenbrock, "quadratic": quadratic}


class Side:
    """One library's parameters, optimiser and closure (counting its calls)."""

    def __init__(self, lib, x0, kw, loss, split):
        make = (lambda a: gn.tensor(a.copy(), requires_grad=True)) if lib is gn else \
            (lambda a: torch.tensor(a.copy(), requires_grad=True))
        # split: two parameters, whose flat vector is their concatenation
        self.params = [make(x0[:1]), make(x0[1:])] if split else [make(x0)]
        self.lib, self.loss, self.calls = lib, LOSSES[loss], 0
        self.a = lib.tensor(A.astype(x0.dtype))
        self.opt = (goptim if lib is gn else torch.optim).LBFGS(self.params, **kw)

    def vector(self):
        return self.lib.cat(self.params) if len(self.params) > 1 else self.params[0]

    def closure(self):
        self.opt.zero_grad()
        value = self.loss(self.vector(), self.a)
        value.backward()
        self.calls += 1
        return value

    def step(self):
        return float(self.opt.step(self.closure).detach().numpy())

    def numpy(self):
        return np.concatenate([np.asarray(p.detach().numpy() if hasattr(p, "detach") else p.data)
                               .reshape(-1) for p in self.params])


def run_pair(kw, loss, steps, dtype=np.float64, split=False):
    x0 = X0.astype(dtype)
    g, t = Side(gn, x0, kw, loss, split), Side(torch, x0, kw, loss, split)
    losses = [(g.step(), t.step()) for _ in range(steps)]
    return g, t, losses


OPTIONS = [
    {},
    {"line_search_fn": "strong_wolfe"},
    {"lr": 0.1, "history_size": 3, "max_iter": 5},
    {"history_size": 2, "max_iter": 7, "line_search_fn": "strong_wolfe"},
    {"lr": 0.5, "max_iter": 4, "max_eval": 6, "tolerance_change": 1e-5},
]


@pytest.mark.parametrize("loss", ["rosenbrock", "quadratic"])
@pytest.mark.parametrize("kw", OPTIONS, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items())
                         or "defaults")
def test_trajectory_matches_torch_float64(kw, loss):
    g, t, losses = run_pair(kw, loss, steps=6, split=loss == "quadratic")
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-7, atol=1e-10)
    gl, tl = zip(*losses)
    np.testing.assert_allclose(gl, tl, rtol=1e-7, atol=1e-10)
    assert g.calls == t.calls
    gs, ts = g.opt.state[g.params[0]], t.opt.state[t.params[0]]
    assert gs["func_evals"] == ts["func_evals"] and gs["n_iter"] == ts["n_iter"]
    assert len(gs["old_dirs"]) == len(ts["old_dirs"])
    np.testing.assert_allclose(gs["d"]._data, ts["d"].numpy(), rtol=1e-6, atol=1e-9)


def test_rosenbrock_float32_first_step_and_minimum():
    g, t, _losses = run_pair({"line_search_fn": "strong_wolfe"}, "rosenbrock", steps=1,
                            dtype=np.float32)
    np.testing.assert_allclose(g.numpy(), t.numpy(), rtol=1e-4, atol=1e-5)
    assert g.numpy().dtype == np.float32
    # 2-D Rosenbrock: both reach the global minimum (1, 1)
    x = gn.tensor(np.array([-1.2, 1.0], dtype=np.float32), requires_grad=True)
    opt = goptim.LBFGS([x], line_search_fn="strong_wolfe", max_iter=100)

    def closure():
        opt.zero_grad()
        value = rosenbrock(x, None)
        value.backward()
        return value
    opt.step(closure)
    np.testing.assert_allclose(x._data, [1.0, 1.0], atol=1e-3)


def test_state_dict_round_trip_continues_identically():
    kw = {"history_size": 3, "max_iter": 4}
    g, _, _ = run_pair(kw, "rosenbrock", steps=2)
    saved = copy.deepcopy(g.opt.state_dict())
    other = Side(gn, g.numpy(), kw, "rosenbrock", split=False)
    other.opt.load_state_dict(saved)
    for _ in range(3):
        g.step()
        other.step()
    np.testing.assert_array_equal(g.numpy(), other.numpy())


def test_loads_torch_state():
    kw = {"history_size": 4, "max_iter": 3}
    _g, t, _ = run_pair(kw, "quadratic", steps=2)
    fresh = Side(gn, t.numpy(), kw, "quadratic", split=False)
    fresh.opt.load_state_dict(t.opt.state_dict())
    for _ in range(2):
        fresh.step()
        t.step()
    np.testing.assert_allclose(fresh.numpy(), t.numpy(), rtol=1e-7, atol=1e-10)


def test_stops_at_once_when_the_gradient_is_zero_and_errors():
    x = gn.tensor(np.ones(2), requires_grad=True)
    opt = goptim.LBFGS([x])

    def closure():
        opt.zero_grad()
        value = ((x - 1) ** 2).sum()
        value.backward()
        return value
    assert float(opt.step(closure)) == 0.0
    assert opt.state[x]["func_evals"] == 1 and opt.state[x]["n_iter"] == 0
    with pytest.raises(ValueError, match="per-parameter options"):
        goptim.LBFGS([{"params": [x]}, {"params": [gn.zeros(1, requires_grad=True)]}])
    with pytest.raises(ValueError, match="strong_wolfe"):
        goptim.LBFGS([x], line_search_fn="armijo")
    with pytest.raises(TypeError):       # the closure is required, as in PyTorch
        opt.step()
    with pytest.raises(RuntimeError, match="closure"):
        opt.step(None)
