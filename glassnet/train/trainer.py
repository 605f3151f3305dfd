"""Trainer: the mini-batch training loop, written once, with callbacks, checkpoints and a run folder.

The loop is the lectures' recipe for mini-batch stochastic gradient descent, in PyTorch's
words::

    for epoch in range(epochs):
        for x, y in train_loader:              # a fresh shuffle every epoch
            optimizer.zero_grad()
            loss = loss_fn(model(x), y)        # forward
            loss.backward()                    # backpropagation: the chain rule over the graph
            optimizer.step()                   # w <- w - lr * dL/dw (or momentum, Adam, ...)
        evaluate(val_loader)                   # generalisation, measured on held-out data

``Trainer`` adds what a real run needs around it: metrics accumulated exactly over each epoch,
Keras-style callbacks (early stopping, checkpoints, loggers, a progress bar), learning-rate
schedules per epoch or per step, gradient clipping, and a run folder with ``config.json``,
``metrics.jsonl``, checkpoints and a ``report.md`` with plots.

Checkpoints hold the complete state (model, optimiser, scheduler, every RNG, the loader's
position inside its epoch, counters, history, callback states), so a run stopped after any
step and resumed with ``fit(..., resume_from=...)`` ends with bit-for-bit the same weights as
one that never stopped.
"""

from __future__ import annotations

import logging
import math
import os
import time

import numpy as np

from glassnet.io.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from glassnet.io.state import capture_rng_state, json_safe, restore_rng_state, to_numpy
from glassnet.train.callbacks import CallbackList
from glassnet.train.checkpointing import ModelCheckpoint
from glassnet.train.epoch_metrics import Accumulator, resolve_metrics
from glassnet.train.evaluation import (
    batch_len,
    evaluate,
    forward,
    predict,
    to_batch_tensor,
    unpack_batch,
)
from glassnet.train.loggers import JSONLLogger
from glassnet.train.progress import ProgressBar
from glassnet.train.run import RunDir, describe_config

log = logging.getLogger("glassnet.train")

__all__ = ["Trainer"]


class Trainer:
    """Train, evaluate and predict with a model.

    Args:
        model: a Module; ``model(x)`` gives outputs.
        optimizer: an Optimizer over the model's parameters.
        loss: ``loss(output, target) -> scalar Tensor`` (e.g. ``nn.CrossEntropyLoss()``), a
            batch mean (epoch losses are size-weighted means of it).
        metrics: names ('accuracy') or callables ``fn(output, target) -> number``.
        scheduler: a learning-rate scheduler, stepped every epoch or every step
            (``scheduler_interval``); ``ReduceLROnPlateau`` gets ``logs[scheduler_monitor]``.
        callbacks: Callback objects (see ``glassnet.train.callbacks``).
        device: 'cpu' or 'cuda'; the model and every batch are moved there.
        run_dir: the run folder; None makes ``runs/<time>-<Model>``; False writes nothing.
        progress: True (a bar in a terminal, a line per epoch otherwise), False, or a
            ProgressBar mode ('bar', 'lines').
        grad_clip: max global L2 norm of the gradients (a number), or ``("value", v)`` to clip
            each gradient element to [-v, v].
        log_every_n_steps: also write a step record to ``metrics.jsonl`` every N steps.
        config: extra settings to record in ``config.json`` (e.g. the command line).
        report: write ``report.md`` and plots at the end of ``fit`` (needs a run folder).
    """

    def __init__(self, model, optimizer, loss, metrics=("accuracy",), scheduler=None, callbacks=(),
                 device="cpu", run_dir=None, progress=True, grad_clip=None, scheduler_interval="epoch",
                 scheduler_monitor="val_loss", log_every_n_steps=None, config=None, report=True,
                 run_root="runs"):
        if scheduler_interval not in ("epoch", "step"):
            raise ValueError(f"Trainer: scheduler_interval must be 'epoch' or 'step', "
                             f"got {scheduler_interval!r}")
        if not callable(loss):
            raise TypeError(f"Trainer: loss must be callable as loss(output, target), "
                            f"got {type(loss).__name__}")
        self.model, self.optimizer, self.loss_fn = model, optimizer, loss
        self.metrics = resolve_metrics(metrics)
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.scheduler_monitor = scheduler_monitor
        self.device = device
        self.grad_clip = grad_clip
        self.progress = progress
        self.log_every_n_steps = log_every_n_steps
        self.user_config = json_safe(config) if config else None
        self.report = report
        self._run_spec, self._run_root = run_dir, run_root
        self.run = None if run_dir is None or run_dir is False else RunDir(run_dir)
        self._user_callbacks = list(callbacks)
        self.callbacks = CallbackList(self._user_callbacks)
        self.history: dict[str, list] = {}
        self.epoch = 0              # completed epochs
        self.global_step = 0        # optimisation steps taken
        self.batch_in_epoch = 0     # batches done in the current (unfinished) epoch
        self.epochs = None
        self.stop_training = False
        self.stop_reason = None
        self.nonfinite_step = None
        self.resuming = False
        self.last_logs = {}
        self.train_loader = None
        self._acc = Accumulator([n for n, _ in self.metrics])
        self._epoch_lr = None
        self._resume_state = None
        self._skip_batches = False
        self._epoch_end_pending = False
        self._epoch_time = 0.0
        if str(device) != "cpu":
            self.model.to(device)

    # ------------------------------------------------------------------ small helpers
    def log(self, message, level=logging.INFO):
        """Print ``message`` when progress output is on, else send it to the logging module."""
        if self.progress:
            print(message, flush=True)
        else:
            log.log(level, message)

    @property
    def steps_per_epoch(self):
        try:
            return len(self.train_loader)
        except TypeError:
            return None

    @property
    def epoch_samples(self):
        return self._acc.count

    def running_logs(self) -> dict:
        """Means of the loss and metrics over the current epoch so far."""
        return self._acc.means()

    def _lr(self):
        groups = getattr(self.optimizer, "param_groups", None)
        return float(groups[0]["lr"]) if groups else None

    def _build_callbacks(self, val_loader):
        cbs = list(self._user_callbacks)
        if self.run is not None:
            if not any(isinstance(c, JSONLLogger)
                       and os.path.abspath(c.filename) == self.run.metrics_path for c in cbs):
                cbs.append(JSONLLogger(self.run.metrics_path, every_n_steps=self.log_every_n_steps))
            if not any(isinstance(c, ModelCheckpoint) for c in cbs):
                cbs.append(ModelCheckpoint(self.run.checkpoint_dir,
                                           monitor="val_loss" if val_loader is not None else "loss"))
        if self.progress and not any(isinstance(c, ProgressBar) for c in cbs):
            cbs.append(ProgressBar(mode="auto" if self.progress is True else self.progress))
        self.callbacks = CallbackList(cbs)
        for c in self.callbacks:
            c.set_trainer(self)

    # ------------------------------------------------------------------ one step
    def _train_step(self, batch):
        x, y = unpack_batch(batch)
        x, y = to_batch_tensor(x, self.device), to_batch_tensor(y, self.device)
        b = self.batch_in_epoch
        self.callbacks.call("on_batch_start", self, b, {})
        self.optimizer.zero_grad()
        out = forward(self.model, x)
        loss = self.loss_fn(out, y)
        loss.backward()
        if self.grad_clip is not None:
            self._clip_gradients()
        self.optimizer.step()
        if self.scheduler is not None and self.scheduler_interval == "step":
            self._step_scheduler({})
        self.global_step += 1
        self.batch_in_epoch += 1
        value = float(loss.item())
        n = batch_len(x)
        self._acc.add_loss(value, n)
        logs = {"loss": value}
        if self.metrics and y is not None:
            out_np, y_np = to_numpy(out._data), to_numpy(y._data)
            for name, fn in self.metrics:
                s, c = fn(out_np, y_np)
                self._acc.add(name, s, c)
                logs[name] = s / c if c else math.nan
        logs.update(batch_size=n, epoch=self.epoch + 1, step=self.global_step)
        self.callbacks.call("on_batch_end", self, b, logs)
        return logs

    def _clip_gradients(self):
        from glassnet.nn.utils import clip_grad_norm_, clip_grad_value_

        params = [p for g in self.optimizer.param_groups for p in g["params"]]
        clip = self.grad_clip
        if isinstance(clip, (tuple, list)) and clip and clip[0] == "value":
            clip_grad_value_(params, float(clip[1]))
        elif isinstance(clip, dict):
            clip_grad_norm_(params, float(clip["max_norm"]), float(clip.get("norm_type", 2.0)))
        else:
            clip_grad_norm_(params, float(clip))

    def _step_scheduler(self, logs):
        if type(self.scheduler).__name__ == "ReduceLROnPlateau":
            key = self.scheduler_monitor if self.scheduler_monitor in logs else "loss"
            if key in logs:
                self.scheduler.step(logs[key])
        else:
            self.scheduler.step()

    # ------------------------------------------------------------------ fit
    def fit(self, train_loader, val_loader=None, epochs=1, max_steps=None, resume_from=None):
        """Train until ``epochs`` epochs are complete (counting any resumed ones).

        Args:
            train_loader: an iterable of ``(x, y)`` batches (a DataLoader; give it
                ``shuffle=True`` for SGD's per-epoch shuffle).
            val_loader: evaluated after every epoch; its numbers appear as ``val_*``.
            epochs: the total number of epochs of the run.
            max_steps: stop after this many optimisation steps in all (mid-epoch allowed; the
                ``last`` checkpoint then records the exact position).
            resume_from: a checkpoint file or run folder to continue from (see ``resume``).
        Returns the history: ``{"loss": [...], "accuracy": [...], "val_loss": [...], "lr": [...]}``.
        """
        if resume_from is not None:
            self.resume(resume_from)
        if self.run is None and self._run_spec is None:
            self.run = RunDir(None, root=self._run_root, name=type(self.model).__name__)
        self.train_loader, self.val_loader, self.epochs = train_loader, val_loader, int(epochs)
        self.stop_training, self.stop_reason, self.nonfinite_step = False, None, None
        self._build_callbacks(val_loader)
        state, self._resume_state = self._resume_state, None
        self.resuming = state is not None
        self._epoch_end_pending = self._skip_batches = False
        if state is not None:
            self._apply_resume(state, train_loader)
        elif self.batch_in_epoch:
            self._continue_epoch(train_loader)
        self._write_config(state)
        self.callbacks.call("on_fit_start", self, {})
        if state is not None and state.get("rng") is not None:
            restore_rng_state(state["rng"])  # last: nothing between here and the loop draws
        self.resuming = False
        if self.epoch >= self.epochs:
            self.log(f"fit: nothing to do, {self.epoch} of epochs={self.epochs} already done "
                     "(epochs counts the whole run, resumed epochs included)")
        try:
            self._loop(train_loader, val_loader, max_steps)
        except BaseException as exc:
            for cb in self.callbacks:
                cb.on_exception(self, exc)
            raise
        if max_steps is not None and self.global_step >= max_steps and self.epoch < self.epochs \
                and self.stop_reason is None:
            self.stop_reason = (f"stopped at max_steps={max_steps} "
                                f"(epoch {self.epoch + 1}, step {self.global_step})")
        self.callbacks.call("on_fit_end", self, dict(self.last_logs))
        if self.stop_reason:
            level = logging.WARNING if self.nonfinite_step is not None else logging.INFO
            self.log(self.stop_reason, level)
        if self.run is not None and self.report:
            self.write_report(val_loader)
        return self.history

    def _loop(self, train_loader, val_loader, max_steps):
        while self.epoch < self.epochs and not self.stop_training:
            if max_steps is not None and self.global_step >= max_steps:
                break
            broke = self._run_epoch(train_loader, max_steps)
            n = self.steps_per_epoch
            complete = not broke or (n is not None and self.batch_in_epoch >= n
                                     and self.nonfinite_step is None)
            if not complete:
                break
            self._end_epoch(val_loader)

    def _run_epoch(self, loader, max_steps):
        """Train over (the rest of) one epoch; True when it stopped early."""
        if self.batch_in_epoch == 0:
            self._acc.reset()
            self._epoch_lr = self._lr()
            self._epoch_time = 0.0
        self.callbacks.call("on_epoch_start", self, self.epoch, {})
        self.model.train()
        if self._epoch_end_pending:
            # taken up after a stop at the epoch's last step: every batch is done, only the
            # epoch's end (validation, schedule, history, callbacks) is left
            self._epoch_end_pending = False
            return False
        skip = self.batch_in_epoch if self._skip_batches else 0
        self._skip_batches = False
        t0 = time.perf_counter()
        try:
            for batch in loader:
                if skip:  # an iterable without state: fast-forward to the saved position
                    skip -= 1
                    continue
                self._train_step(batch)
                if self.stop_training or (max_steps is not None and self.global_step >= max_steps):
                    return True
            return False
        finally:
            self._epoch_time += time.perf_counter() - t0

    def _end_epoch(self, val_loader):
        e = self.epoch
        logs = self._acc.means()
        if val_loader is not None:
            logs.update(self.evaluate(val_loader, prefix="val_"))
        logs["lr"] = self._epoch_lr
        if self.scheduler is not None and self.scheduler_interval == "epoch":
            self._step_scheduler(logs)
        self.epoch += 1
        self.batch_in_epoch = 0
        for k, v in logs.items():
            self.history.setdefault(k, []).append(v)
        logs.update(epoch=e + 1, step=self.global_step, time=self._epoch_time,
                    samples_per_s=self._acc.count / self._epoch_time if self._epoch_time > 0 else 0.0)
        self._acc.reset()
        self.last_logs = logs
        self.callbacks.call("on_epoch_end", self, e, logs)

    # ------------------------------------------------------------------ evaluation
    def evaluate(self, loader, prefix="", batch_size=256) -> dict:
        """Loss and metrics over a whole dataset (eval mode, no gradients).

        ``loader``: a DataLoader, any iterable of ``(x, y)`` batches, or ``(X, y)`` arrays.
        Returns ``{"loss": ..., "accuracy": ...}`` with keys prefixed by ``prefix``.
        """
        return evaluate(self.model, loader, self.loss_fn, self.metrics, self.device, batch_size,
                        prefix)

    def predict(self, data, batch_size=256, probabilities=False) -> np.ndarray:
        """Model outputs for every sample, as one NumPy array (see ``glassnet.train.predict``)."""
        return predict(self.model, data, self.device, batch_size, probabilities)

    # ------------------------------------------------------------------ checkpoints
    def state(self) -> dict:
        """The trainer's own counters and history (JSON-safe), as saved in checkpoints."""
        return {"epoch": self.epoch, "global_step": self.global_step,
                "batch_in_epoch": self.batch_in_epoch, "epochs": self.epochs,
                "epoch_lr": self._epoch_lr, "accumulator": self._acc.state_dict(),
                "history": self.history}

    def save_checkpoint(self, path) -> str:
        """Save everything needed to continue this run exactly; returns the tensor file path."""
        loader = self.train_loader
        extra = {"trainer": self.state(), "rng": capture_rng_state(),
                 "loader": loader.state_dict() if hasattr(loader, "state_dict") else None,
                 "callbacks": {k: cb.state_dict() for k, cb in self.callbacks.keyed().items()},
                 "logs": json_safe(self.last_logs)}
        return save_checkpoint(path, model=self.model, optimizer=self.optimizer,
                               scheduler=self.scheduler, extra=extra)

    def resume(self, path):
        """Load a checkpoint (file, or run folder: its ``checkpoints/last.*``) into this trainer.

        Model, optimiser and scheduler are restored now; the loader position and RNG states
        when ``fit`` next starts, which then continues the run where it stopped (``epochs`` in
        ``fit`` is the run's total). Returns ``self``.
        """
        path = os.fspath(path)
        if os.path.isdir(path):
            found = RunDir(path).last_checkpoint()
            if found is None:
                raise CheckpointError(f"Trainer.resume: {path} has no checkpoints/last.safetensors")
            path = found
        ck = load_checkpoint(path)
        extra = ck.get("extra") or {}
        st = extra.get("trainer")
        if st is None:
            raise CheckpointError(f"Trainer.resume: {ck['path']} is not a Trainer checkpoint "
                                  "(no trainer state); load weights with glassnet.io.load_checkpoint")
        self.model.load_state_dict(ck["model"])
        self.optimizer.load_state_dict(ck["optimizer"])
        if self.scheduler is not None:
            if ck.get("scheduler") is None:
                raise CheckpointError(f"Trainer.resume: {ck['path']} has no scheduler state, but this "
                                      f"trainer has a {type(self.scheduler).__name__}")
            self.scheduler.load_state_dict(ck["scheduler"])
        self.epoch, self.global_step = int(st["epoch"]), int(st["global_step"])
        self.batch_in_epoch = int(st["batch_in_epoch"])
        self._epoch_lr = st.get("epoch_lr")
        self._acc.load_state_dict(st["accumulator"])
        self._epoch_time = 0.0
        self.history = {k: list(v) for k, v in st.get("history", {}).items()}
        self._resume_state = extra
        ck_dir = os.path.dirname(os.path.abspath(ck["path"]))
        if self._run_spec is None and os.path.basename(ck_dir) == "checkpoints":
            self.run = RunDir(os.path.dirname(ck_dir))
        return self

    def _apply_resume(self, state, train_loader):
        if self.global_step:  # the optimiser has stepped in this run (before the checkpoint): no
            self.optimizer._opt_called = True  # "scheduler stepped first" warning at the epoch end
        self._position_loader(train_loader, state.get("loader"))
        saved = state.get("callbacks") or {}
        for key, cb in self.callbacks.keyed().items():
            if saved.get(key):
                cb.load_state_dict(saved[key])

    def _continue_epoch(self, loader):
        """``fit`` called again after a stop inside an epoch (``max_steps``, a callback): the
        loader takes up that epoch where it stopped, with the same permutation."""
        try:
            st = loader.state_dict() if hasattr(loader, "load_state_dict") else None
        except TypeError:  # a stream has no position
            st = None
        self._position_loader(loader, st if st is not None and st.get("in_epoch") else None)

    def _position_loader(self, loader, loader_state):
        """Make the next ``iter(loader)`` go on where the run stands (``batch_in_epoch``).

        ``loader_state`` (None: none known) is the loader's own record of its position. A run
        that stopped after an epoch's last step (a step checkpoint, ``max_steps``) holds
        ``batch_in_epoch == steps_per_epoch``: the epoch's batches are all done but its end
        has not run, so the next epoch runs only that end, with no further batch nor a new
        shuffle before it. A loader without a saved state is fast-forwarded by skipping the
        batches already done.
        """
        n = self.steps_per_epoch
        self._epoch_end_pending = bool(self.batch_in_epoch) and n is not None \
            and self.batch_in_epoch >= n
        if loader_state is not None and hasattr(loader, "load_state_dict"):
            if self._epoch_end_pending:  # its epoch is over: the next iter() starts a new one
                loader_state = dict(loader_state, in_epoch=False)
            loader.load_state_dict(loader_state)
        elif self.batch_in_epoch and not self._epoch_end_pending:
            self._skip_batches = True

    def _write_config(self, resume_state):
        if self.run is None:
            return
        old = self.run.read_config() if resume_state is not None else None
        if old is not None:
            old.setdefault("resumed", []).append({"at_step": self.global_step, "at_epoch": self.epoch,
                                                  "time": time.strftime("%Y-%m-%dT%H:%M:%S")})
            self.run.write_config(old)
        else:
            self.run.write_config(describe_config(self, self.train_loader, self.val_loader,
                                                  self.epochs))

    # ------------------------------------------------------------------ report
    def write_report(self, loader=None, test_metrics=None, classes=None, title=None):
        """Write ``report.md`` and its plots into the run folder; returns the report's path.

        With a ``loader`` (validation or test data) the report gets a confusion matrix and a
        grid of misclassified examples computed from it.
        """
        from glassnet.train.report import report_from_trainer

        return report_from_trainer(self, loader, test_metrics=test_metrics, classes=classes,
                                   title=title)
