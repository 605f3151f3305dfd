"""glassnet.lab.experiments.training: the measuring pieces of the training experiments on tiny
sizes (the experiments themselves train networks for tens of seconds each)."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import lab, nn, optim
from glassnet.lab.experiments import training
from glassnet.models import MLP

NAMES = ("vanishing-gradients", "initialisation", "standardisation", "optimisers", "dropout",
         "batch-norm", "augmentation")


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_lecture_claim_and_full_run(name):
    exp = lab.get(name)
    assert exp.lecture and exp.claim and exp.full
    assert exp.fn.__module__ == "glassnet.lab.experiments.training"


def test_steps_to_target():
    assert training.steps_to_target([10, 20, 30], [2.0, 0.5, 0.1], 0.6) == 20
    assert training.steps_to_target([10, 20], [2.0, math.nan], 0.6) == math.inf
    assert training.steps_to_target([], [], 1.0) == math.inf


def test_test_functions_have_their_minima():
    np.testing.assert_allclose(training.rosenbrock(np.array([1.0, 1.0])), 0.0)
    np.testing.assert_allclose(training.narrow_valley(np.zeros(2)), 0.0)
    p = np.array([[-1.2, 1.0], [0.5, 0.25]])
    np.testing.assert_allclose(training.rosenbrock(p), [24.2, 0.25])


def test_sgd_path_on_the_valley_is_the_closed_form():
    # gradient (x / 50, 2 y): each SGD step multiplies x by 1 - lr / 50 and y by 1 - 2 lr
    lrs, steps = (0.1, 0.3), 5
    paths, values = training.optimiser_paths(training.narrow_valley, (-10.0, 1.0),
                                             training.OPTIMISERS["SGD"], lrs, steps)
    assert paths.shape == (2, steps + 1, 2) and values.shape == (2, steps + 1)
    for k, lr in enumerate(lrs):
        t = np.arange(steps + 1)
        np.testing.assert_allclose(paths[k, :, 0], -10 * (1 - lr / 50) ** t, rtol=1e-12)
        np.testing.assert_allclose(paths[k, :, 1], (1 - 2 * lr) ** t, rtol=1e-12)


@pytest.mark.parametrize("name", ["Nesterov", "Adadelta", "Adam", "AdamW"])
def test_paths_follow_pytorch(name):
    lrs, steps = (1e-4, 1e-3), 20
    paths, _ = training.optimiser_paths(training.rosenbrock, (-1.2, 1.0),
                                        training.OPTIMISERS[name], lrs, steps)
    make = {"Nesterov": lambda g: torch.optim.SGD(g, momentum=0.9, nesterov=True),
            "Adadelta": torch.optim.Adadelta, "Adam": torch.optim.Adam,
            "AdamW": lambda g: torch.optim.AdamW(g, weight_decay=0.01)}[name]
    for k, lr in enumerate(lrs):
        p = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
        opt = make([{"params": [p], "lr": lr}])
        for _ in range(steps):
            opt.zero_grad()
            ((1 - p[0]) ** 2 + 100 * (p[1] - p[0] ** 2) ** 2).backward()
            opt.step()
        np.testing.assert_allclose(paths[k, -1], p.detach().numpy(), rtol=1e-9, atol=1e-12)


def test_hidden_gradient_norms_match_pytorch():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((16, 784)).astype(np.float32)
    y = rng.integers(0, 10, 16)
    gn.manual_seed(0)
    g = MLP([784, 32, 32, 10], activation="sigmoid")
    training._set_linear_weights(g, lambda o, i: rng.standard_normal((o, i)) / np.sqrt(i))
    assert all(float(m.bias.abs().sum()) == 0 for m in g.modules() if isinstance(m, nn.Linear))
    norms = training._hidden_gradient_norms(g, x, y)
    lin = [m for m in g.modules() if isinstance(m, nn.Linear)]
    tw = [torch.from_numpy(m.weight.detach().numpy().copy()).requires_grad_() for m in lin]
    h, zs = torch.from_numpy(x), []
    for k, w in enumerate(tw):
        z = h @ w.T
        z.retain_grad()
        zs.append(z)
        h = torch.sigmoid(z) if k < len(tw) - 1 else z
    torch.nn.functional.cross_entropy(h, torch.from_numpy(y)).backward()
    np.testing.assert_allclose(norms, [z.grad.norm().item() for z in zs[:-1]], rtol=1e-4)
    assert norms[0] < norms[1]  # one sigmoid layer back: smaller


def test_train_loop_records_losses_and_stops_on_divergence():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((40, 1, 4, 4)).astype(np.float32)
    y = rng.integers(0, 3, 40)
    gn.manual_seed(0)
    model = MLP([16, 8, 3])
    seen = []
    losses = training._train(model, optim.SGD(model.parameters(), lr=0.1), x, y, 12, 16,
                             np.random.default_rng(1), every=5,
                             on_eval=lambda step, diverged=False: seen.append(step))
    assert len(losses) == 12 and seen == [5, 10, 12] and losses[-1] < losses[0] * 1.5
    loss, acc = training._evaluate(model, x, y, batch=7)
    assert 0 <= acc <= 1 and loss > 0
    model = MLP([16, 8, 3])
    with np.errstate(over="ignore", invalid="ignore"):
        bad = training._train(model, optim.SGD(model.parameters(), lr=1e30), x * 1e10, y, 10, 16,
                              np.random.default_rng(1))
    assert len(bad) == 10 and math.isnan(bad[-1])
