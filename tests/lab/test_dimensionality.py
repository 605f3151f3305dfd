"""glassnet.lab.experiments.dimensionality: the curse of dimensionality and template matching."""

from __future__ import annotations

import json

import numpy as np
import pytest

from glassnet import lab
from glassnet.analysis import half_length, match_template
from glassnet.lab.experiments import dimensionality as dim

NAMES = ("curse-of-dimensionality", "template-matching")


@pytest.mark.parametrize("name", NAMES)
def test_registered_with_lecture_claim_and_full_run(name):
    exp = lab.get(name)
    assert exp.lecture and exp.claim and exp.full
    assert exp.fn.__module__ == "glassnet.lab.experiments.dimensionality"


def test_template_matching_runs_with_references_and_figures(tmp_path):
    r = lab.run("template-matching", out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) == 5
    assert all("lecture 000" in c["reference"] for c in r["claims"])
    rates = r["data"]["detection_rates"]
    assert set(rates) >= {"shift only", "brightness/contrast", "rotation 90 deg", "scale 1.5"}
    saved = json.loads((tmp_path / "template-matching" / "result.json").read_text())
    assert saved["claims"] == r["claims"]
    pytest.importorskip("matplotlib")
    assert set(saved["figures"]) == {"detection-rates.png", "scenes.png"}


def test_subcube_fraction_matches_its_volume():
    rng = np.random.default_rng(0)
    for d in (1, 3, 20):
        share = dim.subcube_fraction_mc(d, half_length(d) / 2, 20_000, rng)
        assert dim._agrees(share, 0.5, 20_000)
    assert dim.subcube_fraction_mc(4, 0.5, 100, rng) == 1.0
    assert not dim._agrees(0.6, 0.5, 20_000)


def test_scenes_hold_the_target_where_they_say():
    rng = np.random.default_rng(1)
    target = rng.random((4, 28, 28)).astype(np.float32)
    distractors = rng.random((4, 8, 28, 28)).astype(np.float32)
    scenes, corners = dim.make_scenes(target, distractors, np.random.default_rng(5), noise=0.0)
    assert scenes.shape == (4, 132, 132)
    for s, (r, c), t in zip(scenes, corners, target):
        np.testing.assert_array_equal(s[r:r + 28, c:c + 28], t)
    hits, at_target = dim._detections(scenes, target, corners)
    assert hits.all()
    np.testing.assert_allclose(at_target, 1.0, atol=1e-9)
    # a transform changes only the target: rotating by 90 degrees moves its pixels
    turned, corners2 = dim.make_scenes(target, distractors, np.random.default_rng(5),
                                       transform=dim._rotate(90), noise=0.0)
    np.testing.assert_array_equal(corners2, corners)
    r, c = corners[0]
    assert not np.allclose(turned[0, r:r + 28, c:c + 28], target[0])
    rows, cols, _ = match_template(scenes[:1], target[0])
    assert (rows[0], cols[0]) == tuple(corners[0])
