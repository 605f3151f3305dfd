"""nn.init: distributions checked with statistics (bounds, mean, std), gains and fans exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
import glassnet.nn as nn
from glassnet.nn import init


def stats(t):
    a = t.detach().numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()


@pytest.mark.parametrize("nl,param", [("linear", None), ("conv2d", None), ("sigmoid", None),
                                      ("tanh", None), ("relu", None), ("leaky_relu", None),
                                      ("leaky_relu", 0.2), ("selu", None)])
def test_calculate_gain_matches_pytorch(nl, param):
    assert init.calculate_gain(nl, param) == pytest.approx(tnn.init.calculate_gain(nl, param))
    with pytest.raises(ValueError):
        init.calculate_gain("swishy")


@pytest.mark.parametrize("shape", [(3, 5), (4, 2, 3, 3), (6, 3, 5)])
def test_fans_match_pytorch(shape):
    assert init._calculate_fan_in_and_fan_out(gn.empty(*shape)) == \
        tnn.init._calculate_fan_in_and_fan_out(torch.empty(*shape))
    with pytest.raises(ValueError, match="fewer than 2"):
        init._calculate_fan_in_and_fan_out(gn.empty(3))


def test_uniform_normal_constant():
    w = gn.empty(300, 200)
    lo, hi, m, s = stats(init.uniform_(w, -0.3, 0.5))
    assert -0.3 <= lo and hi <= 0.5 and abs(m - 0.1) < 0.005
    assert abs(s - 0.8 / math.sqrt(12)) < 0.005
    _, _, m, s = stats(init.normal_(w, 0.0, 0.1))  # the lectures' N(0, 0.1)
    assert abs(m) < 0.002 and abs(s - 0.1) < 0.002
    assert init.constant_(w, 0.7).numpy().tolist()[0][0] == pytest.approx(0.7)
    assert init.zeros_(w).abs().sum().item() == 0 and init.ones_(w).sum().item() == 60000
    e = init.eye_(gn.empty(3, 4))
    np.testing.assert_array_equal(e.numpy(), np.eye(3, 4))


def test_xavier_and_kaiming_bounds_and_std():
    w = gn.empty(400, 300)
    fan_in, fan_out = 300, 400
    a = math.sqrt(6 / (fan_in + fan_out))
    lo, hi, _, s = stats(init.xavier_uniform_(w))
    assert -a <= lo and hi <= a and abs(s - a / math.sqrt(3)) < 0.003
    _, _, m, s = stats(init.xavier_normal_(w, gain=2.0))
    assert abs(s - 2 * math.sqrt(2 / (fan_in + fan_out))) < 0.002 and abs(m) < 0.002
    b = math.sqrt(2) * math.sqrt(3 / fan_in)
    lo, hi, _, s = stats(init.kaiming_uniform_(w, nonlinearity="relu"))
    assert -b <= lo and hi <= b and abs(s - b / math.sqrt(3)) < 0.003
    _, _, _, s = stats(init.kaiming_normal_(w, mode="fan_out", nonlinearity="relu"))
    assert abs(s - math.sqrt(2 / fan_out)) < 0.002
    _, _, _, s = stats(init.kaiming_normal_(w, a=0.3))
    assert abs(s - math.sqrt(2 / (1 + 0.09)) / math.sqrt(fan_in)) < 0.002
    with pytest.raises(ValueError, match="Mode"):
        init.kaiming_uniform_(w, mode="fan_avg")


def test_orthogonal_trunc_normal_dirac_sparse():
    for shape in [(5, 8), (8, 5), (4, 2, 3)]:
        w = init.orthogonal_(gn.empty(*shape), gain=1.5).numpy().reshape(shape[0], -1)
        gram = w @ w.T if w.shape[0] <= w.shape[1] else w.T @ w
        np.testing.assert_allclose(gram, 2.25 * np.eye(gram.shape[0]), atol=1e-5)
    t = init.trunc_normal_(gn.empty(200, 200), mean=0.5, std=1.0, a=-1.0, b=1.5)
    lo, hi, m, _ = stats(t)
    ref = tnn.init.trunc_normal_(torch.empty(200, 200), mean=0.5, std=1.0, a=-1.0, b=1.5)
    assert -1.0 <= lo and hi <= 1.5 and abs(m - ref.mean().item()) < 0.02
    d = init.dirac_(gn.empty(4, 4, 3, 3)).numpy()
    np.testing.assert_array_equal(d, tnn.init.dirac_(torch.empty(4, 4, 3, 3)).numpy())
    d2 = init.dirac_(gn.empty(6, 2, 3), groups=2).numpy()
    np.testing.assert_array_equal(d2, tnn.init.dirac_(torch.empty(6, 2, 3), groups=2).numpy())
    s = init.sparse_(gn.empty(10, 6), sparsity=0.3).numpy()
    assert ((s == 0).sum(0) >= 3).all()


def test_generator_and_seed_reproducibility():
    g1, g2 = gn.Generator(5), gn.Generator(5)
    a = init.normal_(gn.empty(10), generator=g1).numpy()
    b = init.normal_(gn.empty(10), generator=g2).numpy()
    np.testing.assert_array_equal(a, b)
    gn.manual_seed(3)
    c = nn.Linear(4, 4).weight.detach().numpy()
    gn.manual_seed(3)
    np.testing.assert_array_equal(c, nn.Linear(4, 4).weight.detach().numpy())


def test_inits_run_on_parameters_without_recording_a_graph():
    p = nn.Parameter(gn.empty(3, 3))
    init.kaiming_uniform_(p)
    assert p.grad_fn is None and p.requires_grad and p.is_leaf


def test_default_layer_init_matches_pytorch_distribution():
    fan_in = 256
    lin = nn.Linear(fan_in, 512)
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)) gives exactly this bound
    lo, hi, m, s = stats(lin.weight)
    tlo, thi, tm, ts = stats_t(tnn.Linear(fan_in, 512).weight)
    assert -bound <= lo and hi <= bound and abs(s - bound / math.sqrt(3)) < 0.002
    assert abs(s - ts) < 0.002 and abs(m - tm) < 0.002
    lo, hi, _, _ = stats(lin.bias)
    assert -bound <= lo and hi <= bound
    bn = nn.BatchNorm2d(4)
    assert bn.weight.tolist() == [1.0] * 4 and bn.bias.tolist() == [0.0] * 4
    assert bn.running_var.tolist() == [1.0] * 4 and bn.running_mean.tolist() == [0.0] * 4
    _, _, m, s = stats(nn.Embedding(500, 64).weight)
    assert abs(m) < 0.01 and abs(s - 1) < 0.01
    ln = nn.LayerNorm(5)
    assert ln.weight.tolist() == [1.0] * 5 and ln.bias.tolist() == [0.0] * 5


def stats_t(t):
    a = t.detach().numpy().astype(np.float64)
    return a.min(), a.max(), a.mean(), a.std()
