"""Receptive fields: the analytic recurrence agrees with the gradient's support."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn
from glassnet.analysis import empirical_receptive_field, receptive_field
from glassnet.models import LeNet5


def lenet_features():
    return nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2))


def check_agreement(model, input_shape):
    """The empirical field of the centre unit equals the analytic one: size and position."""
    last = receptive_field(model, input_shape)[-1]
    emp = empirical_receptive_field(model, input_shape, generator=0)
    nd = len(input_shape) - 1

    def per_dim(v):
        return tuple(v) if isinstance(v, tuple) else (v,) * nd

    r, j, start = (per_dim(last[k]) for k in ("receptive_field", "jump", "start"))
    centre = tuple(s + u * jj for s, u, jj in zip(start, emp.unit, j))
    assert emp.size == r, (emp, last)
    assert emp.center == pytest.approx(centre), (emp, last)
    return last, emp


def test_lenet_receptive_fields():
    t = receptive_field(lenet_features(), (1, 32, 32))
    assert [row["receptive_field"] for row in t] == [1, 5, 5, 6, 14, 14, 16]
    assert [row["jump"] for row in t] == [1, 1, 1, 2, 2, 2, 4]
    assert [row["output_size"] for row in t] == [32, 28, 28, 14, 10, 10, 5]
    assert t[-1]["start"] == 7.5
    _, emp = check_agreement(lenet_features(), (1, 32, 32))
    assert emp.size == (16, 16) and emp.bbox == ((8, 23), (8, 23))
    # the effective field is brightest in the middle
    g = emp.gradient
    assert g[15:17, 15:17].mean() > g[8, 8:24].mean()
    assert "MaxPool2d" in str(t) and "receptive_field" in str(t)


def test_lenet5_model_sees_the_whole_digit():
    t = receptive_field(LeNet5(), (1, 28, 28))
    rows = {r["layer"]: r for r in t}
    assert rows["features.5"]["receptive_field"] == 16  # S4
    assert rows["features.6"]["receptive_field"] == 32  # C5 (over the padded 32 x 32 field)
    assert rows["classifier.3"]["receptive_field"] == 28  # the classifier: the whole input
    emp = empirical_receptive_field(LeNet5(), (1, 28, 28), probes=2)
    assert emp.unit is None and emp.size == (28, 28)


def test_dilated_stack_grows_exponentially():
    layers = []
    for d in (1, 2, 4, 8):
        layers += [nn.Conv2d(1 if not layers else 3, 3, 3, padding=d, dilation=d), nn.ReLU()]
    model = nn.Sequential(*layers)
    t = receptive_field(model, (1, 40, 40))
    assert [r["receptive_field"] for r in t if r["type"] == "Conv2d"] == [3, 7, 15, 31]
    assert t[-1]["output_size"] == 40
    check_agreement(model, (1, 40, 40))


def test_same_valid_padding_blurpool_groups_and_1d():
    model = nn.Sequential(nn.Conv2d(1, 2, 4, padding="same"), nn.BatchNorm2d(2),
                          nn.MaxBlurPool2d(2), nn.Conv2d(2, 2, (3, 5), stride=(1, 2),
                                                         padding="valid"),
                          nn.AvgPool2d(3, 2, ceil_mode=True))
    t = receptive_field(model, (1, 40, 40))
    assert t[-1]["output_size"] == tuple(model(gn.randn(1, 1, 40, 40)).shape[2:])
    check_agreement(model, (1, 40, 40))
    p4 = nn.Sequential(nn.P4ConvZ2(1, 2, 3, padding=1), nn.ReLU(),
                       nn.P4ConvP4(2, 2, 5, stride=2, padding=2), nn.GroupMaxPool())
    assert receptive_field(p4, (1, 21, 21))[-1]["receptive_field"] == 7
    check_agreement(p4, (1, 21, 21))
    one_d = nn.Sequential(nn.Conv1d(1, 2, 3), nn.MaxPool1d(2), nn.Conv1d(2, 2, 3, dilation=3))
    last, _ = check_agreement(one_d, (1, 50))
    assert last["receptive_field"] == 4 + 2 * 3 * 2
    # without an input shape the sizes are simply left out
    assert receptive_field([nn.Conv2d(1, 1, 3), nn.MaxPool2d(2)])[-1]["receptive_field"] == 4


def test_random_stacks_agree_with_the_gradient():
    r = np.random.default_rng(0)
    checked, fields = 0, []
    while checked < 12:
        layers, c = [], 1
        for _ in range(int(r.integers(2, 5))):
            kind = r.choice(["conv", "conv", "max", "avg", "relu"])
            if kind == "conv":
                k, s, d = int(r.choice([1, 2, 3, 5])), int(r.choice([1, 2])), int(r.choice([1, 2]))
                layers.append(nn.Conv2d(c, 3, k, s, int(r.integers(0, 2)), d))
                c = 3
            elif kind == "relu":
                layers.append(nn.ReLU())
            else:
                pool = nn.MaxPool2d if kind == "max" else nn.AvgPool2d
                layers.append(pool(int(r.choice([2, 3])), int(r.choice([1, 2]))))
        model = nn.Sequential(*layers)
        last = receptive_field(model, (1, 48, 48))[-1]
        size = last["output_size"]
        if isinstance(size, tuple) or size < 1:
            continue
        # only stacks whose centre unit sees no padding have a field the gradient can show
        lo = last["start"] + (size // 2) * last["jump"] - (last["receptive_field"] - 1) / 2
        hi = lo + last["receptive_field"] - 1
        if lo < 0 or hi > 47:
            continue
        check_agreement(model, (1, 48, 48))
        checked += 1
        fields.append(last["receptive_field"])
    assert len(set(fields)) > 5  # a variety of fields was checked


def test_errors_and_options():
    with pytest.raises(ValueError, match="ConvTranspose2d"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 3), nn.ConvTranspose2d(1, 1, 2, 2)))
    with pytest.raises(ValueError, match="larger than its padded input"):
        receptive_field(nn.Sequential(nn.Conv2d(1, 1, 5)), (1, 3, 3))
    model = lenet_features()
    before = [p.requires_grad for p in model.parameters()]
    emp = empirical_receptive_field(model, (1, 32, 32), unit=(0, 0), channel=3)
    assert emp.bbox == ((0, 15), (0, 15))
    assert all(p.grad is None for p in model.parameters())
    assert [p.requires_grad for p in model.parameters()] == before and model.training
    with pytest.raises(ValueError, match="unit"):
        empirical_receptive_field(model, (1, 32, 32), unit=(9, 0))


def test_effective_receptive_field_of_a_uniform_stack_is_binomial():
    # n layers of the 3x3 box filter, no non-linearity: the gradient is the n-fold convolution
    # of [1, 1, 1] / 3 per axis, a binomial-like bump with variance 2n / 3 per axis
    n = 6
    convs = [nn.Conv2d(1, 1, 3, padding=1, bias=False) for _ in range(n)]
    for c in convs:
        with gn.no_grad():
            c.weight.fill_(1.0 / 9)
    e = empirical_receptive_field(nn.Sequential(*convs), (1, 31, 31), probes=2, generator=0)
    eff = e.effective(mass=0.95)
    assert e.size == (2 * n + 1, 2 * n + 1)
    np.testing.assert_allclose(eff["sigma"], [np.sqrt(2 * n / 3)] * 2, rtol=1e-6)
    assert eff["gaussian_r2"] > 0.99  # the central limit theorem at work
    assert 0 < eff["mass_fraction"] < 0.6  # 95% of the weight in a fraction of the field
    # an evenly spread gradient needs (almost) the whole field for 95% of its weight
    flat = empirical_receptive_field(nn.Sequential(nn.AvgPool2d(5, 1)), (1, 9, 9), probes=2,
                                     generator=0)
    assert flat.effective()["mass_fraction"] == pytest.approx(24 / 25)
