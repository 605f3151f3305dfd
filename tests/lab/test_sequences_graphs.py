"""The sequence and graph experiments (glassnet/lab/experiments/sequences_graphs.py):
registered; run end to end at a tiny size; the tasks' construction checked exactly."""

from __future__ import annotations

import numpy as np
import pytest

from glassnet import lab
from glassnet.data.datasets import karate_club
from glassnet.lab import runner
from glassnet.lab.experiments import sequences_graphs as S


def test_experiments_are_registered_with_lecture_claim_and_full_run():
    reg = runner.registry()
    for name in ("bilstm-context", "gnn-communities"):
        e = reg[name]
        assert e.lecture and e.claim and e.full
        assert e.fn.__module__ == S.__name__


@pytest.mark.parametrize("name, tiny", [("bilstm-context", (100, 1)), ("gnn-communities", 1)])
def test_end_to_end_at_a_tiny_size(name, tiny, tmp_path, monkeypatch):
    monkeypatch.setattr(runner.Lab, "pick", lambda self, quick, full: tiny)
    r = lab.run(name, out=tmp_path, quick=True, verbose=False)
    assert len(r["claims"]) == 2
    assert all(c["reference"] and "criterion" in c["claim"] for c in r["claims"])
    assert (tmp_path / name / "result.json").exists()
    pytest.importorskip("matplotlib")
    assert len(r["figures"]) == 1


def test_marker_sequence_labels_say_whether_the_marker_comes_later():
    rng = np.random.default_rng(0)
    x, y, open_ = S.marker_sequences(300, 12, 6, rng)
    assert x.shape == y.shape == open_.shape == (300, 12)
    for tok, lab_, op in zip(x, y, open_):
        where = np.nonzero(tok == 0)[0]
        assert len(where) <= 1
        m = where[0] if len(where) else 12
        np.testing.assert_array_equal(lab_, (np.arange(12) < m) & (len(where) == 1))
        np.testing.assert_array_equal(op, np.arange(12) < m)
    assert 0.35 < (x == 0).any(1).mean() < 0.65


def test_sbm_task_and_node_classification():
    rng = np.random.default_rng(1)
    x, ei, y, train = S.sbm_task(rng, sizes=(10, 10), features=4, labels_per_class=2)
    assert x.shape == (20, 4) and ei.shape[0] == 2 and train.sum() == 4
    assert set(y[train]) == {0, 1}
    np.testing.assert_array_equal(np.sort(ei[0] * 20 + ei[1]), np.sort(ei[1] * 20 + ei[0]))


def test_karate_layout_separates_the_two_sides():
    ei, club = karate_club()
    pos = S.karate_layout(ei, 34)
    assert pos.shape == (34, 2)
    # the Fiedler vector (first coordinate) splits the club almost exactly as it split
    side = pos[:, 0] > 0
    agree = max((side == club).mean(), (side != club).mean())
    assert agree > 0.9
