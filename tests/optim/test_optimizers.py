"""Every optimiser, every option: 50 steps side by side with torch.optim on the same gradients."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.optim as goptim

from ._util import init_arrays, make_pair, run_pair

CONFIGS = {
    "SGD": [
        {"lr": 0.05},
        {"lr": 0.05, "momentum": 0.9},
        {"lr": 0.05, "momentum": 0.9, "dampening": 0.3},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True},
        {"lr": 0.05, "momentum": 0.8, "weight_decay": 0.1},
        {"lr": 0.05, "momentum": 0.9, "nesterov": True, "weight_decay": 0.05, "maximize": True},
        {"lr": 0.05, "weight_decay": 0.1, "maximize": True},
    ],
    "Adagrad": [
        {"lr": 0.1},
        {"lr": 0.1, "lr_decay": 0.01},
        {"lr": 0.1, "weight_decay": 0.1, "initial_accumulator_value": 0.5},
        {"lr": 0.1, "eps": 1e-3, "maximize": True},
        {"lr": 0.1, "lr_decay": 0.05, "weight_decay": 0.01, "maximize": True},
    ],
    "RMSprop": [
        {"lr": 0.01},
        {"lr": 0.01, "alpha": 0.9, "centered": True},
        {"lr": 0.01, "momentum": 0.9},
        {"lr": 0.01, "momentum": 0.5, "centered": True, "weight_decay": 0.1},
        {"lr": 0.01, "eps": 1e-3, "maximize": True, "weight_decay": 0.05},
        {"lr": 0.01, "alpha": 0.3, "momentum": 0.9, "centered": True, "maximize": True},
    ],
    "Adadelta": [
        {},
        {"lr": 0.5, "rho": 0.95},
        {"lr": 1.0, "eps": 1e-4, "weight_decay": 0.1},
        {"lr": 0.8, "maximize": True},
        {"lr": 1.0, "rho": 0.5, "weight_decay": 0.05, "maximize": True},
    ],
    "Adam": [
        {},
        {"lr": 0.05, "betas": (0.8, 0.99)},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "amsgrad": True},
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.05, "maximize": True},
        {"lr": 0.05, "eps": 1e-3, "maximize": True},
        {"lr": 0.05, "betas": (0.3, 0.6)},  # beta1 < 0.5: the other branch of lerp
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
    ],
    "AdamW": [
        {},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "amsgrad": True},
        {"lr": 0.05, "weight_decay": 0.0},
        {"lr": 0.05, "amsgrad": True, "weight_decay": 0.2, "maximize": True, "betas": (0.7, 0.95)},
    ],
}

CASES = [(name, kw) for name, kws in CONFIGS.items() for kw in kws]


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


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_trajectory_matches_torch_float64(case):
    name, kw = case
    gp, tp, gopt, topt = run_pair(name, kw, steps=50, dtype=np.float64)
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    _assert_state_close(gopt, topt, rtol=1e-6, atol=1e-9)
    for p in gp:
        assert p._data.dtype == np.float64


@pytest.mark.parametrize("case", CASES[::2], ids=_ids)
def test_trajectory_matches_torch_float32(case):
    name, kw = case
    gp, tp, gopt, _ = run_pair(name, kw, steps=50, dtype=np.float32)
    _assert_params_close(gp, tp, rtol=2e-3, atol=2e-4)
    for p in gp:
        assert p._data.dtype == np.float32
    for st in gopt.state.values():
        for v in st.values():
            if not isinstance(v, (int, float)):
                assert v._data.dtype == np.float32


PARAM_GROUPS = {
    "SGD": ([([0, 2], {"lr": 0.1, "momentum": 0.9, "nesterov": True}),
             ([1, 3], {"weight_decay": 0.1})],
            {"lr": 0.02, "momentum": 0.5}),
    "Adagrad": ([([0], {"lr_decay": 0.1}), ([1, 2, 3], {"lr": 0.3, "maximize": True})],
                {"lr": 0.1}),
    "RMSprop": ([([0, 1], {"centered": True}), ([2], {"momentum": 0.9}), ([3], {})],
                {"lr": 0.01}),
    "Adadelta": ([([0, 3], {"rho": 0.8}), ([1, 2], {"lr": 0.5, "weight_decay": 0.1})], {}),
    "Adam": ([([0, 1], {"amsgrad": True, "lr": 0.1}), ([2, 3], {"betas": (0.5, 0.9)})],
             {"lr": 0.05, "weight_decay": 0.01}),
    "AdamW": ([([3, 1], {"weight_decay": 0.5}), ([0, 2], {"amsgrad": True})], {"lr": 0.05}),
}


@pytest.mark.parametrize("name", sorted(PARAM_GROUPS))
def test_param_groups_match_torch(name):
    groups, kw = PARAM_GROUPS[name]
    gp, tp, gopt, topt = run_pair(name, kw, steps=50, groups=groups)
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    _assert_state_close(gopt, topt, rtol=1e-6, atol=1e-9)


def test_add_param_group_and_changed_lr_match_torch():
    arrays = init_arrays()
    gp, tp = make_pair(arrays)
    gopt = goptim.Adam(gp[:2], lr=0.05)
    topt = torch.optim.Adam(tp[:2], lr=0.05, foreach=False)
    from ._util import set_grads
    for t in range(20):
        if t == 5:
            gopt.add_param_group({"params": gp[2:], "lr": 0.2, "amsgrad": True})
            topt.add_param_group({"params": tp[2:], "lr": 0.2, "amsgrad": True})
        if t == 10:
            for g1, g2 in zip(gopt.param_groups, topt.param_groups):
                g1["lr"] *= 0.5
                g2["lr"] *= 0.5
        set_grads(gp, tp, t)
        gopt.step()
        topt.step()
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    assert len(gopt.param_groups) == 2 and gopt.param_groups[1]["betas"] == (0.9, 0.999)


def test_updates_in_place_and_outside_graph():
    arrays = init_arrays(np.float32)
    gp, _ = make_pair(arrays)
    ids = [id(p._data) for p in gp]
    views = [p._data for p in gp]
    opt = goptim.Adam(gp, lr=0.1)
    for p in gp:
        p.grad = gn.ones_like(p)
    opt.step()
    assert [id(p._data) for p in gp] == ids
    for v, p, a in zip(views, gp, arrays):
        assert v is p._data and not np.allclose(v, a)
        assert p.grad_fn is None and p.requires_grad
    # the user's gradient arrays are never modified
    for p in gp:
        np.testing.assert_array_equal(p.grad._data, 1.0)


def test_closure_is_called_with_grad_enabled():
    p = gn.tensor(np.array([1.0, -2.0], dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1)
    seen = []

    def closure():
        opt.zero_grad()
        seen.append(gn.is_grad_enabled())
        loss = (p * p).sum()
        loss.backward()
        return loss

    with gn.no_grad():
        loss = opt.step(closure)
    assert seen == [True]
    assert float(loss.item()) == pytest.approx(5.0)
    np.testing.assert_allclose(p._data, [0.8, -1.6], rtol=1e-6)


def test_zero_grad():
    p = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1)
    p.grad = gn.ones(3)
    g = p.grad
    opt.zero_grad(set_to_none=False)
    assert p.grad is g and np.all(g._data == 0)
    opt.zero_grad()
    assert p.grad is None


def test_optimises_a_real_loss():
    """A least-squares fit through glassnet's own autograd converges with every optimiser."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    w_true = np.array([1.5, -2.0, 0.5], dtype=np.float32)
    y = X @ w_true
    for cls, kw in [(goptim.SGD, {"lr": 0.05, "momentum": 0.9}), (goptim.Adam, {"lr": 0.05}),
                    (goptim.AdamW, {"lr": 0.05, "weight_decay": 0.0}), (goptim.RMSprop, {}),
                    (goptim.Adagrad, {"lr": 0.5}), (goptim.Adadelta, {"lr": 5.0})]:
        w = gn.zeros(3, requires_grad=True)
        opt = cls([w], **kw)
        Xt, yt = gn.tensor(X), gn.tensor(y)
        for _ in range(300):
            opt.zero_grad()
            loss = ((Xt @ w - yt) ** 2).mean()
            loss.backward()
            opt.step()
        np.testing.assert_allclose(w._data, w_true, atol=0.05, err_msg=cls.__name__)


def test_large_parameters_split_across_threads_match_one_call(monkeypatch):
    """The chunked multi-threaded update equals the single-call update exactly."""
    from glassnet.optim import _elementwise as O

    monkeypatch.setitem(gn.backend._threads, "n", 2)

    n = O._MIN_PARALLEL + 12345
    start = np.random.default_rng(0).standard_normal(n).astype(np.float32)
    results = []
    for parallel in (True, False):
        p = gn.tensor(start.copy(), requires_grad=True)
        old = O._MIN_PARALLEL
        O._MIN_PARALLEL = old if parallel else 1 << 62
        try:
            opt = goptim.Adam([p], lr=0.01, amsgrad=True, weight_decay=0.1, maximize=True)
            for t in range(3):
                p.grad = gn.tensor(np.sin(np.arange(n, dtype=np.float32) * (t + 1)))
                opt.step()
        finally:
            O._MIN_PARALLEL = old
        results.append(p._data.copy())
    np.testing.assert_array_equal(results[0], results[1])


def test_errors_name_the_optimizer_and_argument():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match="Adam: Invalid learning rate"):
        goptim.Adam([p], lr=-1)
    with pytest.raises(ValueError, match="beta parameter at index 1"):
        goptim.Adam([p], betas=(0.9, 1.0))
    with pytest.raises(ValueError, match="Nesterov"):
        goptim.SGD([p], lr=0.1, nesterov=True)
    with pytest.raises(TypeError, match="iterable of Tensors"):
        goptim.SGD(p, lr=0.1)
    with pytest.raises(ValueError, match="empty parameter list"):
        goptim.SGD([], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        goptim.SGD([{"params": [p]}, {"params": [p]}], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        goptim.SGD([p * 2], lr=0.1)
    with pytest.raises(NotImplementedError, match="differentiable"):
        goptim.Adam([p], differentiable=True)


def test_repr_and_hooks():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    opt = goptim.SGD([p], lr=0.1, momentum=0.9)
    r = repr(opt)
    assert r.startswith("SGD (") and "Parameter Group 0" in r and "momentum: 0.9" in r
    calls = []
    h1 = opt.register_step_pre_hook(lambda o, a, k: calls.append("pre"))
    opt.register_step_post_hook(lambda o, a, k: calls.append("post"))
    p.grad = gn.ones(2)
    opt.step()
    h1.remove()
    opt.step()
    assert calls == ["pre", "post", "post"]


def test_named_parameters_and_subclass_step_hooks_run_once():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    q = gn.tensor(np.ones(3, dtype=np.float32), requires_grad=True)

    class Clipped(goptim.SGD):
        def step(self, closure=None):
            for group in self.param_groups:
                for t in group["params"]:
                    t.grad._data.clip(-0.5, 0.5, out=t.grad._data)
            return super().step(closure)

    opt = Clipped([("w", p), ("b", q)], lr=1.0)
    assert opt.param_groups[0]["param_names"] == ["w", "b"]
    assert opt.state_dict()["param_groups"][0]["param_names"] == ["w", "b"]
    calls = []
    opt.register_step_post_hook(lambda o, a, k: calls.append(1))
    p.grad, q.grad = gn.ones(2) * 3, gn.ones(3) * -3
    opt.step()
    assert calls == [1]
    np.testing.assert_allclose(p._data, 0.5)
    np.testing.assert_allclose(q._data, 1.5)
