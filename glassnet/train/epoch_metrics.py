"""Per-batch metric sums that add up to exact epoch metrics.

Every metric is kept as ``(sum, count)`` over the epoch, so the epoch value is the mean over
all samples, not a mean of batch means (which would over-weight a small last batch).
"""

from __future__ import annotations

import math

import numpy as np

from glassnet.io.state import to_numpy
from glassnet.train.metrics import correct_count, top_k_count


def accuracy_count(output, target) -> tuple[float, int]:
    """(number correct, number of samples) of a batch, by ``glassnet.train.metrics``' rule."""
    correct, n = correct_count(output, target)
    return float(correct), n


accuracy_count.sum_count = True


def _top_k(name):
    """k from 'top5', 'top5_accuracy', 'top_5_accuracy'; None for other names."""
    core = name.removesuffix("_accuracy").removeprefix("top").lstrip("_")
    return int(core) if name.startswith("top") and core.isdigit() and int(core) > 0 else None


def _top_k_count(k):
    """(sum, count) of top-k hits: the target is among the k highest scores (the ImageNet
    top-5 measure)."""

    def count(output, target):
        hits, n = top_k_count(output, target, k)
        return float(hits), n

    count.sum_count = True
    return count


def _named(fn, name=None):
    return name or getattr(fn, "__name__", type(fn).__name__)


def resolve_metrics(metrics):
    """``('accuracy', fn, ...)`` -> ``[(name, batch_fn)]`` with ``batch_fn(out, y) -> (sum, count)``.

    A callable ``fn(output, target)`` returning a number is treated as a batch mean and
    weighted by the batch size; ``('name', fn)`` pairs set the name.
    """
    out = []
    for m in metrics or ():
        if isinstance(m, tuple) and len(m) == 2 and getattr(m[1], "sum_count", False):
            out.append(m)  # already resolved
            continue
        if isinstance(m, str):
            if m in ("accuracy", "acc"):
                out.append(("accuracy", accuracy_count))
                continue
            k = _top_k(m)
            if k is not None:
                out.append((f"top{k}_accuracy", _top_k_count(k)))
                continue
            raise ValueError(f"Trainer: unknown metric {m!r}; use 'accuracy', 'top5_accuracy' "
                             "(any k) or pass a callable fn(output, target) -> float")
        name, fn = (m if isinstance(m, tuple) else (None, m))
        if not callable(fn):
            raise TypeError(f"Trainer: a metric must be a name or a callable, got {type(fn).__name__}")

        def batch_fn(o, y, _fn=fn):
            v = _fn(o, y)
            n = int(np.shape(to_numpy(y))[0]) if np.ndim(to_numpy(y)) else 1
            v = float(to_numpy(v)) if not isinstance(v, (int, float)) else float(v)
            return v * n, n

        batch_fn.sum_count = True
        out.append((_named(fn, name), batch_fn))
    return out


class Accumulator:
    """Running sums of the loss and each metric over one epoch (JSON-safe state for resuming)."""

    def __init__(self, names):
        self.names = list(names)
        self.reset()

    def reset(self):
        self.loss_sum = 0.0
        self.count = 0
        self.sums = {n: 0.0 for n in self.names}
        self.counts = {n: 0 for n in self.names}

    def add_loss(self, value: float, n: int):
        self.loss_sum += value * n
        self.count += n

    def add(self, name, s, c):
        self.sums[name] += s
        self.counts[name] += c

    def means(self, prefix="") -> dict:
        out = {f"{prefix}loss": self.loss_sum / self.count if self.count else math.nan}
        for n in self.names:
            out[f"{prefix}{n}"] = self.sums[n] / self.counts[n] if self.counts[n] else math.nan
        return out

    def state_dict(self):
        return {"loss_sum": self.loss_sum, "count": self.count, "sums": dict(self.sums),
                "counts": dict(self.counts)}

    def load_state_dict(self, st):
        self.loss_sum, self.count = float(st["loss_sum"]), int(st["count"])
        self.sums = {n: float(st["sums"].get(n, 0.0)) for n in self.names}
        self.counts = {n: int(st["counts"].get(n, 0)) for n in self.names}
