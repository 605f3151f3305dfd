"""Learning-rate schedulers: PyTorch's sequence of rates (and momenta) for 100 steps, and resumption
from a JSON round trip of the state."""

from __future__ import annotations

import json
import math
import warnings

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.optim as goptim
from glassnet.optim import lr_scheduler as gsched

STEPS = 100


def _lam(epoch):
    return 0.95 ** epoch + 0.01 * (epoch % 3)


def _mult(epoch):
    return 0.97 if epoch % 2 else 1.01


# name, kwargs, optimizer ("sgd" with momentum, or "adam")
CASES = [
    ("StepLR", {"step_size": 7, "gamma": 0.5}, "sgd"),
    ("MultiStepLR", {"milestones": [10, 30, 30, 55], "gamma": 0.3}, "sgd"),
    ("ExponentialLR", {"gamma": 0.97}, "sgd"),
    ("CosineAnnealingLR", {"T_max": 30, "eta_min": 1e-4}, "sgd"),
    ("CosineAnnealingLR", {"T_max": 100}, "adam"),
    ("LinearLR", {"start_factor": 0.1, "end_factor": 1.0, "total_iters": 20}, "sgd"),
    ("LinearLR", {"start_factor": 1.0, "end_factor": 0.05, "total_iters": 60}, "adam"),
    ("ConstantLR", {"factor": 0.25, "total_iters": 12}, "sgd"),
    ("PolynomialLR", {"total_iters": 80, "power": 2.0}, "sgd"),
    ("LambdaLR", {"lr_lambda": _lam}, "sgd"),
    ("MultiplicativeLR", {"lr_lambda": _mult}, "sgd"),
    ("OneCycleLR", {"max_lr": [0.5, 1.0], "total_steps": STEPS}, "sgd"),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS, "anneal_strategy": "linear"}, "sgd"),
    ("OneCycleLR", {"max_lr": 0.5, "epochs": 10, "steps_per_epoch": 10, "three_phase": True,
                        "pct_start": 0.25}, "adam"),
    ("OneCycleLR", {"max_lr": 0.5, "total_steps": STEPS, "cycle_momentum": False,
                        "div_factor": 10.0, "final_div_factor": 100.0}, "sgd"),
    ("OneCycleLR", {"max_lr": 0.05, "total_steps": STEPS, "base_momentum": 0.8,
                    "max_momentum": 0.9},
     "adam"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 8, "step_size_down": 12}, "sgd"),
    ("CyclicLR", {"base_lr": 0.01, "max_lr": 0.1, "step_size_up": 10, "mode": "triangular2"},
     "sgd"),
    ("CyclicLR", {"base_lr": 0.001, "max_lr": 0.01, "step_size_up": 6, "mode": "exp_range",
                      "gamma": 0.97}, "adam"),
    ("CosineAnnealingWarmRestarts", {"T_0": 10, "T_mult": 2, "eta_min": 0.001}, "sgd"),
]


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


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_sequence_matches_torch(case):
    name, kw, kind = case
    gopt, topt = _opts(kind)
    gs = getattr(gsched, name)(gopt, **kw)
    ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
    steps = STEPS
    _assert_seq_equal(_record(gopt, gs, steps), _record(topt, ts, steps))
    assert gs.last_epoch == ts.last_epoch
    assert [g["lr"] for g in gopt.param_groups] == gs.get_last_lr()


@pytest.mark.parametrize("case", CASES, ids=_ids)
def test_state_dict_json_round_trip_resumes_exactly(case):
    name, kw, kind = case
    steps = STEPS
    k = 37
    gopt, _ = _opts(kind)
    sched = getattr(gsched, name)(gopt, **kw)
    full = _record(gopt, sched, steps)

    gopt, _ = _opts(kind)
    sched = getattr(gsched, name)(gopt, **kw)
    _record(gopt, sched, k)
    opt_text = json.dumps(gopt.state_dict()["param_groups"])
    sched_text = json.dumps(sched.state_dict())

    gopt2, _ = _opts(kind)
    sched2 = getattr(gsched, name)(gopt2, **kw)
    sd = gopt2.state_dict()
    sd["param_groups"] = json.loads(opt_text)
    gopt2.load_state_dict(sd)
    sched2.load_state_dict(json.loads(sched_text))
    rest = _record(gopt2, sched2, steps - k)
    _assert_seq_equal(full[k:], rest)


PLATEAU = [
    {},
    {"mode": "min", "factor": 0.5, "patience": 2, "threshold": 0.01, "cooldown": 3, "min_lr": 0.01},
    {"mode": "max", "factor": 0.3, "patience": 1, "threshold": 0.05, "threshold_mode": "abs"},
    {"mode": "min", "factor": 0.5, "patience": 0, "threshold_mode": "abs", "min_lr": [0.02, 0.001]},
    {"mode": "max", "patience": 3, "cooldown": 1, "eps": 0.05},
]


def _metrics():
    rng = np.random.default_rng(0)
    # a loss that falls, stalls, wiggles and climbs: every branch of the plateau logic
    base = np.concatenate([np.linspace(1.0, 0.5, 20), np.full(15, 0.5), 0.5 + 0.01 * rng.
                           standard_normal(30), np.linspace(0.5, 0.8, 35)])
    return [float(v) for v in base]


@pytest.mark.parametrize("kw", PLATEAU)
def test_reduce_on_plateau_matches_torch(kw):
    gopt, topt = _opts("sgd")
    gs = gsched.ReduceLROnPlateau(gopt, **kw)
    ts = torch.optim.lr_scheduler.ReduceLROnPlateau(topt, **kw)
    m = _metrics()
    a, b = _record(gopt, gs, len(m), m), _record(topt, ts, len(m), m)
    _assert_seq_equal(a, b)
    assert a[-1][0] != a[0][0]  # the schedule did reduce
    assert gs.num_bad_epochs == ts.num_bad_epochs and gs.best == ts.best


def test_reduce_on_plateau_state_round_trip():
    m = _metrics()
    kw = PLATEAU[1]
    gopt, _ = _opts("sgd")
    full = _record(gopt, gsched.ReduceLROnPlateau(gopt, **kw), len(m), m)
    gopt, _ = _opts("sgd")
    s = gsched.ReduceLROnPlateau(gopt, **kw)
    _record(gopt, s, 40, m)
    text, groups = json.dumps(s.state_dict()), json.dumps(gopt.state_dict()["param_groups"])
    gopt2, _ = _opts("sgd")
    s2 = gsched.ReduceLROnPlateau(gopt2, **kw)
    sd = gopt2.state_dict()
    sd["param_groups"] = json.loads(groups)
    gopt2.load_state_dict(sd)
    s2.load_state_dict(json.loads(text))
    _assert_seq_equal(full[40:], _record(gopt2, s2, len(m) - 40, m[40:]))


def _sequential(mod, opt):
    s1 = mod.LinearLR(opt, start_factor=0.1, total_iters=10)
    s2 = mod.CosineAnnealingLR(opt, T_max=50, eta_min=0.001)
    s3 = mod.ExponentialLR(opt, gamma=0.95)
    return mod.SequentialLR(opt, schedulers=[s1, s2, s3], milestones=[10, 60])


def _chained(mod, opt):
    s1 = mod.ExponentialLR(opt, gamma=0.98)
    s2 = mod.StepLR(opt, step_size=15, gamma=0.5)
    s3 = mod.LinearLR(opt, start_factor=0.2, total_iters=8)
    return mod.ChainedScheduler([s1, s2, s3])


@pytest.mark.parametrize("build", [_sequential, _chained])
def test_composites_match_torch_and_resume(build):
    gopt, topt = _opts("sgd")
    gs, ts = build(gsched, gopt), build(torch.optim.lr_scheduler, topt)
    full = _record(gopt, gs, STEPS)
    _assert_seq_equal(full, _record(topt, ts, STEPS))

    gopt, _ = _opts("sgd")
    s = build(gsched, gopt)
    _record(gopt, s, 30)
    text, groups = json.dumps(s.state_dict()), json.dumps(gopt.state_dict()["param_groups"])
    gopt2, _ = _opts("sgd")
    s2 = build(gsched, gopt2)
    sd = gopt2.state_dict()
    sd["param_groups"] = json.loads(groups)
    gopt2.load_state_dict(sd)
    s2.load_state_dict(json.loads(text))
    _assert_seq_equal(full[30:], _record(gopt2, s2, STEPS - 30))


def test_closed_form_with_epoch_argument_matches_torch():
    for name, kw in [("StepLR", {"step_size": 3, "gamma": 0.5}),
                     ("MultiStepLR", {"milestones": [2, 5], "gamma": 0.1}),
                     ("CosineAnnealingLR", {"T_max": 10}),
                     ("ExponentialLR", {"gamma": 0.9})]:
        gopt, topt = _opts("sgd")
        gs = getattr(gsched, name)(gopt, **kw)
        ts = getattr(torch.optim.lr_scheduler, name)(topt, **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for e in [3, 7, 1, 9]:
                gopt.step()
                topt.step()
                gs.step(e)
                ts.step(e)
                np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-13)


def test_warns_when_scheduler_steps_before_optimizer():
    gopt, _ = _opts("sgd")
    s = gsched.StepLR(gopt, step_size=2)
    with pytest.warns(UserWarning, match="before `optimizer.step\\(\\)`"):
        s.step()
    gopt, _ = _opts("sgd")
    s = gsched.StepLR(gopt, step_size=2)
    gopt.step()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s.step()


def test_onecycle_too_many_steps_and_bad_args():
    gopt, _ = _opts("sgd")
    s = gsched.OneCycleLR(gopt, max_lr=0.1, total_steps=3)
    for _ in range(3):
        gopt.step()
        s.step()
    with pytest.raises(ValueError, match="total steps is 3"):
        s.step()
    with pytest.raises(ValueError, match="total_steps OR"):
        gsched.OneCycleLR(gopt, max_lr=0.1)
    with pytest.raises(TypeError, match="not an Optimizer"):
        gsched.StepLR(object(), step_size=2)
    with pytest.raises(ValueError, match="max_lr must have the same length"):
        gsched.OneCycleLR(gopt, max_lr=[0.1, 0.2, 0.3], total_steps=10)


def test_cosine_values_by_formula():
    gopt, _ = _opts("sgd")
    s = gsched.CosineAnnealingLR(gopt, T_max=10, eta_min=0.0)
    for t in range(1, 11):
        gopt.step()
        s.step()
        assert s.get_last_lr()[0] == pytest.approx(0.05 * (1 + math.cos(math.pi * t / 10)))
