"""Exact resume at every kill point: stop a run anywhere, resume it in a fresh Trainer, and end
with bit-for-bit the weights, optimiser state, scheduler state and history of an unbroken run.

A tiny run (40 samples, batches of 8, 3 epochs: 15 optimiser steps) is killed, for every step
k, in each of these ways, then resumed from the checkpoint on disk by a new Trainer whose model,
optimiser, scheduler, loader and global random state all start different:

* ``after_step_write``: an exception right after the step checkpoint of step k (at k = 5, 10,
  15 that checkpoint lies on an epoch's last batch, before the epoch's end has run);
* ``before_write``: an exception after optimiser step k but before its checkpoint, so the run
  resumes from the checkpoint of step k - 1 (a step or an epoch checkpoint);
* ``after_epoch_write``: an exception right after the checkpoint written at the end of epoch e;
* ``max_steps``: ``fit(max_steps=k)`` stops, ``on_fit_end`` writes the checkpoint.

Three set-ups: SGD with momentum, two parameter groups and OneCycleLR stepped every batch;
AdamW with StepLR stepped every epoch; SGD with CosineAnnealingLR and random augmentation
(flips and crops drawn from glassnet's default generator). All shuffle and use dropout.
"""

from __future__ import annotations

import json
import os
import random

import numpy as np
import pytest
from common import MLP, blobs, cross_entropy

import glassnet as gn
from glassnet import optim
from glassnet.data import DataLoader, TensorDataset
from glassnet.data.datasets import ArrayDataset
from glassnet.data.transforms import Compose, RandomCrop, RandomHorizontalFlip
from glassnet.io.state import to_numpy
from glassnet.train import (
    LambdaCallback,
    LearningRateMonitor,
    ModelCheckpoint,
    Trainer,
    read_metrics,
)

N, BATCH, EPOCHS = 40, 8, 3
PER_EPOCH = N // BATCH
STEPS = EPOCHS * PER_EPOCH

SCENARIOS = {
    "sgd-onecycle-per-step": {"opt": "sgd", "sched": "onecycle", "interval": "step",
                              "augment": False},
    "adamw-steplr-per-epoch": {"opt": "adamw", "sched": "steplr", "interval": "epoch",
                               "augment": False},
    "sgd-cosine-per-epoch-augment": {"opt": "sgd", "sched": "cosine", "interval": "epoch",
                                     "augment": True},
}
KILLS = ([("after_step_write", k) for k in range(1, STEPS + 1)]
         + [("before_write", k) for k in range(2, STEPS + 1)]
         + [("after_epoch_write", e) for e in range(1, EPOCHS + 1)]
         + [("max_steps", k) for k in range(1, STEPS)])


@pytest.fixture(autouse=True)
def _no_fsync(monkeypatch):
    """Durability is not under test here: skip the disk flushes so the many writes stay fast."""
    monkeypatch.setattr(os, "fsync", lambda fd: None)


class FlatMLP(MLP):
    def forward(self, x):
        return super().forward(x.reshape(x.shape[0], -1))


_X, _Y = blobs(N + 16, classes=3, d=16, seed=1)
_X = _X.reshape(-1, 1, 4, 4)


def build(name, seed):
    """A fresh run of scenario ``name``; ``seed`` sets the initial weights and global RNGs."""
    sc = SCENARIOS[name]
    gn.manual_seed(seed)
    np.random.seed(seed)
    random.seed(seed)
    aug = Compose([RandomHorizontalFlip(), RandomCrop(4, padding=1)]) if sc["augment"] else None
    train = DataLoader(ArrayDataset(_X[:N], _Y[:N], transform=aug), batch_size=BATCH,
                       shuffle=True)
    val = DataLoader(TensorDataset(_X[N:], _Y[N:]), batch_size=16)
    model = FlatMLP(d_in=16, hidden=8, classes=3, p=0.3)
    if sc["opt"] == "sgd":
        groups = [{"params": [model.w1, model.w2]},
                  {"params": [model.b1, model.b2], "lr": 0.02, "weight_decay": 0.0}]
        opt = optim.SGD(groups, lr=0.05, momentum=0.9, weight_decay=1e-3)
    else:
        opt = optim.AdamW(model.parameters(), lr=0.01, weight_decay=0.01)
    if sc["sched"] == "onecycle":
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=STEPS)
    elif sc["sched"] == "steplr":
        sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    else:
        sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=EPOCHS)
    return model, opt, sched, train, val


def trainer(name, parts, callbacks=(), run_dir=False, **kw):
    model, opt, sched, _, _ = parts
    return Trainer(model, opt, cross_entropy, scheduler=sched,
                   scheduler_interval=SCENARIOS[name]["interval"],
                   callbacks=[LearningRateMonitor(), *callbacks], run_dir=run_dir,
                   progress=False, report=False, **kw)


def outcome(parts, t):
    """Everything that must match bit for bit at the end of a run."""
    model, opt, sched, _, _ = parts
    return {"weights": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "history": t.history,
            "counters": (t.epoch, t.global_step, t.batch_in_epoch)}


def assert_identical(a, b, where="run"):
    if isinstance(a, dict):
        assert sorted(map(str, a)) == sorted(map(str, b)), f"{where}: keys differ"
        for k in a:
            assert_identical(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{where}: lengths {len(a)} != {len(b)}"
        for i, (u, v) in enumerate(zip(a, b)):
            assert_identical(u, v, f"{where}[{i}]")
    elif hasattr(a, "shape") or hasattr(b, "shape"):
        u, v = to_numpy(a), to_numpy(b)
        assert u.dtype == v.dtype and u.shape == v.shape, f"{where}: {u.dtype}{u.shape} vs " \
                                                          f"{v.dtype}{v.shape}"
        assert np.array_equal(u, v), f"{where}: values differ"
    else:
        assert type(a) is type(b) and a == b, f"{where}: {a!r} != {b!r}"


_REFERENCE = {}


def reference(name):
    """The uninterrupted run of scenario ``name`` (computed once)."""
    if name not in _REFERENCE:
        parts = build(name, 0)
        t = trainer(name, parts)
        t.fit(parts[3], parts[4], epochs=EPOCHS)
        assert t.global_step == STEPS
        _REFERENCE[name] = outcome(parts, t)
    return _REFERENCE[name]


class Kill(Exception):
    pass


def killer(order, **hooks):
    cb = LambdaCallback(**hooks)
    cb.order = order  # ModelCheckpoint is 100: above it runs after the write, below it before
    return cb


def saved_step(path):
    with open(os.path.splitext(path)[0] + ".json", encoding="utf-8") as f:
        return json.load(f)["extra"]["trainer"]["global_step"]


def run_until_killed(name, kind, k, ckdir):
    """Run scenario ``name`` until the kill point; return the checkpoint a restart would use."""
    parts = build(name, 0)
    train, val = parts[3], parts[4]

    def at_step(order):
        def hook(t, batch, logs):
            if t.global_step == k:
                raise Kill
        return killer(order, on_batch_end=hook)

    if kind == "after_step_write":
        cbs, expect = [ModelCheckpoint(ckdir, every_n_steps=k, save_best=False), at_step(200)], k
    elif kind == "before_write":
        cbs, expect = [ModelCheckpoint(ckdir, every_n_steps=k - 1, save_best=False),
                       at_step(50)], k - 1
    elif kind == "after_epoch_write":
        def hook(t, epoch, logs):
            if epoch + 1 == k:
                raise Kill
        cbs = [ModelCheckpoint(ckdir, save_best=False), killer(200, on_epoch_end=hook)]
        expect = k * PER_EPOCH
    else:  # max_steps: an orderly stop, not a crash
        cbs, expect = [ModelCheckpoint(ckdir, save_best=False)], k
    t = trainer(name, parts, cbs)
    if kind == "max_steps":
        t.fit(train, val, epochs=EPOCHS, max_steps=k)
    else:
        with pytest.raises(Kill):
            t.fit(train, val, epochs=EPOCHS)
    path = os.path.join(ckdir, "last.safetensors")
    assert saved_step(path) == expect
    return path


@pytest.mark.parametrize("kind,k", KILLS, ids=[f"{kind}-{k}" for kind, k in KILLS])
@pytest.mark.parametrize("name", list(SCENARIOS))
def test_resume_is_bit_exact_at_every_kill_point(tmp_path, name, kind, k):
    path = run_until_killed(name, kind, k, str(tmp_path))
    gn.manual_seed(12345)  # a different process state: everything must come from the checkpoint
    np.random.seed(99)
    random.seed(7)
    parts = build(name, seed=3)  # different initial weights too
    t = trainer(name, parts)
    t.fit(parts[3], parts[4], epochs=EPOCHS, resume_from=path)
    assert_identical(reference(name), outcome(parts, t), f"{name} {kind} {k}")


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_fit_again_after_max_steps_continues_exactly(name):
    """``fit(max_steps=k)`` then ``fit`` on the same Trainer is the unbroken run, for every k."""
    for k in range(1, STEPS):
        parts = build(name, 0)
        t = trainer(name, parts)
        t.fit(parts[3], parts[4], epochs=EPOCHS, max_steps=k)
        assert t.global_step == k
        t.fit(parts[3], parts[4], epochs=EPOCHS)
        assert_identical(reference(name), outcome(parts, t), f"{name} continued after {k}")


@pytest.mark.parametrize("epoch", [1, 3])
def test_metrics_log_after_a_kill_at_an_epoch_end(tmp_path, epoch):
    """Killed after the epoch's record reached metrics.jsonl but before its checkpoint: the
    resumed run redoes that epoch's end, and the log still holds each record once."""
    name = "sgd-onecycle-per-step"
    run = tmp_path / "run"

    def die(t, e, logs):
        if e + 1 == epoch:
            raise Kill

    parts = build(name, 0)
    ck = ModelCheckpoint(run / "checkpoints", every_n_steps=1, save_best=False)
    t = trainer(name, parts, [ck, killer(50, on_epoch_end=die)], run_dir=run,
                log_every_n_steps=1)
    with pytest.raises(Kill):
        t.fit(parts[3], parts[4], epochs=EPOCHS)
    assert saved_step(str(run / "checkpoints" / "last.safetensors")) == epoch * PER_EPOCH

    parts = build(name, 3)
    t = trainer(name, parts, [ModelCheckpoint(run / "checkpoints", every_n_steps=1,
                                              save_best=False)],
                run_dir=run, log_every_n_steps=1)
    t.fit(parts[3], parts[4], epochs=EPOCHS, resume_from=run)
    assert_identical(reference(name), outcome(parts, t))
    records = read_metrics(run)
    assert [r["epoch"] for r in records if r["type"] == "epoch"] == list(range(1, EPOCHS + 1))
    assert [r["step"] for r in records if r["type"] == "step"] == list(range(1, STEPS + 1))
