"""Trainer: learns a tiny problem; evaluate/predict; schedules, clipping; run folder and report."""

from __future__ import annotations

import io
import json
import os

import numpy as np
import pytest
from common import MLP, cross_entropy, loaders

import glassnet as gn
import glassnet.optim as optim
from glassnet.train import ProgressBar, Trainer, read_metrics
from glassnet.viz import matplotlib_available


def _trainer(model=None, lr=0.1, **kw):
    model = model or MLP()
    kw.setdefault("run_dir", False)
    kw.setdefault("progress", False)
    return Trainer(model, optim.SGD(model.parameters(), lr=lr, momentum=0.9), cross_entropy, **kw)


def test_fit_reaches_high_accuracy_and_history():
    train, val = loaders()
    t = _trainer()
    hist = t.fit(train, val, epochs=6)
    assert set(hist) == {"loss", "accuracy", "val_loss", "val_accuracy", "lr"}
    assert all(len(v) == 6 for v in hist.values())
    assert hist["loss"][-1] < hist["loss"][0]
    assert hist["val_accuracy"][-1] >= 0.9 and hist["accuracy"][-1] >= 0.9
    assert t.epoch == 6 and t.global_step == 6 * len(train)
    ev = t.evaluate(val)
    assert ev["loss"] == pytest.approx(hist["val_loss"][-1]) and ev["accuracy"] == hist["val_accuracy"][-1]


def test_epoch_metrics_are_exact_sample_means():
    """Loss and accuracy of an epoch weight each batch by its size (small last batch)."""
    train, val = loaders(n=100, batch_size=32)  # 80 samples: 32, 32, 16
    t = _trainer(lr=0.0)  # no learning: evaluate() must agree with the training epoch's numbers
    hist = t.fit(train, None, epochs=1)
    ev = t.evaluate(train)
    assert hist["loss"][0] == pytest.approx(ev["loss"], rel=1e-6)
    assert hist["accuracy"][0] == pytest.approx(ev["accuracy"])


def test_evaluate_and_predict_inputs():
    train, val = loaders()
    t = _trainer()
    t.fit(train, None, epochs=2)
    x, y = val.dataset[np.arange(len(val.dataset))] if hasattr(val.dataset, "__getitem__") else (None, None)
    x, y = np.asarray(getattr(x, "data", x)), np.asarray(getattr(y, "data", y))
    logits = t.predict(val)
    assert logits.shape == (len(x), 3) and logits.dtype == np.float32
    np.testing.assert_allclose(t.predict(x, batch_size=7), logits, rtol=1e-6, atol=1e-6)
    probs = t.predict(gn.tensor(x), probabilities=True)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0, rtol=1e-5)
    assert t.evaluate((x, y), batch_size=16) == pytest.approx(t.evaluate(val))
    assert t.model.training  # modes restored


def test_custom_metric_and_scheduler_per_step_and_clipping():
    train, _ = loaders(n=100, batch_size=20)
    model = MLP()
    opt = optim.SGD(model.parameters(), lr=1.0)
    sched = optim.lr_scheduler.LambdaLR(opt, lambda s: 0.5 ** s)

    def mean_abs_output(out, y):
        return float(np.abs(np.asarray(out)).mean())

    t = Trainer(model, opt, cross_entropy, metrics=("accuracy", ("mao", mean_abs_output)),
                scheduler=sched, scheduler_interval="step", grad_clip=0.01, run_dir=False, progress=False)
    hist = t.fit(train, None, epochs=2)
    assert "mao" in hist and len(hist["mao"]) == 2
    assert hist["lr"] == [1.0, 0.5 ** 4]  # lr at the start of each epoch, 4 steps per epoch
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 8)
    # clipped: each step moves the weights by at most lr * 0.01 in norm
    t2 = _trainer(grad_clip=("value", 1e-4), lr=1.0)
    w0 = [p.detach().numpy().copy() for p in t2.model.parameters()]
    t2.fit(loaders(n=40, batch_size=32)[0], None, epochs=1)
    for p, w in zip(t2.model.parameters(), w0):
        assert np.abs(p.detach().numpy() - w).max() <= 2 * (1e-4 + 1e-4 * 0.9) + 1e-7


def test_reduce_lr_on_plateau_gets_the_monitored_value():
    train, val = loaders(n=60)
    model = MLP()
    opt = optim.SGD(model.parameters(), lr=0.0)
    opt.param_groups[0]["lr"] = 0.0
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=0)
    t = Trainer(model, opt, cross_entropy, scheduler=sched, run_dir=False, progress=False)
    t.fit(train, val, epochs=2)
    assert sched.best == pytest.approx(t.history["val_loss"][0])


def test_run_folder_contents(tmp_path):
    train, val = loaders()
    run = tmp_path / "run"
    t = _trainer(run_dir=run, log_every_n_steps=3, config={"argv": ["glassnet", "train"]})
    hist = t.fit(train, val, epochs=3)
    names = set(os.listdir(run))
    assert {"config.json", "metrics.jsonl", "checkpoints", "report.md"} <= names
    cfg = json.loads((run / "config.json").read_text())
    assert cfg["model"]["class"] == "MLP" and cfg["model"]["parameters"] == 99
    assert cfg["optimizer"]["class"] == "SGD" and cfg["optimizer"]["param_groups"][0]["lr"] == 0.1
    assert cfg["epochs"] == 3 and cfg["data"]["train"]["batch_size"] == 32 and cfg["user"]["argv"][0] == "glassnet"
    recs = read_metrics(run)
    epochs = [r for r in recs if r["type"] == "epoch"]
    steps = [r for r in recs if r["type"] == "step"]
    assert [r["epoch"] for r in epochs] == [1, 2, 3]
    assert [r["val_loss"] for r in epochs] == hist["val_loss"]
    assert [r["step"] for r in steps] == list(range(3, 3 * len(train) + 1, 3))
    assert sorted(os.listdir(run / "checkpoints")) == ["best.json", "best.safetensors", "last.json",
                                                       "last.safetensors"]
    report = (run / "report.md").read_text()
    assert "## Final numbers" in report and f"{hist['val_accuracy'][-1]:.4f}" in report
    assert f"{hist['loss'][-1]:.4f}" in report
    if matplotlib_available():
        for png in ("curves.png", "confusion_matrix.png"):
            assert f"](plots/{png})" in report and (run / "plots" / png).stat().st_size > 1000
    else:
        assert "matplotlib is not installed" in report


def test_report_with_test_metrics_and_images(tmp_path):
    """A conv-free image classifier: filters from a Linear on 8x8 inputs, misclassified grid."""
    from glassnet.data import DataLoader, TensorDataset
    from glassnet.train import write_report

    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 64)).astype(np.float32)
    y = (x[:, :32].sum(1) > 0).astype(np.int64)
    loader = DataLoader(TensorDataset(x, y), batch_size=16)
    t = _trainer(MLP(d_in=64, hidden=8, classes=2), run_dir=tmp_path / "r", report=False)
    t.fit(loader, None, epochs=1)
    test = t.evaluate(loader)
    path = t.write_report(loader, test_metrics=test, classes=["neg", "pos"])
    text = open(path).read()
    assert "| training | test |" in text.replace("metric | ", "") and f"{test['accuracy']:.4f}" in text
    assert "| neg |" in text and "| pos |" in text
    if matplotlib_available():
        assert (tmp_path / "r" / "plots" / "misclassified.png").exists()
        assert (tmp_path / "r" / "plots" / "filters.png").exists()
    # the function on its own, as a command line would call it
    p2 = write_report(tmp_path / "r2", history={"loss": [1.0, 0.5]}, test_metrics={"loss": 0.7})
    assert "0.7000" in open(p2).read()


def test_run_dir_none_and_false(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train, _ = loaders(n=40)
    _trainer(run_dir=False).fit(train, None, epochs=1)
    assert not (tmp_path / "runs").exists()
    t = _trainer(run_dir=None, report=False)
    t.fit(train, None, epochs=1)
    (made,) = os.listdir(tmp_path / "runs")
    assert made.endswith("-MLP") and (tmp_path / "runs" / made / "metrics.jsonl").exists()
    assert t.run.path == str(tmp_path / "runs" / made)


def test_progress_output(capsys):
    train, val = loaders(n=60)
    _trainer(progress=True).fit(train, val, epochs=2)  # stdout is captured: not a terminal
    out = capsys.readouterr().out.strip().splitlines()
    assert len(out) == 2 and out[1].startswith("epoch 2/2") and "val_accuracy" in out[1]
    assert "samples/s" in out[0]
    _trainer(progress=False).fit(train, val, epochs=1)
    assert capsys.readouterr().out == ""
    pytest.importorskip("tqdm")
    buf = io.StringIO()
    _trainer(callbacks=[ProgressBar(stream=buf, mode="bar")]).fit(train, val, epochs=1)
    assert "epoch 1/1" in buf.getvalue() and "loss" in buf.getvalue()


def test_evaluation_only_trainer_and_first_layer_weight():
    """``Trainer(model, None, loss)`` evaluates (the command line's ``evaluate``); the report
    picks the first convolution's weight for its filters plot."""
    nn = pytest.importorskip("glassnet.nn")
    from glassnet.train.report import first_layer_weight

    _, val = loaders(n=60)
    model = MLP()
    ev = Trainer(model, None, cross_entropy, run_dir=False, progress=False).evaluate(val)
    assert set(ev) == {"loss", "accuracy"}
    assert first_layer_weight(model) == (None, None)  # 2 inputs: no picture in a Linear
    if hasattr(nn, "Conv2d"):
        net = nn.Sequential(nn.Linear(3, 3), nn.Conv2d(1, 4, 3), nn.Conv2d(4, 2, 3))
        name, w = first_layer_weight(net)
        assert name == "1.weight" and w.shape == (4, 1, 3, 3)
