"""The curse of dimensionality: closed forms against Monte Carlo, and the lecture's numbers."""

from __future__ import annotations

import math

import numpy as np
import pytest

from glassnet.analysis import (ball_volume_fraction, ball_volume_fraction_mc,
                               curse_of_dimensionality_table, distance_limits, half_length,
                               log10_samples_needed, pairwise_distance_stats, pairwise_distances,
                               rind_growth_rate, rind_volume_fraction, rind_volume_fraction_mc,
                               subcube_half_length)


@pytest.mark.parametrize("d,eps", [(1, 0.1), (2, 0.05), (10, 0.05), (50, 0.01), (200, 0.002)])
def test_rind_closed_form_matches_monte_carlo(d, eps):
    p = rind_volume_fraction(d, eps)
    assert p == pytest.approx(1 - (1 - 2 * eps) ** d, rel=1e-12)
    n = 40_000
    est = rind_volume_fraction_mc(d, eps, n=n, generator=d)
    assert abs(est - p) < 5 * math.sqrt(p * (1 - p) / n) + 1e-9


def test_rind_fills_high_dimensional_cubes_and_grows_d_times_faster():
    assert rind_volume_fraction(2, 0.01) == pytest.approx(0.0396)
    assert rind_volume_fraction(350, 0.01) > 0.999
    assert rind_volume_fraction(3, 0.0) == 0 and rind_volume_fraction(3, 0.5) == 1
    # d/d(alpha) of the rind 1 - alpha^d at alpha = 1 is -d: compare with a finite difference
    for d in (1, 3, 10, 350):
        h = 1e-7
        fd = ((1 - (1 - h) ** d) - 0.0) / h
        assert rind_growth_rate(d) == d and fd == pytest.approx(d, rel=1e-4)
    with pytest.raises(ValueError, match="rind_volume_fraction: eps"):
        rind_volume_fraction(3, 0.7)
    with pytest.raises(ValueError, match="positive integer"):
        rind_volume_fraction(0, 0.1)


def test_half_length_numbers_from_the_lecture():
    # alpha = 2^(-1/n) ~ 1 - 0.7/n: 2-D 0.707, 3-D 0.794, 350-D above 98%
    assert half_length(2) == pytest.approx(2 ** -0.5)
    assert half_length(3) == pytest.approx(0.7937, abs=1e-4)
    assert half_length(350) > 0.98
    for n in (10, 100, 1000):
        assert half_length(n) == pytest.approx(1 - math.log(2) / n, abs=1 / n ** 2)
    # in 350-D half the volume lies within 1% of the diameter from the boundary
    assert (1 - half_length(350)) / 2 < 0.01
    assert subcube_half_length(100, 0.01) == pytest.approx(0.5 * 0.01 ** 0.01)
    assert subcube_half_length(100, 0.01) / 0.5 > 0.95


@pytest.mark.parametrize("d,fraction", [(1, 0.3), (2, 0.5), (5, 0.1), (20, 0.5)])
def test_subcube_half_length_holds_that_fraction_of_uniform_points(d, fraction):
    a = subcube_half_length(d, fraction)
    x = np.random.default_rng(d).random((40_000, d))
    inside = (np.abs(x - 0.5) <= a).all(axis=1).mean()
    assert inside == pytest.approx(fraction, abs=5 * math.sqrt(fraction / 40_000) + 1e-3)


@pytest.mark.parametrize("d", [1, 2, 3, 5, 8])
def test_ball_volume_fraction(d):
    v = ball_volume_fraction(d)
    est = ball_volume_fraction_mc(d, n=40_000, generator=d)
    assert abs(est - v) < 5 * math.sqrt(v * (1 - v) / 40_000) + 1e-9
    assert ball_volume_fraction(2) == pytest.approx(math.pi / 4)
    assert ball_volume_fraction(3) == pytest.approx(math.pi / 6)
    assert ball_volume_fraction(1000, log10=True) < -1000


def test_samples_needed_for_a_photo():
    assert log10_samples_needed(36_000_000, 0.1) == pytest.approx(36_000_000)
    assert log10_samples_needed(2, 0.01) == pytest.approx(4)


def test_pairwise_distances_wrap_around_on_the_torus():
    p = np.array([[0.05, 0.5], [0.95, 0.5], [0.5, 0.0]])
    np.testing.assert_allclose(pairwise_distances(p), [0.9, math.hypot(0.45, 0.5),
                                                       math.hypot(0.45, 0.5)])
    np.testing.assert_allclose(pairwise_distances(p, torus=True),
                               [0.1, math.hypot(0.45, 0.5), math.hypot(0.45, 0.5)])
    x = np.random.default_rng(0).random((30, 7))
    full = np.sqrt(((x[:, None] - x[None]) ** 2).sum(-1))
    np.testing.assert_allclose(pairwise_distances(x), full[np.triu_indices(30, 1)])


@pytest.mark.parametrize("torus", [False, True])
def test_distances_concentrate_as_dimension_grows(torus):
    stats = [pairwise_distance_stats(d, 150, torus=torus, generator=d) for d in (2, 10, 100, 1000)]
    contrast = [s["relative_contrast"] for s in stats]
    cv = [s["cv"] for s in stats]
    assert all(np.diff(contrast) < 0) and all(np.diff(cv) < 0)
    # large d: the delta-method limits (std constant, cv ~ 1/sqrt(d), normalised mean)
    for s in stats[2:]:
        lim = distance_limits(s["d"], torus)
        assert s["cv"] == pytest.approx(lim["cv"], rel=0.1)
        assert s["std"] == pytest.approx(lim["std"], rel=0.1)
        assert s["normalized_mean"] == pytest.approx(lim["normalized_mean"], rel=0.02)
    # the lecture's torus histograms "centred near 0.58" = 1/sqrt(3)
    if torus:
        assert stats[-1]["normalized_mean"] == pytest.approx(1 / math.sqrt(3), abs=0.005)


def test_table():
    t = curse_of_dimensionality_table((2, 10, 350), n_points=50, generator=0)
    assert [r["d"] for r in t] == [2, 10, 350]
    assert t.column("rind")[-1] > 0.999 and t.column("half_length")[-1] > 0.98
    text = str(t)
    assert "half_length" in text and "350" in text and text.startswith("Curse")
