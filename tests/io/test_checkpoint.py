"""Checkpoints (glassnet/io/checkpoint.py): round trips, the .npz fallback, a crash between
the tensor file and its sidecar, clear errors, the JSON sidecar's checksum (edited, from before
checksums, wrong names), and a trainer that refuses to resume from a damaged checkpoint."""

from __future__ import annotations

import hashlib
import io
import json
import os

import numpy as np
import pytest
from checkpoint_helpers import assert_same, fc_sd, flip_file, model_sd, optim_sd, tensor_span

import glassnet as gn
import glassnet.io as gio
from glassnet import nn, optim
from glassnet.io import checkpoint as ckmod
from glassnet.io import tensor_file as tfmod


def test_checkpoint_round_trip(tmp_path):
    rng = gio.capture_rng_state()
    path = gio.save_checkpoint(tmp_path / "last.safetensors", model=model_sd(), optimizer=optim_sd(),
                               scheduler={"last_epoch": 4, "_last_lr": [0.1]},
                               extra={"epoch": 2, "rng": rng, "history": {"loss": [1.0, 0.5]}})
    assert path.endswith("last.safetensors")
    sidecar = json.loads((tmp_path / "last.json").read_text())
    assert sidecar["optimizer"]["param_groups"][0]["lr"] == 0.001
    assert sidecar["extra"]["epoch"] == 2 and len(sidecar["tensors_sha256"]) == 64
    ck = gio.load_checkpoint(tmp_path / "last")  # extension optional
    assert_same(model_sd(), ck["model"])
    assert_same(optim_sd(), ck["optimizer"])
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
    assert list(w) == list(model_sd())


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
    assert_same(opt.state_dict(), opt2.state_dict())
    assert sched2.state_dict() == sched.state_dict()
    assert opt2.param_groups[0]["lr"] == opt.param_groups[0]["lr"]


def test_save_load_plain_and_nested(tmp_path):
    sd = model_sd()
    p = gio.save(sd, tmp_path / "w.safetensors", metadata={"note": "hi"})
    back = gio.load(p)
    assert_same(sd, back)
    assert gio.read_tensors(p)[1]["note"] == "hi"
    arrays = gio.load(p, as_numpy=True)
    assert isinstance(arrays["fc.weight"], np.ndarray)
    nested = gio.load(gio.save(optim_sd(), tmp_path / "o.safetensors"))
    assert_same(optim_sd(), nested)


def test_npz_fallback(tmp_path, monkeypatch):
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    p = gio.save_checkpoint(tmp_path / "last.safetensors", model=model_sd(), optimizer=optim_sd(),
                            extra={"step": 5})
    assert p.endswith("last.npz") and os.path.exists(p)
    with np.load(p, allow_pickle=False) as z:  # a plain archive: no pickled objects inside
        assert "model/fc.weight" in z.files and z["__metadata__"].dtype == np.uint8
    ck = gio.load_checkpoint(tmp_path / "last.safetensors")  # finds the .npz sibling
    assert_same(model_sd(), ck["model"])
    assert_same(optim_sd(), ck["optimizer"])
    assert ck["extra"] == {"step": 5}
    q = gio.save(model_sd(), tmp_path / "w.safetensors")
    assert q.endswith(".npz")
    assert_same(model_sd(), gio.load(q))


def test_crash_between_tensor_file_and_sidecar(tmp_path, monkeypatch):
    gio.save_checkpoint(tmp_path / "last.safetensors", model=model_sd(), extra={"step": 1})

    def fail(*a, **k):
        raise OSError("crash before the sidecar (simulated)")

    monkeypatch.setattr(ckmod, "atomic_write_json", fail)
    with pytest.raises(OSError):
        gio.save_checkpoint(tmp_path / "last.safetensors", model=model_sd(), extra={"step": 2})
    monkeypatch.undo()
    with pytest.warns(UserWarning, match="does not belong"):
        ck = gio.load_checkpoint(tmp_path / "last.safetensors")
    assert ck["extra"] == {"step": 2}  # the tensor file's own copy: consistent with its tensors


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "header"])
def test_corrupt_checkpoint_raises_clear_error(tmp_path, damage):
    p = gio.save_checkpoint(tmp_path / "last.safetensors", model=model_sd(), optimizer=optim_sd())
    data = open(p, "rb").read()
    bad = {"truncate": data[: len(data) // 2], "garbage": os.urandom(200), "empty": b"",
           "header": data[:8] + b"X" + data[9:]}[damage]
    open(p, "wb").write(bad)
    with pytest.raises(gio.CheckpointError, match="last.safetensors"):
        gio.load_checkpoint(p)
    with pytest.raises(gio.CheckpointError, match="last.safetensors"):
        gio.load(p)


def test_corrupt_sidecar_and_npz_and_missing(tmp_path, monkeypatch):
    p = gio.save_checkpoint(tmp_path / "a.safetensors", model=model_sd())
    (tmp_path / "a.json").write_text('{"format": "glassnet-che')
    with pytest.raises(gio.CheckpointError, match="a.json"):
        gio.load_checkpoint(p)
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    q = gio.save(model_sd(), tmp_path / "b.npz")
    open(q, "wb").write(open(q, "rb").read()[:100])
    with pytest.raises(gio.CheckpointError, match="b.npz"):
        gio.load(q)
    with pytest.raises(gio.CheckpointError, match="nothere"):
        gio.load_checkpoint(tmp_path / "nothere.safetensors")


def test_save_parameters_and_torch_tensors(tmp_path):
    import glassnet.nn as nn

    params = {"w": nn.Parameter(gn.ones(2, 2)), "b": nn.Parameter(gn.zeros(2))}
    back = gio.load(gio.save(params, tmp_path / "p.safetensors"))
    assert list(back) == ["w", "b"] and back["w"].numpy().sum() == 4
    torch = pytest.importorskip("torch")
    back = gio.load(gio.save({"t": torch.arange(3.0)}, tmp_path / "t.safetensors"), as_numpy=True)
    np.testing.assert_array_equal(back["t"], [0.0, 1.0, 2.0])


def test_edited_sidecar_is_an_error(tmp_path):
    p = gio.save_checkpoint(tmp_path / "last.safetensors", model=fc_sd(),
                            optimizer={"param_groups": [{"lr": 0.1, "params": [0]}], "state": {}})
    side = tmp_path / "last.json"
    text = side.read_text()
    assert '"lr": 0.1' in text
    side.write_text(text.replace('"lr": 0.1', '"lr": 0.9'))
    with pytest.raises(gio.CheckpointError, match=r"last.json: checksum mismatch.*delete"):
        gio.load_checkpoint(p)
    side.unlink()  # what the message advises: the tensor file alone holds the whole state
    assert gio.load_checkpoint(p)["optimizer"]["param_groups"][0]["lr"] == 0.1


# ----------------------------------------------------------------------------- legacy files
def _legacy_checkpoint(tmp_path):
    """A checkpoint as glassnet wrote it before checksums: no seal in the tensor file, a
    sidecar with tensors_sha256 but no sha256 of its own."""
    import safetensors.numpy as stn

    new = gio.save_checkpoint(tmp_path / "new.safetensors", model=fc_sd(),
                              optimizer={"param_groups": [{"lr": 0.1, "params": [0]}],
                                         "state": {}})
    arrays, meta = gio.read_tensors(new)
    data = stn.save(arrays, metadata=meta)
    (tmp_path / "old.safetensors").write_bytes(data)
    side = json.loads((tmp_path / "new.json").read_text())
    del side["sha256"]
    side.update(tensors_file="old.safetensors", tensors_sha256=hashlib.sha256(data).hexdigest())
    (tmp_path / "old.json").write_text(json.dumps(side, indent=2))
    return tmp_path / "old.safetensors"


def test_files_from_before_checksums_still_load(tmp_path, monkeypatch):
    p = _legacy_checkpoint(tmp_path)
    ck = gio.load_checkpoint(p)
    assert ck["optimizer"]["param_groups"][0]["lr"] == 0.1
    np.testing.assert_array_equal(ck["model"]["fc.weight"].numpy(), fc_sd()["fc.weight"].numpy())
    assert list(gio.load(p)) == ["fc.weight", "fc.bias"]
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    buf = io.BytesIO()  # an .npz from before checksums: no CRC-32s, no archive comment
    meta = json.dumps({"glassnet_keys": '["b", "a"]'}).encode()
    np.savez(buf, __metadata__=np.frombuffer(meta, np.uint8), a=np.zeros(2), b=np.ones(3))
    (tmp_path / "old.npz").write_bytes(buf.getvalue())
    assert list(gio.load(tmp_path / "old.npz")) == ["b", "a"]


def test_old_sidecar_must_still_match(tmp_path):
    p = _legacy_checkpoint(tmp_path)
    side = tmp_path / "old.json"
    good = side.read_text()
    side.write_text(good.replace('"lr": 0.1', '"lr": 0.9'))
    with pytest.raises(gio.CheckpointError, match="differs from the copy inside"):
        gio.load_checkpoint(p)
    side.write_text(good)
    b, _ = tensor_span(p, "model/fc.weight")
    flip_file(p, b + 2)  # damaged data in a file without a seal: the sidecar's SHA-256 sees it
    with pytest.raises(gio.CheckpointError, match="old.json does not match .*old.safetensors"):
        gio.load_checkpoint(p)


def test_wrong_names(tmp_path):
    with pytest.raises(gio.CheckpointError, match=r"no checkpoint at '.*y.pt': there is no "
                                                  r"'.*y.pt.safetensors'"):
        gio.load_checkpoint(tmp_path / "y.pt")
    gio.save(fc_sd(), tmp_path / "w.safetensors")
    (tmp_path / "w.safetensors").rename(tmp_path / "weights.bin")  # any name: read what is there
    assert sorted(gio.load_checkpoint(tmp_path / "weights.bin")["model"]) == ["fc.bias",
                                                                              "fc.weight"]
    with pytest.raises(gio.CheckpointError, match="is a directory"):
        gio.load_checkpoint(tmp_path)
    (tmp_path / "notes.txt").write_text("hello, world")
    with pytest.raises(gio.CheckpointError, match="not a tensor file"):
        gio.load_checkpoint(tmp_path / "notes.txt")


def test_trainer_resume_refuses_damaged_checkpoint(tmp_path):
    from glassnet.train import Trainer

    gn.manual_seed(0)
    model = nn.Linear(3, 2)
    opt = optim.SGD(model.parameters(), lr=0.1)
    def loss(out, y):
        return ((out - y) ** 2).mean()

    trainer = Trainer(model, opt, loss, metrics=(), progress=False, report=False)
    x, y = gn.randn(8, 3), gn.randn(8, 2)
    trainer.fit([(x, y)], epochs=1)
    p = tmp_path / "last.safetensors"
    trainer.save_checkpoint(p)
    b, _ = tensor_span(p, "model/weight")
    flip_file(p, b + 1, 7)
    with pytest.raises(gio.CheckpointError, match=r"checksum mismatch in tensor 'model/weight'"):
        Trainer(model, opt, loss, metrics=(), progress=False, report=False).resume(p)
