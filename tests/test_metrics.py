"""glassnet.metrics against scikit-learn and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

import glassnet as gn
from glassnet import metrics as M


def test_accuracy_forms():
    logits = np.array([[2.0, 1.0, 0.1], [0.1, 0.2, 3.0], [1.0, 4.0, 0.0], [5.0, 0.0, 0.0]])
    y = np.array([0, 2, 2, 0])
    assert M.accuracy(logits, y) == 0.75
    assert M.accuracy(gn.tensor(logits), gn.tensor(y)) == 0.75
    assert M.accuracy(torch.tensor(logits), torch.tensor(y)) == 0.75
    assert M.accuracy(logits, np.eye(3)[y]) == 0.75  # one-hot targets
    assert M.accuracy(np.array([0, 2, 1, 0]), y) == 0.75  # labels
    assert M.error_rate(logits, y) == 0.25
    # binary scores: probabilities thresholded at 0.5, logits at 0
    assert M.accuracy(np.array([0.9, 0.2, 0.6]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert M.accuracy(np.array([3.0, -2.0, 0.5]), np.array([1, 0, 0])) == pytest.approx(2 / 3)
    assert M.accuracy(np.array([[3.0], [-2.0]]), np.array([1, 1])) == 0.5
    # per-position classes (N, C, L)
    seg = np.zeros((2, 3, 4))
    seg[:, 1] = 1
    assert M.accuracy(seg, np.ones((2, 4), np.int64)) == 1.0
    with pytest.raises(ValueError, match="shape"):
        M.accuracy(logits, y[:3])


def test_top_k_accuracy_and_error(rng):
    scores = rng.standard_normal((200, 10))
    y = rng.integers(0, 10, 200)
    for k in (1, 3, 5):
        ref = skm.top_k_accuracy_score(y, scores, k=k, labels=np.arange(10))
        assert M.top_k_accuracy(scores, y, k) == pytest.approx(ref)
        assert M.top_k_error(scores, y, k) == pytest.approx(1 - ref)
    assert M.top_k_accuracy(scores, y, 1) == pytest.approx(M.accuracy(scores, y))
    assert M.top_k_accuracy(scores, y, 10) == 1.0
    with pytest.raises(ValueError, match="k must be"):
        M.top_k_accuracy(scores, y, 11)
    with pytest.raises(ValueError, match="out of range"):
        M.top_k_accuracy(scores, np.full(200, 10), 5)


def test_confusion_precision_recall_f1_report_match_sklearn(rng):
    y = rng.integers(0, 4, 150)
    logits = rng.standard_normal((150, 4)) + np.eye(4)[y] * 1.2
    pred = logits.argmax(1)
    np.testing.assert_array_equal(M.confusion_matrix(y, logits), skm.confusion_matrix(y, pred))
    np.testing.assert_array_equal(M.confusion_matrix(gn.tensor(y), gn.tensor(pred)),
                                  skm.confusion_matrix(y, pred))
    p, r, f, s = M.precision_recall_f1(y, pred)
    rp, rr, rf, rs = skm.precision_recall_fscore_support(y, pred, zero_division=0)
    for a, b in ((p, rp), (r, rr), (f, rf), (s, rs)):
        np.testing.assert_allclose(a, b)
    for avg in ("macro", "weighted", "micro"):
        got = M.precision_recall_f1(y, pred, average=avg)[:3]
        ref = skm.precision_recall_fscore_support(y, pred, average=avg, zero_division=0)[:3]
        np.testing.assert_allclose(got, ref)
    rep = M.classification_report(y, pred, target_names=["a", "b", "c", "d"])
    ref = skm.classification_report(y, pred, target_names=["a", "b", "c", "d"], zero_division=0)
    assert rep.split() == ref.split()


def test_confusion_matrix_num_classes_and_zero_division():
    cm = M.confusion_matrix([0, 1, 1], [0, 0, 1], num_classes=3)
    np.testing.assert_array_equal(cm, [[1, 0, 0], [1, 1, 0], [0, 0, 0]])
    p, r, f, s = M.precision_recall_f1([0, 1, 1], [0, 0, 1], num_classes=3)
    assert p[2] == 0 and r[2] == 0 and f[2] == 0 and s[2] == 0
    with pytest.raises(ValueError, match="out of range"):
        M.confusion_matrix([0, 3], [0, 1], num_classes=3)
