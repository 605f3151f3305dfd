"""The ``glassnet`` command end to end, on tiny data in a temporary folder."""

import json
import subprocess
import sys

import numpy as np
import pytest

from glassnet.cli import main

pytest.importorskip("sklearn")  # the digits dataset ships with scikit-learn

QUICK = ["--epochs", "2", "--batch-size", "32", "--limit-train", "256", "--limit-test", "120",
         "--optimizer", "sgd", "--lr", "0.05", "--quiet", "--model-arg", "hidden=[32]"]


def _train(tmp_path, name, *extra):
    out = tmp_path / name
    assert main(["train", "--model", "mlp", "--dataset", "digits", *QUICK, "--out", str(out),
                 *extra]) == 0
    return out


def _weights(run):
    from glassnet.io import load_checkpoint

    ck = load_checkpoint(str(run / "checkpoints" / "last.safetensors"))
    return {k: np.asarray(v) for k, v in ck["model"].items()}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return _train(tmp_path_factory.mktemp("cli"), "mlp-digits")


def test_train_writes_a_run_folder(run, capsys):
    for f in ("config.json", "metrics.jsonl", "report.md", "test_metrics.json",
              "checkpoints/last.safetensors", "checkpoints/best.safetensors"):
        assert (run / f).is_file(), f
    assert any((run / "plots").glob("*.png"))
    cfg = json.loads((run / "config.json").read_text())["user"]["cli"]
    assert cfg["model"] == "mlp" and cfg["dataset"] == "digits" and cfg["limit_train"] == 256
    assert len(cfg["normalization"]["mean"]) == 1  # per-channel statistics of the train part
    epochs = [json.loads(l) for l in (run / "metrics.jsonl").read_text().splitlines()]
    assert [e["epoch"] for e in epochs if "val_loss" in e] == [1, 2]
    test = json.loads((run / "test_metrics.json").read_text())
    assert test["test_samples"] == 120 and 0.5 < test["test_accuracy"] <= 1.0
    assert "test_accuracy" in (run / "report.md").read_text()


def test_evaluate_reproduces_the_test_numbers(run, capsys):
    assert main(["evaluate", str(run)]) == 0
    out = capsys.readouterr().out
    test = json.loads((run / "test_metrics.json").read_text())
    assert f"test_accuracy: {test['test_accuracy']:.4f}" in out
    assert main(["evaluate", str(run), "--split", "val", "--checkpoint", "best"]) == 0
    assert "val_accuracy" in capsys.readouterr().out
    assert main(["evaluate", str(run), "--split", "train"]) == 0
    assert "(train, 256 samples" in capsys.readouterr().out


def test_predict_on_npy_files(run, tmp_path, capsys):
    from glassnet.data.datasets import Digits

    test = Digits(train=False)
    one = tmp_path / "one.npy"
    np.save(one, test.data[0])  # raw counts 0..16, (8, 8)
    batch = tmp_path / "batch.npy"
    np.save(batch, test.inputs(np.arange(3)))  # floats in [0, 1], (3, 1, 8, 8)
    assert main(["predict", str(run), str(one), str(batch)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 4 and lines[0].startswith(f"{one}: ")
    probs = [float(t.split()[-1]) for t in lines[0].split(": ", 1)[1].split(", ")]
    assert len(probs) == 3 and probs == sorted(probs, reverse=True) and sum(probs) <= 1.0001
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros((5, 5)))
    assert main(["predict", str(run), str(bad)]) == 2
    assert "expected an input of shape (1, 8, 8)" in capsys.readouterr().err


def test_predict_png_with_pillow(run, tmp_path, capsys):
    Image = pytest.importorskip("PIL.Image")
    path = tmp_path / "digit.png"
    Image.fromarray((np.eye(16) * 255).astype(np.uint8)).save(path)  # resized to 8x8
    assert main(["predict", str(run), str(path), "--top", "2"]) == 0
    assert capsys.readouterr().out.count(", ") == 1


def test_resume_is_exact(tmp_path):
    straight = _train(tmp_path, "straight", "--epochs", "3")
    resumed = _train(tmp_path, "resumed", "--epochs", "2")
    assert main(["resume", str(resumed), "--epochs", "3", "--quiet"]) == 0
    a, b = _weights(straight), _weights(resumed)
    assert a.keys() == b.keys()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k], err_msg=k)
    lines = (resumed / "metrics.jsonl").read_text().splitlines()
    assert [json.loads(l)["epoch"] for l in lines if "val_loss" in l] == [1, 2, 3]


def test_lenet5_on_a_generated_idx_folder(tmp_path, capsys):
    from glassnet.data.datasets import write_idx

    rng = np.random.default_rng(0)
    for prefix, n in (("train", 96), ("t10k", 40)):
        labels = rng.integers(0, 10, n).astype(np.uint8)
        images = rng.integers(0, 60, (n, 28, 28)).astype(np.uint8)
        for i, c in enumerate(labels):  # a bright square whose place tells the class
            images[i, 2 * c:2 * c + 8, 4:12] = 255
        write_idx(tmp_path / "data" / f"{prefix}-images-idx3-ubyte.gz", images)
        write_idx(tmp_path / "data" / f"{prefix}-labels-idx1-ubyte.gz", labels)
    out = tmp_path / "lenet"
    assert main(["train", "--model", "lenet5", "--dataset", "mnist", "--data-dir",
                 str(tmp_path / "data"), "--epochs", "1", "--batch-size", "32", "--augment",
                 "crop", "--val-split", "0", "--out", str(out), "--quiet"]) == 0
    assert (out / "checkpoints" / "last.safetensors").is_file()
    assert "test: loss" in capsys.readouterr().out


def test_listing_commands(capsys):
    assert main(["models"]) == 0
    out = capsys.readouterr().out
    assert "lenet5" in out and "resnet56" in out and "plain20" in out
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    assert "fashion-mnist" in out and "digits" in out
    assert main(["summary", "lenet5-classic"]) == 0
    assert "Total params: 61,706" in capsys.readouterr().out
    assert main(["summary", "mlp", "--input-shape", "1,8,8"]) == 0
    assert "Total params: 109,160" in capsys.readouterr().out  # 64-500-150-10


@pytest.mark.parametrize("command", [[], ["train"], ["evaluate"], ["predict"], ["resume"],
                                     ["models"], ["datasets"], ["summary"]])
def test_help_has_examples(command, capsys):
    with pytest.raises(SystemExit) as e:
        main([*command, "--help"])
    assert e.value.code == 0
    assert "example" in capsys.readouterr().out


def test_clear_errors(tmp_path, capsys, monkeypatch):
    assert main(["train", "--model", "lenet6", "--dataset", "digits"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'lenet6'" in err and "lenet5" in err
    assert main(["train", "--model", "mlp", "--dataset", "fashion-mnist-2"]) == 2
    assert "available datasets: mnist, fashion-mnist" in capsys.readouterr().err
    assert main(["train", "--model", "lenet5", "--dataset", "digits"]) == 2
    assert "28 <= H = W <= 32" in capsys.readouterr().err
    assert main(["train", "--model", "autoencoder", "--dataset", "digits"]) == 2
    assert "autoencoder" in capsys.readouterr().err
    from glassnet.data.datasets import _files

    def offline(url, timeout):
        raise OSError("network unreachable")

    monkeypatch.setattr(_files, "_urlopen", offline)
    monkeypatch.setenv("GLASSNET_DATA", str(tmp_path / "nothing"))
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "empty").mkdir()  # a folder that exists but holds no dataset files
    assert main(["train", "--model", "mlp", "--dataset", "kmnist", "--data-dir",
                 str(tmp_path / "empty"), "--out", str(tmp_path / "r")]) == 2
    assert "dataset 'kmnist' is not available" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path)]) == 2
    assert "not a run folder" in capsys.readouterr().err


def test_module_entry_point_and_import_time():
    code = ("import sys, time; t = time.perf_counter(); import glassnet, glassnet.cli; "
            "print(time.perf_counter() - t); "
            "print(any(m in sys.modules for m in ('matplotlib', 'tqdm', 'scipy', 'torch')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[1] == "False", "importing glassnet must not load matplotlib, tqdm, scipy or torch"
    res = subprocess.run([sys.executable, "-m", "glassnet.cli", "models"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0 and "resnet20" in res.stdout


def test_a_damaged_checkpoint_is_one_line_on_stderr(run, tmp_path, capsys):
    import shutil

    broken = tmp_path / "broken"
    shutil.copytree(run, broken)
    ck = broken / "checkpoints" / "last.safetensors"
    ck.write_bytes(ck.read_bytes()[:-100])  # truncated, as by a full disk
    for command in (["evaluate", str(broken)], ["resume", str(broken), "--epochs", "3"]):
        assert main(command) == 2
        err = capsys.readouterr().err
        assert err.startswith(f"glassnet {command[0]}: error: ") and "Traceback" not in err
        assert len(err.strip().splitlines()) == 1 and "truncated at byte" in err


# ----------------------------------------------------------------------------- bad options
TRAIN = ["train", "--model", "mlp", "--dataset", "digits"]


@pytest.mark.parametrize("argv, expected", [
    ([*TRAIN, "--batch-size", "0"], "--batch-size: expected a positive integer, got 0"),
    ([*TRAIN, "--batch-size", "-8"], "--batch-size: expected a positive integer, got -8"),
    ([*TRAIN, "--batch-size", "eight"], "--batch-size: expected a positive integer, got 'eight'"),
    ([*TRAIN, "--lr", "-1"], "--lr: expected a positive number, got -1"),
    ([*TRAIN, "--lr", "0"], "--lr: expected a positive number, got 0"),
    ([*TRAIN, "--lr", "nan"], "--lr: expected a positive number, got 'nan'"),
    ([*TRAIN, "--epochs", "-3"], "--epochs: expected a positive integer, got -3"),
    ([*TRAIN, "--epochs", "0"], "--epochs: expected a positive integer, got 0"),
    ([*TRAIN, "--limit-train", "-5"], "--limit-train: expected a positive integer, got -5"),
    ([*TRAIN, "--limit-test", "0"], "--limit-test: expected a positive integer, got 0"),
    ([*TRAIN, "--workers", "-1"], "--workers: expected a non-negative integer, got -1"),
    ([*TRAIN, "--prefetch", "-1"], "--prefetch: expected a non-negative integer, got -1"),
    ([*TRAIN, "--seed", "-2"], "--seed: expected a non-negative integer, got -2"),
    ([*TRAIN, "--val-split", "1.5"], "--val-split: expected a number in [0, 1), got 1.5"),
    ([*TRAIN, "--val-split", "1"], "--val-split: expected a number in [0, 1), got 1"),
    ([*TRAIN, "--val-split", "-0.1"], "--val-split: expected a number in [0, 1), got -0.1"),
    ([*TRAIN, "--label-smoothing", "1.2"], "--label-smoothing: expected a number in [0, 1)"),
    ([*TRAIN, "--momentum", "-0.9"], "--momentum: expected a non-negative number, got -0.9"),
    ([*TRAIN, "--weight-decay=-1e-4"], "--weight-decay: expected a non-negative number"),
    ([*TRAIN, "--optimizer", "lbfgs"], "--optimizer: invalid choice: 'lbfgs'"),
    ([*TRAIN, "--data-dir", "/nonexistent"], "--data-dir: folder /nonexistent does not exist"),
    (["evaluate", "runs/x", "--batch-size", "0"], "--batch-size: expected a positive integer"),
    (["evaluate", "runs/x", "--data-dir", "/nonexistent"], "folder /nonexistent does not exist"),
    (["predict", "runs/x", "a.npy", "--top", "0"], "--top: expected a positive integer, got 0"),
    (["resume", "runs/x", "--epochs", "-1"], "--epochs: expected a positive integer, got -1"),
    (["resume", "runs/x", "--data-dir", "/nonexistent"], "folder /nonexistent does not exist"),
    (["summary", "mlp", "--input-shape", "1,x,8"], "--input-shape: expected positive integers"),
    (["summary", "mlp", "--input-shape", "1,0,8"], "--input-shape: expected positive integers"),
    (["summary", "mlp", "--num-classes", "0"], "--num-classes: expected a positive integer"),
])
def test_a_bad_option_is_one_line_and_status_2(argv, expected, capsys):
    with pytest.raises(SystemExit) as e:
        main(argv)
    assert e.value.code == 2
    captured = capsys.readouterr()
    err = captured.err
    assert captured.out == "" and len(err.strip().splitlines()) == 1, err
    assert err.startswith(f"glassnet {argv[0]}: error: argument ") and expected in err, err
    assert "Traceback" not in err and "usage:" not in err


def test_data_dir_that_is_a_file(tmp_path, capsys):
    f = tmp_path / "file.txt"
    f.write_text("x")
    with pytest.raises(SystemExit) as e:
        main([*TRAIN, "--data-dir", str(f)])
    assert e.value.code == 2 and f"folder {f} is not a folder" in capsys.readouterr().err


@pytest.mark.parametrize("argv, expected", [
    (["summary", "mlp", "--model-arg", "widht=3"], "'widht'"),
    (["summary", "mlp", "--model-arg", "noequals"], "expected KEY=VALUE, got 'noequals'"),
    (["summary", "resnet99"], "unknown model 'resnet99'"),
    (["summary", "mlp", "--dataset", "nope"], "unknown dataset 'nope'"),
    ([*TRAIN, "--model-arg", "hidden=[-3]"], "model 'mlp'"),
    ([*TRAIN, "--augment", "sparkle"], "--augment"),
    (["predict", "runs/does-not-exist", "a.npy"], "not a run folder"),
    (["resume", "runs/does-not-exist"], "not a run folder"),
])
def test_a_user_error_in_a_command_is_one_line_and_status_2(argv, expected, capsys, tmp_path):
    assert main([*argv, "--out", str(tmp_path / "r")] if argv[0] == "train" else argv) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"glassnet {argv[0]}: error: ") and expected in err, err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_an_unwritable_run_folder_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("x")  # --out under a file: the run folder cannot be made
    argv = [*TRAIN, *QUICK, "--epochs", "1", "--out", str(blocker / "run")]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("glassnet train: error: ") and str(blocker) in err
    assert len(err.strip().splitlines()) == 1
