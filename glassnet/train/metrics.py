"""Classification metrics: accuracy, top-k error, confusion matrix, precision, recall, F1.

Every function accepts NumPy arrays, glassnet tensors or anything array-like. Predictions are
turned into class labels by one rule (torchmetrics'), used by these functions, the Trainer and
the ``glassnet`` command alike:

* scores of shape (N, C, ...) with C > 1 (logits or probabilities): the argmax over dim 1;
* one score per sample, shape (N,) or (N, 1) (or (N, 1, ...) / (N, ...) per position), floating:
  binary. Scores outside [0, 1] are logits and pass through the sigmoid first; the label is 1
  where the probability exceeds ``threshold`` (0.5). So sigmoid outputs and logits give the
  same labels, and (N,) and (N, 1) give the same result;
* integer (or bool) labels: used as they are.

Targets are class indices of the predictions' shape (a trailing (N, 1) is read as (N,)), or
one-hot / probability rows (N, C, ...), which are reduced by argmax.

``accuracy`` and ``top_k_accuracy`` take ``(output, target)``; ``confusion_matrix``,
``precision_recall_f1`` and ``classification_report`` take ``(y_true, y_pred)`` like scikit-learn.
The lectures measure a classifier by accuracy and report ImageNet results as top-5 error: the
fraction of images whose true class is not among the five highest scores.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend

__all__ = ["accuracy", "error_rate", "top_k_accuracy", "top_k_error", "confusion_matrix",
           "precision_recall_f1", "classification_report", "predicted_labels", "correct_count",
           "top_k_count"]


def _np(x):
    if hasattr(x, "_data") and hasattr(x, "grad_fn"):  # a glassnet Tensor
        x = x._data
    elif hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(backend.to_numpy(x))


def _drop_dim1(a):
    """(N, 1, ...) -> (N, ...): a single score or label per sample (or position)."""
    return a.reshape(a.shape[:1] + a.shape[2:]) if a.ndim >= 2 and a.shape[1] == 1 else a


def predicted_labels(output, threshold=0.5):
    """Class labels from predictions (see the module docstring): argmax over dim 1 of scores
    (N, C, ...), the sigmoid-and-threshold rule for one score per sample, labels as they are.

    Shape: output (N, C, ...) -> (N, ...); (N,) or (N, 1, ...) -> (N,) or (N, ...).
    """
    out = _np(output)
    if out.dtype.kind in "iub":
        return _drop_dim1(out).astype(np.int64)
    if out.ndim >= 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    p = _drop_dim1(out)
    if p.size and (p.min() < 0 or p.max() > 1):  # logits: probabilities through the sigmoid
        with np.errstate(over="ignore"):
            p = 1.0 / (1.0 + np.exp(-p))
    return (p > threshold).astype(np.int64)


def _target_labels(target, pred_ndim, op):
    """Targets as class indices of the predictions' dimensions (one-hot rows by argmax)."""
    t = _np(target)
    if t.ndim == pred_ndim + 1:
        t = t.argmax(axis=1) if t.shape[1] > 1 else _drop_dim1(t)
    if t.dtype.kind == "f":
        if not np.all(t == np.round(t)):
            raise ValueError(f"{op}: targets must be class indices or one-hot rows, got "
                             f"non-integer values of shape {t.shape}")
        t = t.astype(np.int64)
    return t.astype(np.int64, copy=False)


def correct_count(output, target, threshold=0.5) -> tuple[int, int]:
    """(number of correct predictions, number of predictions) of a batch: the sums from which
    an epoch's accuracy is exact (see ``predicted_labels`` for the rule)."""
    out = _np(output)
    pred = predicted_labels(out, threshold)
    t = _target_labels(target, pred.ndim, "accuracy")
    if pred.shape != t.shape:
        raise ValueError(f"accuracy: predictions have shape {pred.shape} (from output "
                         f"{out.shape}) but targets have shape {t.shape}")
    return int(np.count_nonzero(pred == t)), int(pred.size)


def accuracy(output, target, threshold=0.5):
    """Fraction of samples whose predicted class equals the target (see the module docstring for
    the accepted forms). Shape: output (N, C) / (N,) / (N, 1) / (N, C, d...), target (N,) /
    (N, 1) / (N, d...)."""
    correct, n = correct_count(output, target, threshold)
    if n == 0:
        raise ValueError("accuracy: no samples")
    return correct / n


def error_rate(output, target, threshold=0.5):
    """1 - accuracy."""
    return 1.0 - accuracy(output, target, threshold)


def top_k_count(output, target, k=5) -> tuple[int, int]:
    """(number of samples whose target is among the ``k`` highest scores, number of samples).

    The target is in the top k when fewer than k classes score strictly higher than it.
    Shape: output (N, C) scores, target (N,) labels (or one-hot rows); k <= C.
    """
    out = _np(output)
    if out.ndim != 2:
        raise ValueError(f"top_k_accuracy: expected scores of shape (N, C), got {out.shape}")
    n, c = out.shape
    if not 1 <= k <= c:
        raise ValueError(f"top_k_accuracy: k must be between 1 and the number of classes {c}, "
                         f"got {k}")
    t = _target_labels(target, 1, "top_k_accuracy").reshape(-1)
    if t.shape[0] != n:
        raise ValueError(f"top_k_accuracy: {n} score rows but {t.shape[0]} targets")
    if n and (t.min() < 0 or t.max() >= c):
        bad = t.min() if t.min() < 0 else t.max()
        raise ValueError(f"top_k_accuracy: target label {int(bad)} is out of range for {c} "
                         "classes")
    score_t = out[np.arange(n), t]
    higher = (out > score_t[:, None]).sum(axis=1)
    return int(np.count_nonzero(higher < k)), n


def top_k_accuracy(output, target, k=5):
    """Fraction of samples whose target class is among the ``k`` highest scores.

    Shape: output (N, C) scores, target (N,) labels (or one-hot rows); k <= C.
    """
    hits, n = top_k_count(output, target, k)
    return hits / n if n else float("nan")


def top_k_error(output, target, k=5):
    """1 - top_k_accuracy: the ImageNet top-5 error with k=5."""
    return 1.0 - top_k_accuracy(output, target, k)


def _labels_pair(y_true, y_pred, num_classes, op):
    p_raw = _np(y_pred)
    p = predicted_labels(p_raw)
    t = _target_labels(y_true, p.ndim, op).reshape(-1)
    p = p.reshape(-1)
    if t.shape != p.shape:
        raise ValueError(f"{op}: {t.shape[0]} targets but {p.shape[0]} predictions")
    if num_classes is None:
        num_classes = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
        if p_raw.ndim == 2 and p_raw.shape[1] > 1:
            num_classes = max(num_classes, p_raw.shape[1])
    for name, a in (("target", t), ("prediction", p)):
        if a.size and (a.min() < 0 or a.max() >= num_classes):
            bad = a.min() if a.min() < 0 else a.max()
            raise ValueError(f"{op}: {name} label {int(bad)} is out of range for num_classes="
                             f"{num_classes}")
    return t, p, num_classes


def confusion_matrix(y_true, y_pred, num_classes=None):
    """C[i, j] = number of samples of true class i predicted as class j (rows: truth, columns:
    prediction, as scikit-learn). ``y_pred`` may be labels or scores (argmax is taken)."""
    t, p, k = _labels_pair(y_true, y_pred, num_classes, "confusion_matrix")
    return np.bincount(t * k + p, minlength=k * k).reshape(k, k).astype(np.int64)


def precision_recall_f1(y_true, y_pred, num_classes=None, average=None):
    """Per-class precision TP / (TP + FP), recall TP / (TP + FN), F1 (their harmonic mean) and
    support (samples per true class). A 0 / 0 ratio counts as 0.

    ``average``: None (arrays, one value per class), 'macro' (unweighted mean over classes),
    'weighted' (mean weighted by support) or 'micro' (from the pooled counts, = accuracy for
    single-label problems). Returns (precision, recall, f1, support).
    """
    cm = confusion_matrix(y_true, y_pred, num_classes).astype(np.float64)
    tp = np.diag(cm)
    pred_pos = cm.sum(axis=0)
    support = cm.sum(axis=1)
    if average == "micro":
        tp, pred_pos, actual = tp.sum(), pred_pos.sum(), support.sum()
        prec = tp / pred_pos if pred_pos else 0.0
        rec = tp / actual if actual else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return float(prec), float(rec), float(f1), int(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        prec = np.where(pred_pos > 0, tp / pred_pos, 0.0)
        rec = np.where(support > 0, tp / support, 0.0)
        f1 = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    if average is None:
        return prec, rec, f1, support.astype(np.int64)
    if average == "macro":
        return float(prec.mean()), float(rec.mean()), float(f1.mean()), int(support.sum())
    if average == "weighted":
        w = support / support.sum() if support.sum() else support
        return float(prec @ w), float(rec @ w), float(f1 @ w), int(support.sum())
    raise ValueError(f"precision_recall_f1: average must be None, 'micro', 'macro' or "
                     f"'weighted', got {average!r}")


def classification_report(y_true, y_pred, num_classes=None, target_names=None, digits=2):
    """A text table of per-class precision, recall, F1 and support, then accuracy and the macro
    and weighted averages (the layout of scikit-learn's report)."""
    prec, rec, f1, sup = precision_recall_f1(y_true, y_pred, num_classes)
    k = len(sup)
    names = [str(n) for n in target_names] if target_names is not None else \
        [str(i) for i in range(k)]
    if len(names) != k:
        raise ValueError(f"classification_report: {len(names)} target_names for {k} classes")
    width = max(len("weighted avg"), *(len(n) for n in names))
    head = f"{'':>{width}} " + " ".join(f"{h:>9}" for h in ("precision", "recall", "f1-score",
                                                             "support"))
    lines = [head, ""]
    for i in range(k):
        lines.append(f"{names[i]:>{width}} {prec[i]:>9.{digits}f} {rec[i]:>9.{digits}f} "
                     f"{f1[i]:>9.{digits}f} {sup[i]:>9d}")
    lines.append("")
    total = int(sup.sum())
    acc = float(np.diag(confusion_matrix(y_true, y_pred, k)).sum() / total) if total else 0.0
    lines.append(f"{'accuracy':>{width}} {'':>9} {'':>9} {acc:>9.{digits}f} {total:>9d}")
    for avg in ("macro", "weighted"):
        p, r, f, _ = precision_recall_f1(y_true, y_pred, k, average=avg)
        lines.append(f"{avg + ' avg':>{width}} {p:>9.{digits}f} {r:>9.{digits}f} "
                     f"{f:>9.{digits}f} {total:>9d}")
    return "\n".join(lines) + "\n"
