"""Adamax, NAdam, RAdam, Rprop, ASGD, Adafactor, SparseAdam: 50 steps side by side with
torch.optim on the same gradients, over option sets; groups, add_param_group, state."""

from __future__ import annotations

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.optim as goptim

from ._util import init_arrays, make_pair, run_pair, set_grads
from .test_optimizers import _assert_params_close, _assert_state_close, _ids

CONFIGS = {
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
            if isinstance(v, gn.Tensor):
                assert v._data.dtype == np.float32


PARAM_GROUPS = {
    "Adamax": ([([0, 2], {"lr": 0.1}), ([1, 3], {"betas": (0.5, 0.9)})], {"lr": 0.05}),
    "NAdam": ([([0, 1], {"decoupled_weight_decay": True}), ([2, 3], {"momentum_decay": 0.02})],
              {"lr": 0.05, "weight_decay": 0.05}),
    "RAdam": ([([3, 0], {"weight_decay": 0.1}), ([1, 2], {"betas": (0.7, 0.9)})], {"lr": 0.05}),
    "Rprop": ([([0], {"etas": (0.4, 1.3)}), ([1, 2, 3], {"lr": 0.02, "maximize": True})], {}),
    "ASGD": ([([0, 2], {"t0": 3}), ([1, 3], {"lr": 0.02})], {"lr": 0.05}),
    "Adafactor": ([([0, 1], {"d": 2.0}), ([2, 3], {"lr": 0.02, "weight_decay": 0.1})], {}),
}


@pytest.mark.parametrize("name", sorted(PARAM_GROUPS))
def test_param_groups_match_torch(name):
    groups, kw = PARAM_GROUPS[name]
    gp, tp, gopt, topt = run_pair(name, kw, steps=50, groups=groups)
    _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)
    _assert_state_close(gopt, topt, rtol=1e-6, atol=1e-9)


@pytest.mark.parametrize("name", sorted(PARAM_GROUPS))
def test_add_param_group_and_changed_lr_match_torch(name):
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


def _sparse_adam_pair(dtype, kw, steps=30):
    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((6, 3)).astype(dtype)
    gw = gn.tensor(w0.copy(), requires_grad=True)
    tw = torch.tensor(w0.copy(), requires_grad=True)
    gopt, topt = goptim.SparseAdam([gw], **kw), torch.optim.SparseAdam([tw], **kw)
    for t in range(steps):
        g = (rng.standard_normal((6, 3)) + w0).astype(dtype)
        g[rng.random(6) < 0.5] = 0           # the rows an embedding lookup did not touch
        g[0, 1] = 0                          # and a lone zero inside a touched row
        if t == 3:
            g[:] = 0                         # an empty gradient: a step with no update
        gw.grad = gn.tensor(g)
        tw.grad = torch.tensor(g).to_sparse()
        gopt.step()
        topt.step()
    return gw, tw, gopt, topt


@pytest.mark.parametrize("kw", [{}, {"lr": 0.05, "betas": (0.5, 0.9), "maximize": True},
                                {"lr": 0.1, "eps": 1e-3}])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_sparse_adam_matches_torch_on_nonzero_entries(kw, dtype):
    gw, tw, gopt, topt = _sparse_adam_pair(dtype, kw)
    tol = {"rtol": 1e-6, "atol": 1e-9} if dtype == np.float64 else {"rtol": 1e-4, "atol": 1e-6}
    np.testing.assert_allclose(gw._data, tw.detach().numpy(), **tol)
    gst, tst = gopt.state[gw], topt.state[tw]
    assert gst["step"] == tst["step"] == 30
    for key in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(gst[key]._data, tst[key].numpy(), **tol)


def test_torch_nadam_and_asgd_state_continue_in_glassnet():
    """A PyTorch state (0-d tensor mu_product, eta, mu) loads and the run goes on identically."""
    for name, kw in [("NAdam", {"lr": 0.05}), ("ASGD", {"lr": 0.05, "t0": 3})]:
        gp, tp = make_pair(init_arrays())
        topt = getattr(torch.optim, name)(tp, foreach=False, **kw)
        for t in range(5):
            set_grads(gp, tp, t)
            topt.step()
        for a, b in zip(gp, tp):
            a._data[...] = b.detach().numpy()
        gopt = getattr(goptim, name)(gp, **kw)
        gopt.load_state_dict(topt.state_dict())
        for t in range(5, 15):
            set_grads(gp, tp, t)
            gopt.step()
            topt.step()
        _assert_params_close(gp, tp, rtol=1e-6, atol=1e-9)


def test_scalar_state_in_default_dtype_like_torch():
    p = gn.tensor(np.ones(3), requires_grad=True)          # float64 parameter
    opt = goptim.NAdam([p])
    p.grad = gn.ones(3, dtype=gn.float64)
    opt.step()
    assert opt.state[p]["mu_product"]._data.dtype == np.float32
    assert opt.state[p]["exp_avg"]._data.dtype == np.float64


def test_compat_flags_accepted_and_zero_grad_default():
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    for cls in (goptim.Adamax, goptim.NAdam, goptim.RAdam, goptim.Rprop, goptim.ASGD):
        opt = cls([p], lr=0.01, foreach=True, capturable=True)
        assert opt.param_groups[0]["lr"] == 0.01
        p.grad = gn.ones(2)
        opt.step()
        opt.zero_grad()
        assert p.grad is None
        with pytest.raises(NotImplementedError, match="differentiable"):
            cls([p], differentiable=True)
    goptim.Adafactor([p], foreach=False, maximize=True)


@pytest.mark.parametrize("make,match", [
    (lambda p: goptim.Adamax([p], lr=-1), "Adamax: Invalid learning rate"),
    (lambda p: goptim.NAdam([p], betas=(1.0, 0.9)), "Invalid beta parameter at index 0"),
    (lambda p: goptim.NAdam([p], momentum_decay=-1), "Invalid momentum_decay value"),
    (lambda p: goptim.RAdam([p], eps=-1), "Invalid epsilon value"),
    (lambda p: goptim.Rprop([p], etas=(1.5, 1.2)), "Invalid eta values"),
    (lambda p: goptim.ASGD([p], weight_decay=-1), "Invalid weight_decay value"),
    (lambda p: goptim.SparseAdam([p], lr=0.0), "Invalid learning rate"),
    (lambda p: goptim.Adafactor([p], beta2_decay=0.5), "beta2_decay should be <= 0"),
    (lambda p: goptim.Adafactor([p], d=0.5), "Clipping threshold d should be >= 1"),
])
def test_errors_name_the_optimizer_and_argument(make, match):
    p = gn.tensor(np.ones(2, dtype=np.float32), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        make(p)


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
