"""LRScheduler and every schedule through it (glassnet/optim/lr_scheduler/): PyTorch's
sequence of rates (and momenta) for 100 steps, resumption from a JSON round trip of the state,
and the warning when the scheduler steps before the optimizer."""

from __future__ import annotations

import json
import warnings

import pytest
import torch

from glassnet.optim import lr_scheduler as gsched

from ._util import STEPS, _assert_seq_equal, _ids, _opts, _record


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
