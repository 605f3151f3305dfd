"""nn.init: distributions checked with statistics (bounds, mean, std), gains and fans exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn as tnn

import glassnet as gn
from glassnet import nn
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
    _tlo, _thi, tm, ts = stats_t(tnn.Linear(fan_in, 512).weight)
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


@pytest.mark.parametrize("old", ["uniform", "normal", "constant", "eye", "dirac",
                                 "xavier_uniform", "xavier_normal", "kaiming_uniform",
                                 "kaiming_normal", "orthogonal", "sparse"])
def test_deprecated_aliases_warn_like_pytorch(old):
    assert hasattr(tnn.init, old)
    args = {"constant": (0.5,), "sparse": (0.5,)}.get(old, ())
    w = gn.empty(4, 3, 3) if old == "dirac" else gn.empty(4, 3)
    with pytest.warns(FutureWarning, match=f"nn.init.{old}` is now deprecated"):
        out = getattr(init, old)(w, *args)
    assert out is w


def test_errors_and_warnings_carry_pytorch_messages():
    with pytest.raises(ValueError, match="Unsupported nonlinearity swishy"):
        init.calculate_gain("swishy")
    with pytest.raises(ValueError, match="negative_slope True not a valid number"):
        init.calculate_gain("leaky_relu", True)
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.eye_(gn.empty(2, 2, 2))
    with pytest.raises(ValueError, match="Only tensors with 3, 4, or 5 dimensions"):
        init.dirac_(gn.empty(2, 2))
    with pytest.raises(ValueError, match="dim 0 must be divisible by groups"):
        init.dirac_(gn.empty(3, 2, 3), groups=2)
    with pytest.raises(ValueError, match="Only tensors with 2 or more dimensions"):
        init.orthogonal_(gn.empty(3))
    with pytest.raises(ValueError, match="Only tensors with 2 dimensions are supported"):
        init.sparse_(gn.empty(3), 0.5)
    with pytest.raises(ValueError, match="Mode fan_avg not supported"):
        init.kaiming_uniform_(gn.empty(3, 2), mode="fan_avg")
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(gn.empty(0, 3))
    with pytest.warns(UserWarning, match="more than 2 std"):
        init.trunc_normal_(gn.empty(10), mean=5.0, std=1.0, a=-1.0, b=1.0)


@pytest.mark.parametrize("shape,groups", [((4, 2, 3), 1), ((6, 3, 3, 3), 2), ((4, 4, 1, 3, 3), 2)])
def test_eye_and_dirac_equal_pytorch(shape, groups):
    g, t = gn.empty(*shape), torch.empty(*shape)
    init.dirac_(g, groups)
    tnn.init.dirac_(t, groups)
    np.testing.assert_array_equal(g._data, t.numpy())
    g, t = gn.empty(3, 5), torch.empty(3, 5)
    np.testing.assert_array_equal(init.eye_(g)._data, tnn.init.eye_(t).numpy())


def test_orthogonal_is_orthogonal_with_gain():
    for shape in [(3, 5), (5, 3), (4, 2, 3)]:
        w = init.orthogonal_(gn.empty(*shape), gain=2.0)._data.reshape(shape[0], -1)
        small = min(w.shape)
        gram = w @ w.T if w.shape[0] == small else w.T @ w
        np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-5)


def test_trunc_normal_statistics_match_pytorch():
    g = init.trunc_normal_(gn.empty(200_000), mean=0.5, std=1.0, a=-1.0, b=1.5,
                           generator=gn.Generator().manual_seed(0))
    t = tnn.init.trunc_normal_(torch.empty(200_000), mean=0.5, std=1.0, a=-1.0, b=1.5,
                               generator=torch.Generator().manual_seed(0))
    ga, ta = g._data.astype(np.float64), t.numpy().astype(np.float64)
    assert ga.min() >= -1.0 and ga.max() <= 1.5
    assert abs(ga.mean() - ta.mean()) < 0.01 and abs(ga.std() - ta.std()) < 0.01
