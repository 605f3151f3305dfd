"""glassnet.train.metrics against scikit-learn and hand-computed values."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn import metrics as skm

import glassnet as gn
from glassnet.train import metrics as M


def test_accuracy_forms():
    logits = np.array([[2.0, 1.0, 0.1], [0.1, 0.2, 3.0], [1.0, 4.0, 0.0], [5.0, 0.0, 0.0]])
    y = np.array([0, 2, 2, 0])
    assert M.accuracy(logits, y) == 0.75
    assert M.accuracy(gn.tensor(logits), gn.tensor(y)) == 0.75
    assert M.accuracy(torch.tensor(logits), torch.tensor(y)) == 0.75
    assert M.accuracy(logits, np.eye(3)[y]) == 0.75  # one-hot targets
    assert M.accuracy(np.array([0, 2, 1, 0]), y) == 0.75  # labels
    assert M.error_rate(logits, y) == 0.25
    # binary scores: probabilities thresholded at 0.5, logits through the sigmoid first
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


def _sigmoid_batch(rng, n=64):
    """Sigmoid outputs (N, 1) of a binary classifier that gets every sample right, and targets."""
    y = rng.integers(0, 2, n)
    logits = np.where(y == 1, 1.0, -1.0) * rng.uniform(0.1, 5.0, n)
    return 1.0 / (1.0 + np.exp(-logits[:, None])), logits[:, None], y


def test_binary_accuracy_same_for_n_and_n1_probabilities_and_logits(rng):
    """One rule (torchmetrics'): (N,) and (N, 1) agree; probabilities at 0.5; logits through
    the sigmoid; targets (N,) or (N, 1), integer or float."""
    probs, logits, y = _sigmoid_batch(rng)
    assert 0 < y.sum() < len(y)
    for out in (probs, probs[:, 0], logits, logits[:, 0]):
        for t in (y, y[:, None], y.astype(np.float32), y[:, None].astype(np.float32)):
            assert M.accuracy(out, t) == 1.0
            assert M.accuracy(gn.tensor(out.astype(np.float32)), gn.tensor(t)) == 1.0
    flipped = 1 - y
    assert M.accuracy(probs, flipped[:, None].astype(np.float32)) == 0.0
    assert M.accuracy(probs, flipped) == M.accuracy(probs[:, 0], flipped) == 0.0
    # the same labels as torchmetrics: sigmoid(logit) > 0.5, for probabilities p > 0.5
    p = np.array([[0.2], [0.5], [0.51], [1.0]])
    np.testing.assert_array_equal(M.predicted_labels(p), [0, 0, 1, 1])
    np.testing.assert_array_equal(M.predicted_labels(np.array([-3.0, 0.0, 2.0])), [0, 0, 1])
    with pytest.raises(ValueError, match="class indices"):
        M.accuracy(p, np.array([0.3, 0.0, 1.0, 1.0]))


def test_trainer_accuracy_uses_the_metrics_rule(rng):
    """The Trainer's epoch accuracy on sigmoid outputs (N, 1), all correct, is 1.0 (as
    metrics.accuracy), and equals metrics.accuracy on a model with mixed results."""
    from glassnet import nn
    from glassnet.train import Trainer, evaluate

    probs, _, y = _sigmoid_batch(rng)
    x = gn.tensor(probs.astype(np.float32))
    model = nn.Identity()
    target = gn.tensor(y[:, None].astype(np.float32))
    ev = evaluate(model, [(x, target)], nn.BCELoss(), metrics=("accuracy",))
    assert ev["accuracy"] == 1.0 == M.accuracy(probs, y[:, None].astype(np.float32))
    trainer = Trainer(model, None, nn.BCELoss(), metrics=("accuracy",), run_dir=False,
                      progress=False)
    assert trainer.evaluate([(x, target)])["accuracy"] == 1.0
    ev = evaluate(model, [(x[:, 0], gn.tensor(y.astype(np.float32)))], nn.BCELoss(),
                  metrics=("accuracy",))
    assert ev["accuracy"] == 1.0
    noisy = rng.uniform(0, 1, (64, 1)).astype(np.float32)
    ev = evaluate(model, [(gn.tensor(noisy[:40]), gn.tensor(y[:40, None].astype(np.float32))),
                          (gn.tensor(noisy[40:]), gn.tensor(y[40:, None].astype(np.float32)))],
                  nn.BCELoss(), metrics=("accuracy",))
    assert ev["accuracy"] == pytest.approx(M.accuracy(noisy, y))


def test_gn_metrics_is_the_one_metrics_module():
    import glassnet as gn
    from glassnet.train import metrics

    assert gn.metrics is metrics
