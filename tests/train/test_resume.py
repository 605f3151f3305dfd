"""Exact resume: stop anywhere, continue, and end with bit-for-bit the weights of an unbroken run.

The tiny run below draws randomness three ways: the loader reshuffles every epoch, dropout
draws a fresh mask every step (both from glassnet's default generator), and the model was
initialised from it. Adam's moments and a StepLR schedule carry state across steps. Resuming
must restore all of it: weights, optimiser, scheduler, RNG states, the loader's position inside
its epoch, the epoch's running sums and the history.
"""

from __future__ import annotations

import json
import os

import numpy as np
import pytest
from common import MLP, blobs, cross_entropy

import glassnet as gn
import glassnet.optim as optim
from glassnet.backend import Generator
from glassnet.data import DataLoader, TensorDataset
from glassnet.train import ModelCheckpoint, Trainer, read_metrics

EPOCHS = 3


def make(seed=0, loader_generator=False):
    """A fresh run: same seed, same data, same model, optimiser and schedule."""
    gn.manual_seed(seed)
    np.random.seed(seed)
    x, y = blobs(150, seed=1)
    gen = Generator(7) if loader_generator else None
    train = DataLoader(TensorDataset(x[:110], y[:110]), batch_size=16, shuffle=True, generator=gen)
    val = DataLoader(TensorDataset(x[110:], y[110:]), batch_size=64)
    model = MLP(hidden=12, p=0.3)
    opt = optim.Adam(model.parameters(), lr=0.02)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.7)
    return model, opt, sched, train, val


def weights(model):
    return {k: np.array(v._data, copy=True) for k, v in model.state_dict().items()}


def trainer(model, opt, sched, run_dir, **kw):
    return Trainer(model, opt, cross_entropy, scheduler=sched, run_dir=run_dir, progress=False,
                   report=False, **kw)


def assert_bitwise_equal(a, b):
    assert list(a) == list(b)
    for k in a:
        assert a[k].dtype == b[k].dtype and np.array_equal(a[k], b[k]), f"{k} differs"


@pytest.fixture(scope="module")
def reference():
    """The uninterrupted run (computed once)."""
    model, opt, sched, train, val = make()
    hist = trainer(model, opt, sched, False).fit(train, val, epochs=EPOCHS)
    return weights(model), hist, opt.state_dict()


@pytest.mark.parametrize("stop_at", [11, 7, 14])  # mid-epoch 2, mid-epoch 1, the end of epoch 2
def test_resume_mid_epoch_is_bit_exact(tmp_path, reference, stop_at):
    ref_w, ref_hist, ref_opt = reference
    model, opt, sched, train, val = make()
    t = trainer(model, opt, sched, tmp_path / "run")
    t.fit(train, val, epochs=EPOCHS, max_steps=stop_at)
    assert t.global_step == stop_at and "max_steps" in (t.stop_reason or "max_steps")
    partial = weights(model)
    assert any(not np.array_equal(partial[k], ref_w[k]) for k in ref_w)

    gn.manual_seed(12345)  # a different process state: everything must come from the checkpoint
    np.random.seed(99)
    model, opt, sched, train, val = make(seed=3)  # different initial weights, too
    t2 = trainer(model, opt, sched, tmp_path / "run")
    hist = t2.fit(train, val, epochs=EPOCHS, resume_from=tmp_path / "run" / "checkpoints" / "last.safetensors")
    assert_bitwise_equal(ref_w, weights(model))
    assert hist == ref_hist
    assert t2.global_step == EPOCHS * len(train)
    st = opt.state_dict()
    for i, s in ref_opt["state"].items():
        for k, v in s.items():
            if hasattr(v, "shape"):
                assert np.array_equal(np.asarray(v._data), np.asarray(st["state"][i][k]._data))
    # metrics.jsonl reads as one run: one record per epoch, none duplicated by the restart
    assert [r["epoch"] for r in read_metrics(tmp_path / "run")] == [1, 2, 3]


def test_resume_from_step_checkpoint_after_a_crash(tmp_path, reference):
    """Checkpoints every 4 steps; the process 'dies' at step 10; resume from step 8."""
    ref_w, ref_hist, _ = reference
    model, opt, sched, train, val = make()
    mc = ModelCheckpoint(tmp_path / "ck", monitor="val_loss", every_n_steps=4)
    t = trainer(model, opt, sched, False, callbacks=[mc])

    class Crash(Exception):
        pass

    def die(trainer_, batch, logs):
        if trainer_.global_step == 10:
            raise Crash

    from glassnet.train import LambdaCallback

    t._user_callbacks.append(LambdaCallback(on_batch_end=die))
    with pytest.raises(Crash):
        t.fit(train, val, epochs=EPOCHS)
    side = json.loads((tmp_path / "ck" / "last.json").read_text())
    assert side["extra"]["trainer"]["global_step"] == 8

    model, opt, sched, train, val = make(seed=5)
    t2 = trainer(model, opt, sched, False, callbacks=[ModelCheckpoint(tmp_path / "ck", every_n_steps=4)])
    hist = t2.fit(train, val, epochs=EPOCHS, resume_from=tmp_path / "ck" / "last.safetensors")
    assert_bitwise_equal(ref_w, weights(model))
    assert hist == ref_hist


def test_trainer_resume_run_dir_and_extend(tmp_path, reference):
    """``Trainer.resume(run_dir)`` then ``fit`` to a larger epoch count continues the same run."""
    ref_w, ref_hist, _ = reference
    model, opt, sched, train, val = make()
    trainer(model, opt, sched, tmp_path / "r").fit(train, val, epochs=2)
    model, opt, sched, train, val = make(seed=9)
    t = trainer(model, opt, sched, None).resume(tmp_path / "r")
    assert t.run.path == str(tmp_path / "r") and t.epoch == 2
    hist = t.fit(train, val, epochs=EPOCHS)
    assert_bitwise_equal(ref_w, weights(model))
    assert hist == ref_hist
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["resumed"][0]["at_epoch"] == 2
    with pytest.raises(gn.io.CheckpointError, match="no checkpoints"):
        trainer(*make()[:3], False).resume(tmp_path)


def test_resume_with_a_loader_generator(tmp_path):
    model, opt, sched, train, val = make(loader_generator=True)
    trainer(model, opt, sched, False).fit(train, val, epochs=2)
    ref = weights(model)
    model, opt, sched, train, val = make(loader_generator=True)
    trainer(model, opt, sched, tmp_path / "g").fit(train, val, epochs=2, max_steps=9)
    model, opt, sched, train, val = make(seed=4, loader_generator=True)
    train.generator.manual_seed(1000)  # the loader's own generator state comes from the checkpoint
    trainer(model, opt, sched, tmp_path / "g").fit(train, val, epochs=2, resume_from=tmp_path / "g")
    assert_bitwise_equal(ref, weights(model))


def test_resume_rejects_a_weights_only_file(tmp_path):
    model, opt, sched, _, _ = make()
    gn.io.save(model.state_dict(), tmp_path / "w.safetensors")
    with pytest.raises(gn.io.CheckpointError, match="not a Trainer checkpoint"):
        trainer(model, opt, sched, False).resume(tmp_path / "w.safetensors")
    assert os.path.exists(tmp_path / "w.safetensors")


def test_resume_with_layers_batchnorm_and_dropout(tmp_path):
    """Library layers: BatchNorm buffers (running stats, an int64 counter) resume exactly too."""
    nn = pytest.importorskip("glassnet.nn")
    if not all(hasattr(nn, n) for n in ("Conv2d", "BatchNorm2d", "Dropout", "Flatten")):
        pytest.skip("layers not available")

    def build(seed):
        gn.manual_seed(seed)
        rng = np.random.default_rng(0)
        x = rng.normal(size=(72, 1, 6, 6)).astype(np.float32)
        y = (x[:, 0, :3].mean((1, 2)) > 0).astype(np.int64)
        loader = DataLoader(TensorDataset(x, y), batch_size=16, shuffle=True)
        model = nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                              nn.Dropout(0.25), nn.Linear(4 * 4 * 4, 2))
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
        return model, opt, loader

    model, opt, loader = build(0)
    Trainer(model, opt, nn.CrossEntropyLoss(), run_dir=False, progress=False).fit(loader, epochs=2)
    ref = weights(model)
    model, opt, loader = build(0)
    Trainer(model, opt, nn.CrossEntropyLoss(), run_dir=tmp_path, progress=False,
            report=False).fit(loader, epochs=2, max_steps=6)
    model, opt, loader = build(1)
    Trainer(model, opt, nn.CrossEntropyLoss(), run_dir=tmp_path, progress=False,
            report=False).fit(loader, epochs=2, resume_from=tmp_path)
    assert "1.num_batches_tracked" in ref and ref["1.num_batches_tracked"].dtype == np.int64
    assert_bitwise_equal(ref, weights(model))


def test_resume_with_a_per_step_schedule(tmp_path):
    """A OneCycle schedule stepped every batch: its counters resume mid-epoch too."""

    def build(seed):
        model, _, _, train, val = make(seed)
        opt = optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
        sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=0.1, total_steps=2 * len(train))
        return model, opt, sched, train, val

    model, opt, sched, train, val = build(0)
    trainer(model, opt, sched, False, scheduler_interval="step").fit(train, val, epochs=2)
    ref = weights(model)
    model, opt, sched, train, val = build(0)
    trainer(model, opt, sched, tmp_path, scheduler_interval="step").fit(train, val, epochs=2,
                                                                        max_steps=10)
    model, opt, sched, train, val = build(2)
    t = trainer(model, opt, sched, tmp_path, scheduler_interval="step")
    t.fit(train, val, epochs=2, resume_from=tmp_path)
    assert_bitwise_equal(ref, weights(model))
