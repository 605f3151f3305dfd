"""The decays of glassnet/optim/lr_scheduler/decay.py in closed form: ``step(epoch)``
against PyTorch."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from glassnet.optim import lr_scheduler as gsched

from ._util import _opts


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
