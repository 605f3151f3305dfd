"""Cosine and cyclical schedules (glassnet/optim/lr_scheduler/cyclic.py): OneCycleLR's
limits and argument errors, and cosine annealing by its formula."""

from __future__ import annotations

import math

import pytest

from glassnet.optim import lr_scheduler as gsched

from ._util import _opts


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
