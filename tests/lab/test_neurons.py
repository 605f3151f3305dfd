"""glassnet.lab.experiments.neurons: McCulloch-Pitts, perceptron, XOR, universal approximation."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import lab
from glassnet.lab.experiments import neurons
from glassnet.models import Perceptron

NAMES = ("mcculloch-pitts", "perceptron", "xor", "universal-approximation")


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_lecture_claim_and_full_run(name):
    exp = lab.get(name)
    assert exp.lecture and exp.claim and exp.full
    assert exp.fn.__module__ == "glassnet.lab.experiments.neurons"


def test_mcculloch_pitts_runs_and_holds(tmp_path):
    r = lab.run("mcculloch-pitts", out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) == 3 and all(c["holds"] for c in r["claims"])
    assert all("McCulloch" in c["reference"] or "Minsky" in c["reference"] for c in r["claims"])
    saved = json.loads((tmp_path / "mcculloch-pitts" / "result.json").read_text())
    pytest.importorskip("matplotlib")
    assert saved["figures"] == ["xor-from-gates.png"]
    assert (tmp_path / "mcculloch-pitts" / "xor-from-gates.png").read_bytes()[:4] == b"\x89PNG"


def test_gates_and_the_xor_network():
    assert neurons.xor_network(neurons.XOR_X).tolist() == [0, 1, 1, 0]
    found = neurons.logic_functions_of_one_unit()
    assert len(found) == 14 and (0, 1, 1, 0) not in found and (1, 0, 0, 1) not in found


def test_best_line_on_xor_and_and():
    acc, _, labellings = neurons.best_linear_accuracy(neurons.XOR_X, neurons.XOR_Y, 180, 81)
    assert acc == 0.75 and labellings == 14
    acc_and, (phi, c), _ = neurons.best_linear_accuracy(neurons.XOR_X, [0, 0, 0, 1], 180, 81)
    assert acc_and == 1.0
    assert ((neurons.XOR_X @ [np.cos(phi), np.sin(phi)] + c >= 0) == [0, 0, 0, 1]).all()


def test_novikoff_data_and_bound():
    rng = np.random.default_rng(0)
    x, y, gamma, radius = neurons.novikoff_data(60, 0.1, rng, dim=3)
    assert x.shape == (60, 3) and set(np.unique(y)) <= {0.0, 1.0}
    assert gamma >= 0.1 and radius <= np.sqrt(4) + 1e-6
    p = Perceptron(3).fit(x, y, epochs=int((radius / gamma) ** 2) + 1, shuffle=True)
    assert p.converged and sum(p.history) <= (radius / gamma) ** 2


def test_xor_networks_train_like_pytorch():
    # the side-by-side networks are independent and follow PyTorch's Adam step for step
    seeds, steps = 3, 60
    acc, losses, _ = neurons._train_xor_mlps(seeds, steps, 0.1, np.random.default_rng(4))
    rng, b = np.random.default_rng(4), 1 / np.sqrt(2)
    ps = [torch.tensor(rng.uniform(-b, b, s).astype(np.float32), requires_grad=True)
          for s in [(seeds, 2, 2), (seeds, 1, 2), (seeds, 2, 1), (seeds, 1, 1)]]
    opt = torch.optim.Adam(ps, lr=0.1)
    x = torch.tensor(neurons.XOR_X)
    y = torch.tensor(neurons.XOR_Y).view(1, 4, 1).expand(seeds, 4, 1)
    for _ in range(steps):
        opt.zero_grad()
        w1, b1, w2, b2 = ps
        z = torch.sigmoid(x @ w1 + b1) @ w2 + b2
        per = torch.nn.functional.binary_cross_entropy_with_logits(z, y, reduction="none")
        per = per.mean((1, 2))
        per.sum().backward()
        opt.step()
    np.testing.assert_allclose(losses, per.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert acc.shape == (seeds,)


def test_staircase_is_one_hidden_layer_within_the_bound():
    f, lip = neurons.FUNCTIONS["smooth"]
    net = neurons.staircase_network(f, 16)
    assert net[0].weight.shape == (15, 1) and net[2].weight.shape == (1, 15)
    grid = np.linspace(0, 1, 1001)
    with gn.no_grad():
        out = net(gn.tensor(grid[:, None])).numpy()[:, 0]
    err = np.abs(out - f(grid)).max()
    assert err <= lip / 16 and err > lip / 16 / 8
    with pytest.raises(ValueError, match="n_steps"):
        neurons.staircase_network(f, 1)


def test_shallow_nets_fit_side_by_side():
    x = np.linspace(0, 1, 64)
    targets = [neurons.smooth_function(x), neurons.bumpy_function(x)]
    groups, predict = neurons._fit_shallow_nets(targets, (1, 8), x, 300, 0.05,
                                                np.random.default_rng(0))
    assert groups == [(0, 1), (0, 8), (1, 1), (1, 8)]
    with gn.no_grad():
        pred = predict(gn.tensor(x[:, None].astype(np.float32))).numpy()
    rmse = [np.sqrt(np.mean((pred[:, g] - targets[t]) ** 2)) for g, (t, _) in enumerate(groups)]
    assert pred.shape == (64, 4)
    assert rmse[1] < rmse[0] and rmse[1] < np.std(targets[0]) / 3
