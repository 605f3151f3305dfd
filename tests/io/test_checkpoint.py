"""Checkpoints: round trips, the .npz fallback, atomic writes under crashes, clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import glassnet as gn
import glassnet.io as gio
from glassnet.io import checkpoint as ckmod
from glassnet.io import tensor_file as tfmod

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _model_sd():
    return {"fc.weight": gn.tensor(np.arange(6, dtype=np.float32).reshape(2, 3)),
            "fc.bias": gn.tensor(np.array([0.5, -1.5], dtype=np.float32)),
            "bn.num_batches_tracked": gn.tensor(np.array(7, dtype=np.int64)),
            "emb.weight": gn.tensor(np.ones((3, 2), dtype=np.float64))}


def _optim_sd():
    return {"state": {0: {"step": 3, "exp_avg": gn.tensor(np.full(3, 0.25, np.float32)),
                          "exp_avg_sq": np.arange(3, dtype=np.float32)},
                      1: {"step": 3, "momentum_buffer": None}},
            "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "eps": 1e-8, "amsgrad": False,
                              "params": [0, 1], "initial_lr": float("inf"), "nan": float("nan"),
                              "f32": np.float32(1.25), "i64": np.int64(-4)}]}


def _assert_same(a, b):
    if isinstance(a, dict):
        assert isinstance(b, dict) and list(a) == list(b)
        for k in a:
            _assert_same(a[k], b[k])
    elif isinstance(a, (list, tuple)):
        assert type(a) is type(b) and len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    elif hasattr(a, "shape"):
        xa, xb = np.asarray(a), np.asarray(b)
        assert xa.dtype == xb.dtype and xa.shape == xb.shape and np.array_equal(xa, xb)
        assert type(a).__name__ == type(b).__name__
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b)
    else:
        assert a == b and type(a) is type(b)


def test_flatten_state_round_trip():
    st = _optim_sd()
    skel, tensors = gio.flatten_state(st, "optimizer")
    json.dumps(skel)  # the skeleton is plain JSON
    assert set(tensors) == {"optimizer/state/0/exp_avg", "optimizer/state/0/exp_avg_sq"}
    _assert_same(st, gio.unflatten_state(json.loads(json.dumps(skel)), tensors))


def test_flatten_state_refuses_objects_naming_the_path():
    with pytest.raises(TypeError, match=r"state/param_groups/0/fn.*no pickle"):
        gio.flatten_state({"param_groups": [{"fn": lambda x: x}]})


def test_checkpoint_round_trip(tmp_path):
    rng = gio.capture_rng_state()
    path = gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(), optimizer=_optim_sd(),
                               scheduler={"last_epoch": 4, "_last_lr": [0.1]},
                               extra={"epoch": 2, "rng": rng, "history": {"loss": [1.0, 0.5]}})
    assert path.endswith("last.safetensors")
    sidecar = json.loads((tmp_path / "last.json").read_text())
    assert sidecar["optimizer"]["param_groups"][0]["lr"] == 0.001
    assert sidecar["extra"]["epoch"] == 2 and len(sidecar["tensors_sha256"]) == 64
    ck = gio.load_checkpoint(tmp_path / "last")  # extension optional
    _assert_same(_model_sd(), ck["model"])
    _assert_same(_optim_sd(), ck["optimizer"])
    assert ck["scheduler"] == {"last_epoch": 4, "_last_lr": [0.1]}
    assert ck["extra"]["epoch"] == 2 and ck["extra"]["history"] == {"loss": [1.0, 0.5]}
    gn.rand(5)
    np.random.rand(3)
    gio.restore_rng_state(ck["extra"]["rng"])
    a, b = gn.rand(4).numpy(), np.random.rand(2)
    gio.restore_rng_state(rng)
    np.testing.assert_array_equal(a, gn.rand(4).numpy())
    np.testing.assert_array_equal(b, np.random.rand(2))
    # the model part is a plain weights file too
    w = gio.load(path)
    assert list(w) == list(_model_sd())


def test_checkpoint_loads_into_objects(tmp_path):
    torch = pytest.importorskip("torch")  # noqa: F841 - only to keep the environment honest
    import glassnet.nn as nn
    import glassnet.optim as optim

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.w = nn.Parameter(gn.randn(3, 2))
            self.b = nn.Parameter(gn.zeros(3))

        def forward(self, x):
            return x @ self.w.T + self.b

    net = Net()
    opt = optim.Adam(net.parameters(), lr=0.01)
    sched = optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    for _ in range(3):
        opt.zero_grad()
        (net(gn.randn(4, 2)) ** 2).mean().backward()
        opt.step()
        sched.step()
    gio.save_checkpoint(tmp_path / "c.safetensors", model=net, optimizer=opt, scheduler=sched)
    net2 = Net()
    opt2 = optim.Adam(net2.parameters(), lr=0.01)
    sched2 = optim.lr_scheduler.StepLR(opt2, step_size=1, gamma=0.5)
    gio.load_checkpoint(tmp_path / "c.safetensors", model=net2, optimizer=opt2, scheduler=sched2)
    for k, v in net.state_dict().items():
        np.testing.assert_array_equal(v.numpy(), net2.state_dict()[k].numpy())
    _assert_same(opt.state_dict(), opt2.state_dict())
    assert sched2.state_dict() == sched.state_dict()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_save_load_plain_and_nested(tmp_path):
    sd = _model_sd()
    p = gio.save(sd, tmp_path / "w.safetensors", metadata={"note": "hi"})
    back = gio.load(p)
    _assert_same(sd, back)
    assert gio.read_tensors(p)[1]["note"] == "hi"
    arrays = gio.load(p, as_numpy=True)
    assert isinstance(arrays["fc.weight"], np.ndarray)
    nested = gio.load(gio.save(_optim_sd(), tmp_path / "o.safetensors"))
    _assert_same(_optim_sd(), nested)


def test_npz_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    p = gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(), optimizer=_optim_sd(),
                            extra={"step": 5})
    assert p.endswith("last.npz") and os.path.exists(p)
    with np.load(p, allow_pickle=False) as z:  # a plain archive: no pickled objects inside
        assert "model/fc.weight" in z.files and z["__metadata__"].dtype == np.uint8
    ck = gio.load_checkpoint(tmp_path / "last.safetensors")  # finds the .npz sibling
    _assert_same(_model_sd(), ck["model"])
    _assert_same(_optim_sd(), ck["optimizer"])
    assert ck["extra"] == {"step": 5}
    q = gio.save(_model_sd(), tmp_path / "w.safetensors")
    assert q.endswith(".npz")
    _assert_same(_model_sd(), gio.load(q))


def test_atomic_write_keeps_old_file_on_failure(tmp_path, monkeypatch):
    path = gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(), extra={"step": 1})
    before = open(path, "rb").read()

    def boom(src, dst):
        raise OSError("disk full (simulated)")

    monkeypatch.setattr(os, "replace", boom)
    big = {k: v * 2 for k, v in _model_sd().items() if v.dtype.kind == "f"}
    with pytest.raises(OSError, match="simulated"):
        gio.save_checkpoint(tmp_path / "last.safetensors", model=big, extra={"step": 2})
    monkeypatch.undo()
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["last.json", "last.safetensors"]  # no temp left
    assert gio.load_checkpoint(path)["extra"] == {"step": 1}

    def half_then_fail(f):
        f.write(b"partial")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        gio.atomic_write(path, half_then_fail)
    assert open(path, "rb").read() == before
    assert sorted(os.listdir(tmp_path)) == ["last.json", "last.safetensors"]


def test_hard_crash_mid_write_leaves_old_checkpoint(tmp_path):
    """A process killed while writing (os._exit inside fsync) leaves the old checkpoint readable."""
    script = textwrap.dedent(f"""
        import os, sys
        sys.path.insert(0, {ROOT!r})
        import numpy as np
        import glassnet.io as gio
        p = {str(tmp_path / 'last.safetensors')!r}
        gio.save_checkpoint(p, model={{"w": np.ones(4, np.float32)}}, extra={{"step": 1}})
        os.fsync = lambda fd: os._exit(3)   # the power goes out while the new file is written
        gio.save_checkpoint(p, model={{"w": np.full(4, 9, np.float32)}}, extra={{"step": 2}})
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert r.returncode == 3, r.stderr
    ck = gio.load_checkpoint(tmp_path / "last.safetensors")
    assert ck["extra"] == {"step": 1}
    np.testing.assert_array_equal(ck["model"]["w"].numpy(), np.ones(4, np.float32))


def test_crash_between_tensor_file_and_sidecar(tmp_path, monkeypatch):
    gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(), extra={"step": 1})

    def fail(*a, **k):
        raise OSError("crash before the sidecar (simulated)")

    monkeypatch.setattr(ckmod, "atomic_write_json", fail)
    with pytest.raises(OSError):
        gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(), extra={"step": 2})
    monkeypatch.undo()
    with pytest.warns(UserWarning, match="does not belong"):
        ck = gio.load_checkpoint(tmp_path / "last.safetensors")
    assert ck["extra"] == {"step": 2}  # the tensor file's own copy: consistent with its tensors


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "header"])
def test_corrupt_checkpoint_raises_clear_error(tmp_path, damage):
    p = gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(), optimizer=_optim_sd())
    data = open(p, "rb").read()
    bad = {"truncate": data[: len(data) // 2], "garbage": os.urandom(200), "empty": b"",
           "header": data[:8] + b"X" + data[9:]}[damage]
    open(p, "wb").write(bad)
    with pytest.raises(gio.CheckpointError, match="last.safetensors"):
        gio.load_checkpoint(p)
    with pytest.raises(gio.CheckpointError, match="last.safetensors"):
        gio.load(p)


def test_corrupt_sidecar_and_npz_and_missing(tmp_path, monkeypatch):
    p = gio.save_checkpoint(tmp_path / "a.safetensors", model=_model_sd())
    (tmp_path / "a.json").write_text('{"format": "glassnet-che')
    with pytest.raises(gio.CheckpointError, match="a.json"):
        gio.load_checkpoint(p)
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    q = gio.save(_model_sd(), tmp_path / "b.npz")
    open(q, "wb").write(open(q, "rb").read()[:100])
    with pytest.raises(gio.CheckpointError, match="b.npz"):
        gio.load(q)
    with pytest.raises(gio.CheckpointError, match="nothere"):
        gio.load_checkpoint(tmp_path / "nothere.safetensors")


def test_torch_interop():
    torch = pytest.importorskip("torch")
    lin = torch.nn.Linear(3, 2)
    sd = gio.from_torch_state_dict(lin.state_dict())
    assert list(sd) == ["weight", "bias"] and sd["weight"].dtype == np.float32
    np.testing.assert_array_equal(sd["weight"].numpy(), lin.weight.detach().numpy())
    back = gio.to_torch_state_dict(sd)
    lin2 = torch.nn.Linear(3, 2)
    lin2.load_state_dict(back)
    assert torch.equal(lin2.weight, lin.weight)


def test_save_parameters_and_torch_tensors(tmp_path):
    import glassnet.nn as nn

    params = {"w": nn.Parameter(gn.ones(2, 2)), "b": nn.Parameter(gn.zeros(2))}
    back = gio.load(gio.save(params, tmp_path / "p.safetensors"))
    assert list(back) == ["w", "b"] and back["w"].numpy().sum() == 4
    torch = pytest.importorskip("torch")
    back = gio.load(gio.save({"t": torch.arange(3.0)}, tmp_path / "t.safetensors"), as_numpy=True)
    np.testing.assert_array_equal(back["t"], [0.0, 1.0, 2.0])
