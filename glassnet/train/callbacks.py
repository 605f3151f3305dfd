"""Callbacks: code that runs at fixed points of ``Trainer.fit`` (Keras-style hooks).

A callback overrides any of::

    on_fit_start(trainer, logs)            before the first epoch
    on_epoch_start(trainer, epoch, logs)   epoch is 0-based
    on_batch_start(trainer, batch, logs)   batch: index within the epoch
    on_batch_end(trainer, batch, logs)     logs: loss, batch metrics, step, epoch, batch_size
    on_epoch_end(trainer, epoch, logs)     logs: loss/metrics, val_loss/val_metrics, lr, time
    on_fit_end(trainer, logs)
    on_exception(trainer, exc)             fit ends with an exception: close files (no saving:
                                           the model may be half-way through an update)

and sees the whole trainer (``trainer.model``, ``trainer.optimizer``, ``trainer.global_step``,
``trainer.history``, ...). When ``fit`` takes up an unfinished epoch (a run resumed from a
mid-epoch checkpoint, or ``fit`` called again after ``max_steps``), ``on_epoch_start`` runs
again with ``trainer.batch_in_epoch > 0``. Setting ``trainer.stop_training = True`` (with a
``trainer.stop_reason``) ends training after the current batch. A callback with state that
matters for resuming returns it from ``state_dict()``; checkpoints save it.

Callbacks run in ``order`` (then as given): learning-rate monitors first, loggers and the
progress bar late, ``ModelCheckpoint`` last, so a checkpoint captures every other callback's
updated state.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from glassnet.io.state import to_numpy

log = logging.getLogger("glassnet.train")

__all__ = [
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "LambdaCallback",
    "LearningRateMonitor",
    "TerminateOnNaN",
    "resolve_mode",
]

_MAX_WORDS = ("acc", "f1", "auc", "precision", "recall", "iou", "score", "r2")


def resolve_mode(monitor: str, mode: str = "auto") -> str:
    """'min' or 'max' for a monitored quantity: 'auto' picks 'max' for accuracy-like names."""
    if mode in ("min", "max"):
        return mode
    if mode != "auto":
        raise ValueError(f"mode must be 'min', 'max' or 'auto', got {mode!r}")
    return "max" if any(w in monitor.lower() for w in _MAX_WORDS) else "min"


def _as_float(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


class Callback:
    """Base class: every hook does nothing."""

    order = 0

    def set_trainer(self, trainer):
        self.trainer = trainer

    def on_fit_start(self, trainer, logs):
        pass

    def on_epoch_start(self, trainer, epoch, logs):
        pass

    def on_batch_start(self, trainer, batch, logs):
        pass

    def on_batch_end(self, trainer, batch, logs):
        pass

    def on_epoch_end(self, trainer, epoch, logs):
        pass

    def on_fit_end(self, trainer, logs):
        pass

    def on_exception(self, trainer, exc):
        """``fit`` is ending with an exception (Ctrl-C, a crash): release files, bars."""

    def state_dict(self) -> dict:
        """Whatever a resumed run needs to continue this callback exactly (JSON/array values)."""
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


class CallbackList:
    """Calls a hook on every callback, in ``order``."""

    def __init__(self, callbacks=()):
        self.callbacks = sorted(callbacks, key=lambda c: getattr(c, "order", 0))

    def __iter__(self):
        return iter(self.callbacks)

    def __len__(self):
        return len(self.callbacks)

    def call(self, hook, *args):
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def keyed(self):
        """``{key: callback}`` with stable keys ('EarlyStopping', 'EarlyStopping_1', ...)."""
        out, seen = {}, {}
        for cb in self.callbacks:
            name = type(cb).__name__
            i = seen.get(name, 0)
            seen[name] = i + 1
            out[name if i == 0 else f"{name}_{i}"] = cb
        return out


class EarlyStopping(Callback):
    """Stop when a monitored quantity has stopped improving (early stopping as regularisation:
    the validation loss rising while the training loss falls means the net starts to overfit).

    Args:
        monitor: key of the epoch logs to watch ('val_loss', 'val_accuracy', 'loss', ...).
        patience: epochs without improvement to wait before stopping.
        mode: 'min', 'max', or 'auto' (max for accuracy-like names).
        min_delta: the smallest change that counts as an improvement.
        restore_best_weights: at the end of fit, load the weights of the best epoch.
        baseline: a value the quantity must beat before anything counts as improvement.
        start_from_epoch: epochs of warm-up before improvement is judged.
    """

    def __init__(self, monitor="val_loss", patience=0, mode="auto", min_delta=0.0,
                 restore_best_weights=False, baseline=None, start_from_epoch=0, verbose=True):
        self.monitor = monitor
        self.patience = int(patience)
        self.mode = resolve_mode(monitor, mode)
        self.min_delta = abs(float(min_delta))
        self.restore_best_weights = bool(restore_best_weights)
        self.baseline = baseline
        self.start_from_epoch = int(start_from_epoch)
        self.verbose = verbose
        self._warned = False
        self.reset()

    def reset(self):
        self.wait = 0
        self.best = (math.inf if self.mode == "min" else -math.inf) if self.baseline is None \
            else float(self.baseline)
        self.best_epoch = None
        self.best_weights = None
        self.stopped_epoch = None

    def _improved(self, current):
        if self.mode == "min":
            return current < self.best - self.min_delta
        return current > self.best + self.min_delta

    def on_fit_start(self, trainer, logs):
        if not trainer.resuming:
            self.reset()

    def on_epoch_end(self, trainer, epoch, logs):
        current = _as_float(logs.get(self.monitor))
        if current is None:
            if not self._warned:
                log.warning("EarlyStopping: %r is not in the epoch logs (available: %s); not stopping",
                            self.monitor, ", ".join(sorted(logs)))
                self._warned = True
            return
        if epoch < self.start_from_epoch:
            return
        if self._improved(current):
            self.best, self.best_epoch, self.wait = current, epoch, 0
            if self.restore_best_weights:
                self.best_weights = {k: to_numpy(v).copy()
                                     for k, v in trainer.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            trainer.stop_training = True
            best = ("none yet" if self.best_epoch is None
                    else f"best {self.best:.6g} at epoch {self.best_epoch + 1}")
            trainer.stop_reason = (f"EarlyStopping: {self.monitor} did not improve for {self.wait} "
                                   f"epoch(s) ({best}); stopped after epoch {epoch + 1}")

    def on_fit_end(self, trainer, logs):
        if self.restore_best_weights and self.best_weights is not None:
            from glassnet.tensor import Tensor

            trainer.model.load_state_dict({k: Tensor(v) for k, v in self.best_weights.items()})
            if self.verbose:
                trainer.log(f"EarlyStopping: restored the weights of epoch {self.best_epoch + 1} "
                            f"({self.monitor} = {self.best:.6g})")

    def state_dict(self):
        return {"wait": self.wait, "best": self.best, "best_epoch": self.best_epoch,
                "stopped_epoch": self.stopped_epoch, "best_weights": self.best_weights}

    def load_state_dict(self, state):
        self.wait = int(state.get("wait", 0))
        self.best = float(state.get("best", self.best))
        self.best_epoch = state.get("best_epoch")
        self.stopped_epoch = state.get("stopped_epoch")
        bw = state.get("best_weights")
        self.best_weights = None if bw is None else {k: to_numpy(v).copy() for k, v in bw.items()}


class TerminateOnNaN(Callback):
    """Stop as soon as the training loss is NaN or infinite, naming the step.

    The weights after such a step are garbage; ``ModelCheckpoint`` refuses to save them (it
    also checks the weights themselves), so the last good checkpoint stays on disk.
    """

    order = -5

    def on_batch_end(self, trainer, batch, logs):
        loss = _as_float(logs.get("loss"))
        if loss is not None and not math.isfinite(loss):
            trainer.stop_training = True
            trainer.nonfinite_step = trainer.global_step
            trainer.stop_reason = (
                f"TerminateOnNaN: the loss became {loss} at step {trainer.global_step} "
                f"(epoch {trainer.epoch + 1}, batch {batch + 1}); training stopped, "
                "the last good checkpoint is kept")


class LearningRateMonitor(Callback):
    """Log the learning rate of every parameter group.

    The trainer always logs ``lr`` (group 0, as used during the epoch). This adds ``lr_group<i>``
    for the other groups to the epoch logs and history, and with
    ``logging_interval='step'`` an ``lr`` entry to every batch's logs (for per-step logging
    of a warm-up or one-cycle schedule). ``self.lrs`` keeps ``(step, [lr per group])``.
    """

    order = -10

    def __init__(self, logging_interval="epoch"):
        if logging_interval not in ("epoch", "step"):
            raise ValueError(f"LearningRateMonitor: logging_interval must be 'epoch' or 'step', "
                             f"got {logging_interval!r}")
        self.logging_interval = logging_interval
        self.lrs = []
        self._epoch_lrs = None

    @staticmethod
    def _current(trainer):
        return [float(g["lr"]) for g in trainer.optimizer.param_groups]

    def on_epoch_start(self, trainer, epoch, logs):
        if trainer.batch_in_epoch and self._epoch_lrs is not None:
            return  # an unfinished epoch taken up again: its rates were recorded at its start
        self._epoch_lrs = self._current(trainer)
        if self.logging_interval == "epoch":
            self.lrs.append((trainer.global_step, self._epoch_lrs))

    def on_batch_start(self, trainer, batch, logs):
        if self.logging_interval == "step":
            self._step_lrs = self._current(trainer)

    def on_batch_end(self, trainer, batch, logs):
        if self.logging_interval == "step":
            lrs = getattr(self, "_step_lrs", None) or self._current(trainer)
            logs["lr"] = lrs[0]
            self.lrs.append((trainer.global_step, lrs))

    def on_epoch_end(self, trainer, epoch, logs):
        lrs = self._epoch_lrs or self._current(trainer)
        for i, lr in enumerate(lrs[1:], start=1):
            logs[f"lr_group{i}"] = lr
            trainer.history.setdefault(f"lr_group{i}", []).append(lr)

    def state_dict(self):
        return {"epoch_lrs": self._epoch_lrs}

    def load_state_dict(self, state):
        lrs = state.get("epoch_lrs")
        self._epoch_lrs = None if lrs is None else [float(v) for v in lrs]


class LambdaCallback(Callback):
    """A callback from functions: ``LambdaCallback(on_epoch_end=lambda trainer, epoch, logs: ...)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if not name.startswith("on_") or not hasattr(Callback, name):
                raise ValueError(f"LambdaCallback: unknown hook {name!r}")
            setattr(self, name, fn)


def finite_weights(model) -> bool:
    """True when every parameter and buffer of ``model`` is finite."""
    for v in model.state_dict().values():
        a = to_numpy(v)
        if a.dtype.kind in "fc" and not np.isfinite(a).all():
            return False
    return True
