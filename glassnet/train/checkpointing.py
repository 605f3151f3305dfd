"""ModelCheckpoint: keep the best and the last state of a run on disk.

``last`` is a complete resume point (model, optimiser, scheduler, RNG states, loader position,
epoch, step, history, callback states): ``Trainer.fit(..., resume_from=".../last.safetensors")``
continues the run as if it had never stopped. ``best`` is the same kind of file, written when
the monitored quantity improves.
"""

from __future__ import annotations

import logging
import math
import os

from glassnet.train.callbacks import Callback, finite_weights, resolve_mode

log = logging.getLogger("glassnet.train")

__all__ = ["ModelCheckpoint"]


class ModelCheckpoint(Callback):
    """Save ``best.*`` and ``last.*`` checkpoints (safetensors + JSON).

    Args:
        dirpath: folder for the files (default: the run folder's ``checkpoints/``).
        monitor: epoch-log key deciding "best" ('val_loss', 'val_accuracy', ...); when it is
            missing from the logs, ``best`` is not written (a note is logged once).
        mode: 'min', 'max' or 'auto'.
        save_best, save_last: which files to keep.
        every_n_steps: also save ``last`` every N optimisation steps (a mid-epoch resume point;
            one written after an epoch's last step resumes with that epoch's end).
        best_name, last_name: file names without extension.

    A checkpoint is never written when the model's weights are not finite or the trainer has
    seen a non-finite loss since the last save: the previous, good file stays.
    """

    order = 100

    def __init__(self, dirpath=None, monitor="val_loss", mode="auto", save_best=True, save_last=True,
                 every_n_steps=None, best_name="best", last_name="last", verbose=False):
        self.dirpath = None if dirpath is None else os.fspath(dirpath)
        self.monitor = monitor
        self.mode = resolve_mode(monitor, mode)
        self.save_best = bool(save_best)
        self.save_last = bool(save_last)
        self.every_n_steps = int(every_n_steps) if every_n_steps else None
        self.best_name, self.last_name = best_name, last_name
        self.verbose = verbose
        self.best_score = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None
        self.best_path = None
        self.last_path = None
        self._last_saved_step = None
        self._warned = False

    # ------------------------------------------------------------------ paths
    def _dir(self, trainer):
        if self.dirpath is None:
            if trainer.run is None:
                raise ValueError("ModelCheckpoint: no dirpath given and the trainer has no run folder "
                                 "(run_dir=False); pass ModelCheckpoint(dirpath=...)")
            self.dirpath = trainer.run.checkpoint_dir
        return self.dirpath

    def _save(self, trainer, name, reason):
        if getattr(trainer, "nonfinite_step", None) is not None or not finite_weights(trainer.model):
            step = getattr(trainer, "nonfinite_step", None) or trainer.global_step
            log.warning("ModelCheckpoint: not saving %s at step %s: the weights or loss are not "
                        "finite; keeping the previous checkpoint", name, step)
            return None
        path = trainer.save_checkpoint(os.path.join(self._dir(trainer), name + ".safetensors"))
        if self.verbose:
            trainer.log(f"ModelCheckpoint: saved {path} ({reason})")
        return path

    def _improved(self, value):
        if self.mode == "min":
            return value < self.best_score
        return value > self.best_score

    # ------------------------------------------------------------------ hooks
    def on_fit_start(self, trainer, logs):
        self._dir(trainer)
        if not trainer.resuming:
            self._last_saved_step = None

    def on_batch_end(self, trainer, batch, logs):
        if self.every_n_steps and self.save_last and trainer.global_step % self.every_n_steps == 0 \
                and not trainer.stop_training:
            self._save_last(trainer, f"step {trainer.global_step}")

    def _save_last(self, trainer, reason):
        path = self._save(trainer, self.last_name, reason)
        if path is not None:
            self.last_path = path
            self._last_saved_step = trainer.global_step

    def on_epoch_end(self, trainer, epoch, logs):
        if self.save_best:
            value = logs.get(self.monitor)
            try:
                value = float(value)
            except (TypeError, ValueError):
                value = None
            if value is None:
                if not self._warned:
                    log.warning("ModelCheckpoint: %r is not in the epoch logs (available: %s); "
                                "not writing a best checkpoint", self.monitor, ", ".join(sorted(logs)))
                    self._warned = True
            elif not math.isnan(value) and self._improved(value):
                old = (self.best_score, self.best_epoch)
                self.best_score, self.best_epoch = value, epoch
                path = self._save(trainer, self.best_name, f"{self.monitor} = {value:.6g}")
                if path is None:
                    self.best_score, self.best_epoch = old
                else:
                    self.best_path = path
        if self.save_last:
            self._save_last(trainer, f"epoch {epoch + 1}")

    def on_fit_end(self, trainer, logs):
        if self.save_last and self._last_saved_step != trainer.global_step:
            self._save_last(trainer, f"end of fit, step {trainer.global_step}")

    def state_dict(self):
        return {"best_score": self.best_score, "best_epoch": self.best_epoch,
                "best_path": self.best_path, "last_path": self.last_path}

    def load_state_dict(self, state):
        self.best_score = float(state.get("best_score", self.best_score))
        self.best_epoch = state.get("best_epoch")
        self.best_path = state.get("best_path")
        self.last_path = state.get("last_path")
