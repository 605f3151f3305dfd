"""Run folders: everything one training run leaves behind, in one directory.

::

    runs/20240501-142233-LeNet5/
        config.json          what was trained and how: model, optimiser, loss, data, seeds, versions
        metrics.jsonl        one JSON object per epoch (and every N steps if asked)
        checkpoints/         last.safetensors + last.json, best.safetensors + best.json
        report.md            the final numbers as a table, with the plots linked
        plots/               curves.png, confusion_matrix.png, filters.png, misclassified.png

``RunDir`` creates and names the folder; ``read_metrics`` reads ``metrics.jsonl`` back.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys

from glassnet.io.atomic import atomic_write_json
from glassnet.io.state import json_safe

__all__ = ["RunDir", "read_metrics", "describe_config"]


def _timestamp():
    return _dt.datetime.now().strftime("%Y%m%d-%H%M%S")


class RunDir:
    """A run folder and the names of the files inside it.

    Args:
        path: the folder; created if missing. ``None``: a new folder ``<root>/<time>-<name>``
            (a numeric suffix keeps two runs started in the same second apart).
        root, name: where and how a new folder is named (default ``runs/`` and "run").
    """

    def __init__(self, path=None, root="runs", name="run"):
        if path is None:
            base = os.path.join(root, f"{_timestamp()}-{name}")
            path, i = base, 1
            while os.path.exists(path):
                i += 1
                path = f"{base}-{i}"
        self.path = os.path.abspath(os.fspath(path))
        os.makedirs(self.path, exist_ok=True)

    def __fspath__(self):
        return self.path

    def __str__(self):
        return self.path

    def __repr__(self):
        return f"RunDir({self.path!r})"

    def join(self, *parts) -> str:
        return os.path.join(self.path, *parts)

    @property
    def config_path(self):
        return self.join("config.json")

    @property
    def metrics_path(self):
        return self.join("metrics.jsonl")

    @property
    def checkpoint_dir(self):
        return self.join("checkpoints")

    @property
    def plots_dir(self):
        return self.join("plots")

    @property
    def report_path(self):
        return self.join("report.md")

    def last_checkpoint(self):
        """Path of ``checkpoints/last.*`` if one exists, else None."""
        for ext in (".safetensors", ".npz"):
            p = os.path.join(self.checkpoint_dir, "last" + ext)
            if os.path.exists(p):
                return p
        return None

    def read_config(self) -> dict | None:
        if not os.path.exists(self.config_path):
            return None
        with open(self.config_path, encoding="utf-8") as f:
            return json.load(f)

    def write_config(self, config: dict) -> str:
        """Write ``config.json`` atomically (values made JSON-safe)."""
        return atomic_write_json(self.config_path, json_safe(config))

    def read_metrics(self):
        return read_metrics(self.metrics_path)


def read_metrics(path) -> list[dict]:
    """The records of a ``metrics.jsonl`` file, in order (a torn last line is skipped)."""
    path = os.fspath(path)
    if os.path.isdir(path):
        path = os.path.join(path, "metrics.jsonl")
    out = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            try:
                out.append(json.loads(line))
            except ValueError:
                continue
    return out


def _describe(obj):
    if obj is None:
        return None
    return {"class": type(obj).__name__, "repr": repr(obj)}


def _describe_loss(fn):
    if hasattr(fn, "forward"):
        return _describe(fn)
    return {"function": getattr(fn, "__qualname__", None) or repr(fn)}


def describe_config(trainer, train_loader=None, val_loader=None, epochs=None) -> dict:
    """The ``config.json`` of a run: what was trained, on what, with which settings."""
    import numpy as np

    import glassnet

    model, opt = trainer.model, trainer.optimizer
    params = list(model.parameters())
    n_params = int(sum(int(np.prod(p.shape)) for p in params))
    groups = []
    for g in getattr(opt, "param_groups", []):
        groups.append({k: v for k, v in g.items() if k != "params"}
                      | {"num_params": len(g["params"])})
    cfg = {
        "created": _dt.datetime.now().isoformat(timespec="seconds"),
        "model": {"class": type(model).__name__, "parameters": n_params, "repr": repr(model)},
        "optimizer": {"class": type(opt).__name__, "defaults": getattr(opt, "defaults", None),
                      "param_groups": groups},
        "scheduler": _describe(trainer.scheduler),
        "scheduler_interval": trainer.scheduler_interval,
        "loss": _describe_loss(trainer.loss_fn),
        "metrics": [n for n, _ in trainer.metrics],
        "epochs": epochs,
        "grad_clip": trainer.grad_clip,
        "device": str(trainer.device),
        "seed": glassnet.initial_seed(),
        "callbacks": [type(c).__name__ for c in trainer.callbacks],
        "data": {},
        "versions": {"glassnet": glassnet.__version__, "numpy": np.__version__,
                     "python": sys.version.split()[0], "platform": platform.platform()},
    }
    for name, loader in (("train", train_loader), ("val", val_loader)):
        if loader is None:
            continue
        ds = getattr(loader, "dataset", None)
        info = {"loader": type(loader).__name__, "batch_size": getattr(loader, "batch_size", None)}
        if ds is not None:
            info["dataset"] = type(ds).__name__
            try:
                info["samples"] = len(ds)
            except TypeError:
                pass
        try:
            info["batches"] = len(loader)
        except TypeError:
            pass
        cfg["data"][name] = info
    if trainer.user_config:
        cfg["user"] = trainer.user_config
    return json_safe(cfg)
