"""SequentialLR and ChainedScheduler (glassnet/optim/lr_scheduler/composite.py) against
PyTorch, resumed from a JSON round trip of their state."""

from __future__ import annotations

import json

import pytest
import torch

from glassnet.optim import lr_scheduler as gsched

from ._util import STEPS, _assert_seq_equal, _opts, _record


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
