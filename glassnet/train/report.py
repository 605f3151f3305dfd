"""report.md: a run's final numbers in one readable page, with its plots linked.

``write_report(run_dir, history, test_metrics, model, examples=...)`` can be called by any
script or the command line on a finished run; ``Trainer.fit`` calls it (through
``report_from_trainer``) at the end of every run that has a folder. Plots go to
``<run>/plots/``; without matplotlib the report says they were skipped.
"""

from __future__ import annotations

import datetime as _dt
import math
import os

import numpy as np

from glassnet.io.atomic import atomic_write_text
from glassnet.io.state import to_numpy
from glassnet.train.metrics import confusion_matrix, predicted_labels

__all__ = ["write_report", "report_from_trainer", "collect_predictions", "first_layer_weight"]


_BOOKKEEPING = ("epoch", "step", "time", "samples_per_s")


def _fmt(v):
    if v is None:
        return "–"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "–"
    return f"{v:.4f}" if abs(v) >= 1e-3 or v == 0 else f"{v:.3e}"


def _last(history, key):
    seq = history.get(key) or []
    return seq[-1] if seq else None


def first_layer_weight(model):
    """(name, weight) of the first convolution (3-D/4-D weight) of ``model``, else of the first
    Linear whose input is a square image (in_features a square >= 64), else (None, None)."""
    linear = None
    for name, p in model.named_parameters():
        if name.endswith("bias") or len(p.shape) < 2:
            continue
        a = to_numpy(p)
        if a.ndim in (3, 4):
            return name, a
        if a.ndim == 2 and linear is None:
            side = int(round(math.sqrt(a.shape[1])))
            if side * side == a.shape[1] and a.shape[1] >= 64:
                linear = (name, a)
    return linear or (None, None)


def collect_predictions(trainer, loader, max_examples=25):
    """Run the model over ``loader``: (y_true, y_pred, wrong_inputs, wrong_true, wrong_pred),
    or None when the outputs are not class scores for integer labels."""
    from glassnet.autograd import no_grad
    from glassnet.train.evaluation import iterate_batches, to_batch_tensor, unpack_batch

    ys, preds, wrong_x, wrong_t, wrong_p = [], [], [], [], []
    model = trainer.model
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            for batch in iterate_batches(loader, 256):
                x, y = unpack_batch(batch)
                if y is None or isinstance(x, (list, tuple)):
                    return None
                out = to_numpy(model(to_batch_tensor(x, trainer.device))._data)
                y = to_numpy(y)
                if y.ndim != 1 or y.dtype.kind not in "iub" or out.ndim not in (1, 2):
                    return None
                p = predicted_labels(out)
                ys.append(y.astype(np.int64))
                preds.append(p)
                if len(wrong_x) < max_examples:
                    bad = np.flatnonzero(p != y)[: max_examples - len(wrong_x)]
                    xs = to_numpy(x)
                    wrong_x.extend(xs[bad])
                    wrong_t.extend(y[bad])
                    wrong_p.extend(p[bad])
    finally:
        model.train(was_training)
    if not ys:
        return None
    return (np.concatenate(ys), np.concatenate(preds), np.asarray(wrong_x),
            np.asarray(wrong_t, np.int64), np.asarray(wrong_p, np.int64))


def _drawable(images) -> bool:
    """Samples worth drawing: images or signals (>= 16 values), or none at all (an empty grid);
    a handful of tabular features is not."""
    a = np.asarray(images)
    return a.shape[0] == 0 or (a.ndim >= 2 and int(np.prod(a.shape[1:])) >= 16)


def _history_table(history, max_rows=40):
    keys = [k for k in history if history[k]]
    n = max((len(history[k]) for k in keys), default=0)
    if n == 0:
        return []
    rows = list(range(n))
    if n > max_rows:  # first, last and evenly spaced epochs in between
        rows = sorted(set(np.linspace(0, n - 1, max_rows).round().astype(int).tolist()))
    lines = ["| epoch | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for i in rows:
        vals = [_fmt(history[k][i]) if i < len(history[k]) else "–" for k in keys]
        lines.append(f"| {i + 1} | " + " | ".join(vals) + " |")
    return lines


def write_report(run_dir, history=None, test_metrics=None, model=None, examples=None, classes=None,
                 confusion=None, title=None, config=None, stop_reason=None, notes=None) -> str:
    """Write ``<run_dir>/report.md`` (and ``<run_dir>/plots/*.png``); returns the report path.

    Args:
        history: ``{"loss": [...], "val_loss": [...], ...}`` per epoch (``Trainer.fit``'s).
        test_metrics: ``{"loss": ..., "accuracy": ...}`` on held-out test data.
        model: for the parameter count and the first-layer filters plot.
        examples: ``(images, y_true, y_pred)`` (or a dict with those keys) for the grid of
            misclassified examples; if they cover a whole dataset they also give the confusion
            matrix when ``confusion`` is not given.
        classes: class names; confusion: a (K, K) count matrix.
        config: the run's config dict (read from ``config.json`` when None).
        stop_reason, notes: text added to the summary.
    """
    from glassnet import viz
    from glassnet.train.run import RunDir

    run = RunDir(run_dir)
    history = dict(history or {})
    test_metrics = dict(test_metrics or {})
    if config is None:
        try:
            config = run.read_config()
        except ValueError:
            config = None
    plots, have_mpl = {}, viz.matplotlib_available()
    if isinstance(examples, dict):
        examples = (examples.get("images"), examples.get("y_true"), examples.get("y_pred"))
    classes = list(classes) if classes is not None else None

    if have_mpl:
        if any(history.get(k) for k in history):
            plots["curves"] = viz.plot_curves(history, os.path.join(run.plots_dir, "curves.png"))
        if confusion is None and examples is not None and examples[1] is not None and len(examples[1]):
            confusion = confusion_matrix(examples[1], examples[2],
                                         num_classes=len(classes) if classes else None)
        if confusion is not None:
            plots["confusion"] = viz.plot_confusion_matrix(
                confusion, classes, os.path.join(run.plots_dir, "confusion_matrix.png"))
        if model is not None:
            name, w = first_layer_weight(model)
            if w is not None:
                shape = "x".join(map(str, w.shape))
                plots["filters"] = viz.plot_filters(w, os.path.join(run.plots_dir, "filters.png"),
                                                    title=f"First-layer filters ({name}, {shape})")
        if examples is not None and examples[0] is not None and _drawable(examples[0]):
            plots["misclassified"] = viz.plot_misclassified(
                examples[0], examples[1], examples[2], classes,
                os.path.join(run.plots_dir, "misclassified.png"))
    elif confusion is None and examples is not None and examples[1] is not None and len(examples[1]):
        confusion = confusion_matrix(examples[1], examples[2])

    name = os.path.basename(run.path.rstrip(os.sep))
    L = [f"# {title or 'Run report: ' + name}", "",
         f"Written {_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} in `{run.path}`.", ""]
    # ---------------- final numbers
    bases = []
    for k in list(history) + list(test_metrics):
        b = k[4:] if k.startswith("val_") else k
        if b not in bases and not b.startswith("lr") and b not in _BOOKKEEPING:
            bases.append(b)
    has_val = any(k.startswith("val_") for k in history)
    cols = ["training"] + (["validation"] if has_val else []) + (["test"] if test_metrics else [])
    L += ["## Final numbers", "", "| metric | " + " | ".join(cols) + " |",
          "|---" * (len(cols) + 1) + "|"]
    for b in bases:
        row = [_fmt(_last(history, b))]
        if has_val:
            row.append(_fmt(_last(history, "val_" + b)))
        if test_metrics:
            row.append(_fmt(test_metrics.get(b, test_metrics.get("test_" + b))))
        L.append(f"| {b} | " + " | ".join(row) + " |")
    L.append("")
    n_epochs = max((len(v) for v in history.values() if isinstance(v, list)), default=0)
    summary = [f"- Epochs completed: {n_epochs}"]
    for key, better in (("val_loss", min), ("val_accuracy", max)):
        seq = [(v, i) for i, v in enumerate(history.get(key) or []) if v is not None and not
               (isinstance(v, float) and math.isnan(v))]
        if seq:
            v, i = better(seq)
            summary.append(f"- Best {key}: {_fmt(v)} at epoch {i + 1}")
    if test_metrics:
        shown = ", ".join(f"`{k if k.startswith('test_') else 'test_' + k}` = {_fmt(v)}"
                          for k, v in test_metrics.items() if isinstance(v, (int, float)))
        summary.append(f"- Test set: {shown}")
    if history.get("lr"):
        summary.append(f"- Learning rate: {_fmt(history['lr'][0])} at the start, "
                       f"{_fmt(history['lr'][-1])} in the last epoch")
    if model is not None:
        n_params = int(sum(int(np.prod(p.shape)) for p in model.parameters()))
        summary.append(f"- Model: `{type(model).__name__}`, {n_params:,} parameters")
    if config:
        opt = (config.get("optimizer") or {}).get("class")
        if opt:
            summary.append(f"- Optimizer: `{opt}`; config in [config.json](config.json)")
    if stop_reason:
        summary.append(f"- Stopped early: {stop_reason}")
    for note in notes or ():
        summary.append(f"- {note}")
    L += summary + [""]
    # ---------------- per-class accuracy
    if confusion is not None:
        cm = to_numpy(confusion)
        if cm.shape[0] <= 20:
            names = classes or [str(i) for i in range(cm.shape[0])]
            L += ["## Per-class accuracy", "", "| class | samples | correct | accuracy |",
                  "|---|---|---|---|"]
            for i in range(cm.shape[0]):
                tot = int(cm[i].sum())
                rate = _fmt(cm[i, i] / tot if tot else None)
                L.append(f"| {names[i]} | {tot} | {int(cm[i, i])} | {rate} |")
            L.append("")
    # ---------------- plots
    L += ["## Plots", ""]
    if not have_mpl:
        L += ["_Plots skipped: matplotlib is not installed (`pip install glassnet[plots]`)._", ""]
    captions = {"curves": "Loss and metrics per epoch", "confusion": "Confusion matrix",
                "filters": "First-layer filters", "misclassified": "Misclassified examples"}
    for key, cap in captions.items():
        p = plots.get(key)
        if p:
            rel = os.path.relpath(p, run.path).replace(os.sep, "/")
            L += [f"### {cap}", "", f"![{cap}]({rel})", ""]
    # ---------------- history and files
    table = _history_table(history)
    if table:
        L += ["## History", ""] + table + [""]
    files = [f for f in ("config.json", "metrics.jsonl") if os.path.exists(run.join(f))]
    for f in ("last", "best"):
        for ext in (".safetensors", ".npz"):
            if os.path.exists(os.path.join(run.checkpoint_dir, f + ext)):
                files.append(f"checkpoints/{f}{ext}")
    if files:
        L += ["## Files", ""] + [f"- [{f}]({f})" for f in files] + [""]
    return atomic_write_text(run.report_path, "\n".join(L))


def report_from_trainer(trainer, loader=None, test_metrics=None, classes=None, title=None):
    """``write_report`` for a Trainer's run, with predictions on ``loader`` for the confusion
    matrix and the misclassified examples."""
    if trainer.run is None:
        raise ValueError("write_report: the trainer has no run folder (run_dir=False)")
    examples = confusion = None
    if classes is None and loader is not None:
        classes = getattr(getattr(loader, "dataset", None), "classes", None)
    if loader is not None:
        got = collect_predictions(trainer, loader)
        if got is not None:
            y_true, y_pred, wx, wt, wp = got
            k = len(classes) if classes is not None else None
            confusion = confusion_matrix(y_true, y_pred, num_classes=k)
            examples = (wx if len(wx) else np.zeros((0,)), wt, wp)
    return write_report(trainer.run.path, history=trainer.history, test_metrics=test_metrics,
                        model=trainer.model, examples=examples, classes=classes, confusion=confusion,
                        title=title, stop_reason=trainer.stop_reason)
