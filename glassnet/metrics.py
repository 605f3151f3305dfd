"""Classification metrics: accuracy, top-k error, confusion matrix, precision, recall, F1.

Every function accepts NumPy arrays, glassnet tensors or anything array-like, and predictions as
either class labels or scores:

* scores of shape (N, C) (logits or probabilities): the prediction is the argmax over classes;
* scores of shape (N,) or (N, 1) with floating values: a binary prediction, 1 where the score
  exceeds ``threshold`` (default: 0.5 when every score lies in [0, 1], so probabilities; 0
  otherwise, so logits);
* integer labels of shape (N,): used as they are.

Targets are class indices, or one-hot / probability rows (N, C), which are reduced by argmax.

``accuracy`` and ``top_k_accuracy`` take ``(output, target)``; ``confusion_matrix``,
``precision_recall_f1`` and ``classification_report`` take ``(y_true, y_pred)`` like scikit-learn.
The lectures measure a classifier by accuracy and report ImageNet results as top-5 error: the
fraction of images whose true class is not among the five highest scores.
"""

from __future__ import annotations

import numpy as np

from . import backend

__all__ = ["accuracy", "error_rate", "top_k_accuracy", "top_k_error", "confusion_matrix",
           "precision_recall_f1", "classification_report", "predicted_labels"]


def _np(x):
    if hasattr(x, "_data") and hasattr(x, "grad_fn"):  # a glassnet Tensor
        x = x._data
    elif hasattr(x, "detach") and hasattr(x, "cpu"):  # a torch tensor
        x = x.detach().cpu().numpy()
    return np.asarray(backend.to_numpy(x))


def predicted_labels(output, threshold=None):
    """Class labels from scores (argmax over dim 1, or thresholded binary scores) or labels."""
    out = _np(output)
    if out.dtype.kind in "iub":
        return out.astype(np.int64)
    if out.ndim >= 2 and out.shape[1] > 1:
        return out.argmax(axis=1)
    out = out.reshape(out.shape[0], *out.shape[2:]) if out.ndim >= 2 else out
    if threshold is None:
        threshold = 0.5 if out.size and out.min() >= 0 and out.max() <= 1 else 0.0
    return (out > threshold).astype(np.int64)


def _target_labels(target, like_shape=None):
    t = _np(target)
    if t.dtype.kind == "f" and like_shape is not None and t.shape == like_shape and t.ndim >= 2:
        return t.argmax(axis=1)  # one-hot or probability rows
    if t.dtype.kind == "f" and t.ndim >= 2 and t.shape[1] > 1:
        return t.argmax(axis=1)
    return t.astype(np.int64)


def accuracy(output, target, threshold=None):
    """Fraction of samples whose predicted class equals the target (see the module docstring for
    the accepted forms). Shape: output (N, C) / (N,) / (N, C, d...), target (N,) / (N, d...)."""
    out = _np(output)
    pred = predicted_labels(out, threshold)
    t = _target_labels(target, out.shape)
    if pred.shape != t.shape:
        raise ValueError(f"accuracy: predictions have shape {pred.shape} (from output "
                         f"{out.shape}) but targets have shape {t.shape}")
    if pred.size == 0:
        raise ValueError("accuracy: no samples")
    return float((pred == t).mean())


def error_rate(output, target, threshold=None):
    """1 - accuracy."""
    return 1.0 - accuracy(output, target, threshold)


def top_k_accuracy(output, target, k=5):
    """Fraction of samples whose target class is among the ``k`` highest scores.

    Shape: output (N, C) scores, target (N,) labels (or one-hot rows); k <= C.
    """
    out = _np(output)
    if out.ndim != 2:
        raise ValueError(f"top_k_accuracy: expected scores of shape (N, C), got {out.shape}")
    n, c = out.shape
    if not 1 <= k <= c:
        raise ValueError(f"top_k_accuracy: k must be between 1 and the number of classes {c}, "
                         f"got {k}")
    t = _target_labels(target, out.shape).reshape(-1)
    if t.shape[0] != n:
        raise ValueError(f"top_k_accuracy: {n} score rows but {t.shape[0]} targets")
    if n and (t.min() < 0 or t.max() >= c):
        bad = t.min() if t.min() < 0 else t.max()
        raise ValueError(f"top_k_accuracy: target label {int(bad)} is out of range for {c} "
                         "classes")
    # The target is in the top k when fewer than k classes score strictly higher than it.
    score_t = out[np.arange(n), t]
    higher = (out > score_t[:, None]).sum(axis=1)
    return float((higher < k).mean()) if n else float("nan")


def top_k_error(output, target, k=5):
    """1 - top_k_accuracy: the ImageNet top-5 error with k=5."""
    return 1.0 - top_k_accuracy(output, target, k)


def _labels_pair(y_true, y_pred, num_classes, op):
    p_raw = _np(y_pred)
    t = _target_labels(y_true, p_raw.shape).reshape(-1)
    p = predicted_labels(p_raw).reshape(-1)
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
