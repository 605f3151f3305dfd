"""Loggers: epoch (and step) records to CSV and JSON Lines files.

Both append a line and flush it as soon as it exists, so a crashed run keeps its log up to
the last completed epoch. When a run resumes from a checkpoint, records written after that
checkpoint (by the part of the run that was lost) are dropped first, so the file reads as one
uninterrupted run.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os

from glassnet.io.atomic import atomic_write_text
from glassnet.io.state import json_safe
from glassnet.train.callbacks import Callback

__all__ = ["CSVLogger", "JSONLLogger"]


def _number(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return v


class CSVLogger(Callback):
    """One CSV row per epoch: ``epoch`` (1-based) then every key of the epoch logs.

    The columns are fixed by the first row (or the existing header when appending/resuming);
    a missing value is left empty.

    Args:
        filename: the CSV file.
        separator: the field delimiter.
        append: keep an existing file and add rows (else it is overwritten at fit start).
    """

    order = 10

    def __init__(self, filename, separator=",", append=False):
        self.filename = os.fspath(filename)
        self.separator = separator
        self.append = bool(append)
        self.keys = None
        self._file = None

    def on_fit_start(self, trainer, logs):
        exists = os.path.exists(self.filename)
        self.keys = None
        if exists and (self.append or trainer.resuming):
            with open(self.filename, newline="", encoding="utf-8") as f:
                rows = list(csv.reader(f, delimiter=self.separator))
            if rows:
                self.keys = rows[0][1:]
                if trainer.resuming:  # drop epochs the resumed run will redo
                    keep = [r for r in rows[1:]
                            if r and r[0].isdigit() and int(r[0]) <= trainer.epoch]
                    buf = io.StringIO()
                    writer = csv.writer(buf, delimiter=self.separator, lineterminator="\n")
                    writer.writerows([rows[0], *keep])
                    atomic_write_text(self.filename, buf.getvalue())
        else:
            os.makedirs(os.path.dirname(os.path.abspath(self.filename)), exist_ok=True)
            open(self.filename, "w").close()
        self._file = open(self.filename, "a", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, delimiter=self.separator, lineterminator="\n")

    def on_epoch_end(self, trainer, epoch, logs):
        if self._file is None:
            return
        if self.keys is None:
            self.keys = [k for k in logs if k != "epoch"]
            self._writer.writerow(["epoch", *self.keys])
        self._writer.writerow([epoch + 1, *[_number(logs.get(k, "")) for k in self.keys]])
        self._file.flush()

    def on_fit_end(self, trainer, logs):
        if self._file is not None:
            self._file.close()
            self._file = None

    def on_exception(self, trainer, exc):
        self.on_fit_end(trainer, {})


class JSONLLogger(Callback):
    """One JSON object per line: ``{"type": "epoch", "epoch": 3, "step": 1500, "loss": ...}``
    after each epoch and, with ``every_n_steps=N``, ``{"type": "step", ...}`` every N steps.

    This is the format of a run folder's ``metrics.jsonl``; read it back with
    ``glassnet.train.read_metrics``. Non-finite numbers are written as the strings "nan",
    "inf", "-inf" so every line is standard JSON.
    """

    order = 10

    def __init__(self, filename, every_n_steps=None, append=False):
        self.filename = os.fspath(filename)
        self.every_n_steps = int(every_n_steps) if every_n_steps else None
        self.append = bool(append)
        self._file = None

    def on_fit_start(self, trainer, logs):
        os.makedirs(os.path.dirname(os.path.abspath(self.filename)), exist_ok=True)
        if os.path.exists(self.filename) and trainer.resuming:
            keep = []
            with open(self.filename, encoding="utf-8") as f:
                for line in f:
                    try:
                        rec = json.loads(line)
                    except ValueError:
                        continue  # a line torn by the crash
                    done = (int(rec.get("epoch", 0)) <= trainer.epoch
                            if rec.get("type") == "epoch"  # an epoch end the resumed run redoes
                            else int(rec.get("step", 0)) <= trainer.global_step)
                    if done:
                        keep.append(json.dumps(rec))
            atomic_write_text(self.filename, "".join(k + "\n" for k in keep))
        elif not self.append:
            open(self.filename, "w").close()
        self._file = open(self.filename, "a", encoding="utf-8")

    def write(self, record: dict):
        """Append one record (made JSON-safe) and flush it."""
        if self._file is None:
            raise RuntimeError("JSONLLogger.write: the logger is not open (call within fit)")
        self._file.write(json.dumps(json_safe(record), allow_nan=False) + "\n")
        self._file.flush()

    def on_batch_end(self, trainer, batch, logs):
        if self.every_n_steps and trainer.global_step % self.every_n_steps == 0:
            self.write({"type": "step", **logs})

    def on_epoch_end(self, trainer, epoch, logs):
        self.write({"type": "epoch", **logs})

    def on_fit_end(self, trainer, logs):
        if self._file is not None:
            self._file.close()
            self._file = None

    def on_exception(self, trainer, exc):
        self.on_fit_end(trainer, {})
