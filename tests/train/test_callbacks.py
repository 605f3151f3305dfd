"""Callbacks: hooks, early stopping, checkpoints, NaN termination, CSV/JSONL loggers, LR monitor."""

from __future__ import annotations

import csv
import json
import math

import numpy as np
import pytest
from common import MLP, cross_entropy, loaders

import glassnet as gn
import glassnet.io as gio
import glassnet.optim as optim
from glassnet.train import (
    Callback,
    CSVLogger,
    EarlyStopping,
    JSONLLogger,
    LambdaCallback,
    LearningRateMonitor,
    ModelCheckpoint,
    TerminateOnNaN,
    Trainer,
)


def _weights(model):
    return {k: np.array(v._data, copy=True) for k, v in model.state_dict().items()}


class Snapshots(Callback):
    """Records the weights after every epoch."""

    order = 50

    def __init__(self):
        self.by_epoch = []

    def on_epoch_end(self, trainer, epoch, logs):
        self.by_epoch.append(_weights(trainer.model))


def fake_metric(values, key="val_loss"):
    """Overwrite logs[key] with scripted values, before any other callback sees them."""
    cb = LambdaCallback(on_epoch_end=lambda trainer, epoch, logs: logs.__setitem__(key, values[epoch]))
    cb.order = -100
    return cb


def _trainer(callbacks=(), model=None, lr=0.1, **kw):
    model = model or MLP()
    return Trainer(model, optim.SGD(model.parameters(), lr=lr), cross_entropy, callbacks=callbacks,
                   run_dir=kw.pop("run_dir", False), progress=False, **kw)


def test_hooks_are_called_in_order_with_logs():
    calls = []

    class Rec(Callback):
        def on_fit_start(self, trainer, logs):
            calls.append("fit_start")

        def on_epoch_start(self, trainer, epoch, logs):
            calls.append(f"epoch_start{epoch}")

        def on_batch_end(self, trainer, batch, logs):
            assert {"loss", "accuracy", "step", "epoch", "batch_size"} <= set(logs)
            calls.append("b")

        def on_epoch_end(self, trainer, epoch, logs):
            assert logs["epoch"] == epoch + 1 and "val_loss" in logs and trainer.history["loss"]
            calls.append(f"epoch_end{epoch}")

        def on_fit_end(self, trainer, logs):
            calls.append("fit_end")

    train, val = loaders(n=100, batch_size=40)  # 80 training samples: 2 batches
    _trainer([Rec()]).fit(train, val, epochs=2)
    assert calls == ["fit_start", "epoch_start0", "b", "b", "epoch_end0", "epoch_start1", "b", "b",
                     "epoch_end1", "fit_end"]


def test_early_stopping_stops_and_restores_best_weights():
    snaps = Snapshots()
    es = EarlyStopping("val_loss", patience=2, restore_best_weights=True)
    t = _trainer([fake_metric([1.0, 0.5, 0.6, 0.55, 0.4, 0.3]), es, snaps])
    train, val = loaders(n=100)
    hist = t.fit(train, val, epochs=6)
    assert len(hist["loss"]) == 4 and t.epoch == 4  # best at epoch 2, two worse epochs, stop
    assert es.best_epoch == 1 and es.best == 0.5 and es.stopped_epoch == 3
    assert "EarlyStopping: val_loss did not improve for 2 epoch(s)" in t.stop_reason
    restored = _weights(t.model)
    for k in restored:
        np.testing.assert_array_equal(restored[k], snaps.by_epoch[1][k])
        assert not np.array_equal(restored[k], snaps.by_epoch[3][k]) or k.startswith("b")


def test_early_stopping_mode_max_min_delta_and_baseline():
    es = EarlyStopping("val_accuracy", patience=1, min_delta=0.05)  # mode auto -> max
    t = _trainer([fake_metric([0.5, 0.52, 0.9], "val_accuracy"), es])
    t.fit(*loaders(n=60), epochs=3)
    assert es.mode == "max" and t.epoch == 2  # +0.02 is below min_delta
    es = EarlyStopping("val_loss", patience=1, baseline=0.1)
    t = _trainer([fake_metric([0.5, 0.4, 0.3]), es])
    t.fit(*loaders(n=60), epochs=3)
    assert t.epoch == 1 and es.best_epoch is None


def test_model_checkpoint_writes_best_and_last(tmp_path):
    snaps = Snapshots()
    mc = ModelCheckpoint(tmp_path / "ck", monitor="val_accuracy")
    t = _trainer([fake_metric([0.6, 0.9, 0.7], "val_accuracy"), snaps, mc])
    t.fit(*loaders(n=100), epochs=3)
    assert mc.mode == "max" and mc.best_epoch == 1 and mc.best_score == 0.9
    best = gio.load_checkpoint(tmp_path / "ck" / "best.safetensors")
    last = gio.load_checkpoint(tmp_path / "ck" / "last.safetensors")
    for k, v in snaps.by_epoch[1].items():
        np.testing.assert_array_equal(best["model"][k].numpy(), v)
        np.testing.assert_array_equal(last["model"][k].numpy(), snaps.by_epoch[2][k])
    assert best["extra"]["trainer"]["epoch"] == 2 and last["extra"]["trainer"]["epoch"] == 3
    side = json.loads((tmp_path / "ck" / "best.json").read_text())
    assert side["extra"]["logs"]["val_accuracy"] == 0.9
    assert side["optimizer"]["param_groups"][0]["lr"] == 0.1


def test_model_checkpoint_without_folder_is_a_clear_error():
    with pytest.raises(ValueError, match="no dirpath"):
        _trainer([ModelCheckpoint()]).fit(*loaders(n=40), epochs=1)


class NaNAtStep:
    """A loss that turns NaN from a given training step on (an exploding run, made on purpose)."""

    def __init__(self, step):
        self.step, self.calls = step, 0

    def __call__(self, out, y):
        self.calls += gn.is_grad_enabled()  # count training steps, not evaluation batches
        loss = cross_entropy(out, y)
        return loss * float("nan") if self.calls >= self.step else loss


def test_terminate_on_nan_keeps_last_good_checkpoint(tmp_path):
    train, val = loaders(n=100, batch_size=16)  # 5 steps per epoch
    model = MLP()
    t = Trainer(model, optim.SGD(model.parameters(), lr=0.1), NaNAtStep(8),
                callbacks=[TerminateOnNaN()], run_dir=tmp_path / "run", progress=False, report=False)
    snaps = Snapshots()
    t._user_callbacks.append(snaps)
    t.fit(train, val, epochs=4)
    assert t.global_step == 8 and t.epoch == 1
    assert "step 8" in t.stop_reason and "epoch 2" in t.stop_reason and "nan" in t.stop_reason
    assert not all(np.isfinite(v).all() for v in _weights(model).values())  # the model is ruined
    ck = gio.load_checkpoint(tmp_path / "run" / "checkpoints" / "last.safetensors")
    assert ck["extra"]["trainer"]["global_step"] == 5  # the end of epoch 1: the last good state
    for k, v in ck["model"].items():
        assert np.isfinite(v.numpy()).all()
        np.testing.assert_array_equal(v.numpy(), snaps.by_epoch[0][k])
    assert len(t.history["loss"]) == 1  # the broken epoch is not recorded


def test_checkpoint_refuses_nonfinite_weights_even_without_terminate(tmp_path):
    train, _ = loaders(n=100, batch_size=16)
    mc = ModelCheckpoint(tmp_path, monitor="loss", every_n_steps=2)
    model = MLP()
    t = Trainer(model, optim.SGD(model.parameters(), lr=0.1), NaNAtStep(4), callbacks=[mc],
                run_dir=False, progress=False)
    t.fit(train, None, epochs=2)
    ck = gio.load_checkpoint(tmp_path / "last.safetensors")
    assert ck["extra"]["trainer"]["global_step"] == 2
    assert all(np.isfinite(v.numpy()).all() for v in ck["model"].values())


def test_csv_logger(tmp_path):
    path = tmp_path / "log.csv"
    t = _trainer([CSVLogger(path)])
    hist = t.fit(*loaders(n=100), epochs=3)
    rows = list(csv.reader(open(path)))
    assert rows[0] == ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "lr", "step", "time",
                       "samples_per_s"]
    assert [r[0] for r in rows[1:]] == ["1", "2", "3"]
    assert [float(r[1]) for r in rows[1:]] == pytest.approx(hist["loss"], rel=1e-12)
    t2 = _trainer([CSVLogger(path, append=True, separator=",")])
    t2.fit(*loaders(n=100), epochs=1)
    assert len(list(csv.reader(open(path)))) == 5


def test_jsonl_logger_and_lr_monitor(tmp_path):
    path = tmp_path / "m.jsonl"
    model = MLP()
    opt = optim.SGD([{"params": [model.w1, model.b1]}, {"params": [model.w2, model.b2], "lr": 0.01}], lr=0.1)
    sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    lrm = LearningRateMonitor("step")
    t = Trainer(model, opt, cross_entropy, scheduler=sched, scheduler_interval="step",
                callbacks=[JSONLLogger(path, every_n_steps=1), lrm], run_dir=False, progress=False)
    t.fit(loaders(n=100, batch_size=40)[0], None, epochs=2)
    recs = [json.loads(line) for line in open(path)]
    steps = [r for r in recs if r["type"] == "step"]
    assert [r["step"] for r in steps] == [1, 2, 3, 4]
    assert [r["lr"] for r in steps] == [0.1, 0.1, 0.05, 0.05]
    epochs = [r for r in recs if r["type"] == "epoch"]
    assert [r["lr_group1"] for r in epochs] == [0.01, 0.005] and t.history["lr_group1"] == [0.01, 0.005]
    assert lrm.lrs[0] == (1, [0.1, 0.01])
    assert all(isinstance(r["loss"], float) and math.isfinite(r["loss"]) for r in recs)


def test_jsonl_writes_nonfinite_as_strings(tmp_path):
    t = _trainer([JSONLLogger(tmp_path / "m.jsonl", every_n_steps=1), TerminateOnNaN()], lr=0.1)
    t.loss_fn = NaNAtStep(2)
    t.fit(loaders(n=100, batch_size=40)[0], None, epochs=1)
    lines = open(tmp_path / "m.jsonl").read().splitlines()
    assert json.loads(lines[-1])["loss"] == "nan"  # valid JSON everywhere
    assert gn.isnan(gn.tensor(float("nan"))).item()


def test_top_k_metric_and_exception_closes_logs(tmp_path):
    train, val = loaders(n=100, classes=3)
    t = Trainer(MLP(), optim.SGD(MLP().parameters(), lr=0.0), cross_entropy,
                metrics=("accuracy", "top2"), run_dir=False, progress=False)
    hist = t.fit(train, val, epochs=1)
    assert hist["top2_accuracy"][0] >= hist["accuracy"][0]
    assert Trainer(MLP(), None, cross_entropy, metrics=("top3_accuracy",), run_dir=False,
                   progress=False).evaluate(val)["top3_accuracy"] == 1.0
    with pytest.raises(ValueError, match="unknown metric 'f1'"):
        Trainer(MLP(), None, cross_entropy, metrics=("f1",))

    log = JSONLLogger(tmp_path / "m.jsonl", every_n_steps=1)

    def boom(trainer, batch, logs):
        if trainer.global_step == 2:
            raise KeyboardInterrupt

    t = _trainer([log, LambdaCallback(on_batch_end=boom)])
    with pytest.raises(KeyboardInterrupt):
        t.fit(train, None, epochs=1)
    assert log._file is None  # closed by on_exception
    assert len(open(tmp_path / "m.jsonl").read().splitlines()) in (1, 2)
