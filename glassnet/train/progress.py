"""ProgressBar: a live bar in a terminal, one short line per epoch anywhere else.

In a terminal (and with ``tqdm`` installed) each epoch shows a bar with the running loss and
accuracy and the throughput in samples per second. When stdout is not a terminal (a log file,
CI, a notebook's captured output) it prints one line per epoch instead::

    epoch 3/10  loss 0.2314  accuracy 0.9312  val_loss 0.2501  val_accuracy 0.9260  4213 samples/s
"""

from __future__ import annotations

import math
import os
import sys
import time

from glassnet.train.callbacks import Callback

__all__ = ["ProgressBar", "format_logs"]

_HIDDEN = {"epoch", "step", "time", "samples_per_s", "batch", "batch_size", "type"}


def _fmt(v):
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.4g}" if abs(v) < 1e-3 and v != 0 else f"{v:.4f}"
    return str(v)


def format_logs(logs: dict) -> str:
    """'loss 0.2314  accuracy 0.9312  ...' from a logs dict (bookkeeping keys left out)."""
    return "  ".join(f"{k} {_fmt(v)}" for k, v in logs.items() if k not in _HIDDEN)


class ProgressBar(Callback):
    """Show training progress.

    Args:
        stream: where to write (default ``sys.stdout``).
        mode: 'auto' (a bar when the stream is a terminal and tqdm is installed, else lines),
            'bar', 'lines', or 'off'.
        refresh_every: seconds between postfix updates of the bar.
    """

    order = 20

    def __init__(self, stream=None, mode="auto", refresh_every=0.2):
        if mode not in ("auto", "bar", "lines", "off"):
            raise ValueError(f"ProgressBar: mode must be 'auto', 'bar', 'lines' or 'off', "
                             f"got {mode!r}")
        self.stream = stream
        self.mode = mode
        self.refresh_every = float(refresh_every)
        self._bar = None

    def _out(self):
        return self.stream if self.stream is not None else sys.stdout

    def _use_bar(self):
        if self.mode in ("lines", "off"):
            return False
        try:
            import tqdm  # noqa: F401
        except ImportError:
            return False
        if self.mode == "bar":
            return True
        isatty = getattr(self._out(), "isatty", None)
        return bool(isatty and isatty())

    def on_epoch_start(self, trainer, epoch, logs):
        self._t0 = time.perf_counter()
        self._last = 0.0
        if self._use_bar():
            from tqdm.auto import tqdm

            try:  # a terminal that reports no size (some ptys) gets a fixed width
                size = os.get_terminal_size(self._out().fileno())
                sized = size.columns > 0 and size.lines > 0
            except (AttributeError, OSError, ValueError):
                sized = False
            self._bar = tqdm(total=trainer.steps_per_epoch, initial=trainer.batch_in_epoch,
                             file=self._out(), desc=f"epoch {epoch + 1}/{trainer.epochs}",
                             dynamic_ncols=sized, ncols=None if sized else 100,
                             nrows=None if sized else 24, unit="batch", leave=True)

    def on_batch_end(self, trainer, batch, logs):
        if self._bar is None:
            return
        self._bar.update(1)
        now = time.perf_counter()
        if now - self._last >= self.refresh_every:
            self._last = now
            run = trainer.running_logs()
            run["samples/s"] = f"{trainer.epoch_samples / max(now - self._t0, 1e-9):.0f}"
            self._bar.set_postfix({k: _fmt(v) for k, v in run.items()}, refresh=False)

    def on_epoch_end(self, trainer, epoch, logs):
        line = f"epoch {epoch + 1}/{trainer.epochs}  {format_logs(logs)}"
        extra = f"  {logs.get('samples_per_s', 0):.0f} samples/s  {logs.get('time', 0):.1f}s"
        if self._bar is not None:
            self._bar.set_postfix_str(f"{logs.get('samples_per_s', 0):.0f} samples/s  "
                                      + format_logs(logs), refresh=True)
            self._bar.close()
            self._bar = None
        elif self.mode != "off":
            print(line + extra, file=self._out(), flush=True)

    def on_fit_end(self, trainer, logs):
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def on_exception(self, trainer, exc):
        self.on_fit_end(trainer, {})
