"""ReduceLROnPlateau (glassnet/optim/lr_scheduler/plateau.py) against PyTorch, and its
state round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from glassnet.optim import lr_scheduler as gsched

from ._util import _assert_seq_equal, _opts, _record


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
