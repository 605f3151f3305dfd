"""Every optimiser, every option: 50 steps side by side with torch.optim on the same
gradients (parameters and state), in float64 and float32, with parameter groups and
add_param_group; and each one fits a least-squares problem through glassnet's own autograd."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.optim as goptim

from ._util import (
    _assert_params_close,
    _assert_state_close,
    _ids,
    init_arrays,
    make_pair,
    run_pair,
    set_grads,
)

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


# ---------------------------------------------------- Adamax, NAdam, RAdam, Rprop, ASGD, Adafactor
VARIANT_CONFIGS = {
    "Adamax": [
        {},
        {"lr": 0.05, "betas": (0.8, 0.99)},
        {"lr": 0.05, "weight_decay": 0.1, "eps": 1e-3},
        {"lr": 0.05, "betas": (0.3, 0.6), "maximize": True, "weight_decay": 0.05},
    ],
    "NAdam": [
        {},
        {"lr": 0.05, "betas": (0.8, 0.99), "momentum_decay": 0.01},
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.05, "betas": (0.3, 0.6), "eps": 1e-3, "maximize": True, "weight_decay": 0.05},
    ],
    "RAdam": [
        {},
        {"lr": 0.05, "betas": (0.8, 0.9)},   # rho_t passes 5 at step 6: both branches
        {"lr": 0.05, "weight_decay": 0.1},
        {"lr": 0.05, "weight_decay": 0.1, "decoupled_weight_decay": True},
        {"lr": 0.05, "betas": (0.3, 0.6), "eps": 1e-3, "maximize": True, "weight_decay": 0.05},
    ],
    "Rprop": [
        {},
        {"lr": 0.05, "etas": (0.3, 1.5)},
        {"lr": 0.05, "step_sizes": (1e-3, 0.08)},
        {"lr": 0.02, "etas": (0.6, 1.1), "step_sizes": (1e-4, 1.0), "maximize": True},
    ],
    "ASGD": [
        {},
        {"lr": 0.05, "lambd": 0.01, "alpha": 0.6},
        {"lr": 0.05, "t0": 10},                # averaging starts within the run
        {"lr": 0.05, "t0": 5, "weight_decay": 0.1, "maximize": True},
    ],
    "Adafactor": [
        {},
        {"lr": 0.05, "beta2_decay": -0.5, "d": 1.5},
        {"lr": 0.05, "weight_decay": 0.1, "eps": (1e-6, 1e-2)},
        {"lr": 0.03, "maximize": True, "weight_decay": 0.05},
    ],
}

VARIANT_CASES = [(name, kw) for name, kws in VARIANT_CONFIGS.items() for kw in kws]


@pytest.mark.parametrize("case", VARIANT_CASES, ids=_ids)
def test_variant_trajectory_matches_torch_float64(case):
    name, kw = case
    gp, tp, gopt, topt = run_pair(name, kw, steps=50, dtype=np.float64)
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    _assert_state_close(gopt, topt, rtol=1e-6, atol=1e-9)
    for p in gp:
        assert p._data.dtype == np.float64


@pytest.mark.parametrize("case", VARIANT_CASES[::2], ids=_ids)
def test_variant_trajectory_matches_torch_float32(case):
    name, kw = case
    gp, tp, gopt, _ = run_pair(name, kw, steps=50, dtype=np.float32)
    _assert_params_close(gp, tp, rtol=2e-3, atol=2e-4)
    for p in gp:
        assert p._data.dtype == np.float32
    for st in gopt.state.values():
        for v in st.values():
            if isinstance(v, gn.Tensor):
                assert v._data.dtype == np.float32


VARIANT_PARAM_GROUPS = {
    "Adamax": ([([0, 2], {"lr": 0.1}), ([1, 3], {"betas": (0.5, 0.9)})], {"lr": 0.05}),
    "NAdam": ([([0, 1], {"decoupled_weight_decay": True}), ([2, 3], {"momentum_decay": 0.02})],
              {"lr": 0.05, "weight_decay": 0.05}),
    "RAdam": ([([3, 0], {"weight_decay": 0.1}), ([1, 2], {"betas": (0.7, 0.9)})], {"lr": 0.05}),
    "Rprop": ([([0], {"etas": (0.4, 1.3)}), ([1, 2, 3], {"lr": 0.02, "maximize": True})], {}),
    "ASGD": ([([0, 2], {"t0": 3}), ([1, 3], {"lr": 0.02})], {"lr": 0.05}),
    "Adafactor": ([([0, 1], {"d": 2.0}), ([2, 3], {"lr": 0.02, "weight_decay": 0.1})], {}),
}


@pytest.mark.parametrize("name", sorted(VARIANT_PARAM_GROUPS))
def test_variant_param_groups_match_torch(name):
    groups, kw = VARIANT_PARAM_GROUPS[name]
    gp, tp, gopt, topt = run_pair(name, kw, steps=50, groups=groups)
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    _assert_state_close(gopt, topt, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(VARIANT_PARAM_GROUPS))
def test_variant_add_param_group_and_changed_lr_match_torch(name):
    gp, tp = make_pair(init_arrays())
    gopt = getattr(goptim, name)(gp[:2], lr=0.03)
    topt = getattr(torch.optim, name)(tp[:2], lr=0.03, foreach=False)
    for t in range(20):
        if t == 5:
            gopt.add_param_group({"params": gp[2:], "lr": 0.05})
            topt.add_param_group({"params": tp[2:], "lr": 0.05})
        if t == 10:
            for g1, g2 in zip(gopt.param_groups, topt.param_groups):
                g1["lr"] *= 0.5
                g2["lr"] *= 0.5
        set_grads(gp, tp, t)
        gopt.step()
        topt.step()
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    assert set(gopt.param_groups[1]) == set(topt.param_groups[1])


def test_converge_on_a_real_loss():
    """A least-squares fit through glassnet's own autograd converges with each optimiser."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((64, 3)).astype(np.float32)
    w_true = np.array([1.5, -2.0, 0.5], dtype=np.float32)
    Xt, yt = gn.tensor(X), gn.tensor(X @ w_true)
    for cls, kw in [(goptim.Adamax, {"lr": 0.05}), (goptim.NAdam, {"lr": 0.05}),
                    (goptim.RAdam, {"lr": 0.05}), (goptim.Rprop, {}),
                    (goptim.ASGD, {"lr": 0.05}), (goptim.Adafactor, {"lr": 0.05})]:
        w = gn.zeros(3, requires_grad=True)
        opt = cls([w], **kw)
        for _ in range(400):
            opt.zero_grad()
            loss = ((Xt @ w - yt) ** 2).mean()
            loss.backward()
            opt.step()
        np.testing.assert_allclose(w._data, w_true, atol=0.05, err_msg=cls.__name__)
