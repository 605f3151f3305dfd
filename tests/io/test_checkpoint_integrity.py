"""Checksums on every load: what each rejection says, files from before checksums, PyTorch files.

tests/io/test_checkpoint_fuzz.py damages files by the thousand; this file checks the messages
and the rules one case at a time.
"""

from __future__ import annotations

import hashlib
import io
import json
import pickle
import struct
import zipfile

import numpy as np
import pytest

import glassnet as gn
import glassnet.io as gio
import glassnet.serialization
from glassnet import nn, optim
from glassnet.io import tensor_file as tfmod


def _model_sd():
    return {"fc.weight": gn.tensor(np.arange(12, dtype=np.float32).reshape(4, 3)),
            "fc.bias": gn.tensor(np.array([0.5, -1.5, 2.0, 3.0], dtype=np.float32))}


def _flip(path, pos, bit=0):
    data = bytearray(path.read_bytes())
    data[pos] ^= 1 << bit
    path.write_bytes(bytes(data))


def _data_start(path):
    data = path.read_bytes()
    return 8 + struct.unpack("<Q", data[:8])[0]


def _span(path, name):
    """Absolute byte range of tensor ``name`` in a safetensors file."""
    data = path.read_bytes()
    n = struct.unpack("<Q", data[:8])[0]
    b, e = json.loads(data[8:8 + n])[name]["data_offsets"]
    return 8 + n + b, 8 + n + e


def test_one_error_class():
    assert issubclass(gio.CheckpointError, RuntimeError)
    assert issubclass(gio.CheckpointError, ValueError)  # what it was before: old handlers work
    assert glassnet.serialization.CheckpointError is gio.CheckpointError


def test_every_written_file_carries_a_checksum(tmp_path):
    gn.save({"w": gn.ones(3)}, tmp_path / "a.pt")
    p = gio.save(_model_sd(), tmp_path / "b.safetensors")
    c = gio.save_checkpoint(tmp_path / "c.safetensors", model=_model_sd(), extra={"lr": 0.1})
    for f in (tmp_path / "a.pt", p, c):
        with open(f, "rb") as fh:
            data = fh.read()
        n = struct.unpack("<Q", data[:8])[0]
        digest = json.loads(data[8:8 + n])["__metadata__"]["glassnet_sha256"]
        at = data.index(digest.encode())
        blank = data[:at] + b"0" * 64 + data[at + 64:]
        assert hashlib.sha256(blank).hexdigest() == digest  # the documented definition
    sidecar = json.loads((tmp_path / "c.json").read_text())
    seal = sidecar.pop("sha256")
    canonical = json.dumps(sidecar, sort_keys=True, separators=(",", ":")).encode()
    assert seal == hashlib.sha256(canonical).hexdigest()
    with open(c, "rb") as fh:
        assert sidecar["tensors_sha256"] == hashlib.sha256(fh.read()).hexdigest()
    assert "glassnet_sha256" not in gio.read_tensors(p)[1]  # not part of the user's metadata


def test_flipped_bit_in_tensor_data_names_the_tensor(tmp_path):
    p = tmp_path / "last.safetensors"
    gio.save_checkpoint(p, model=_model_sd(), extra={"step": 1})
    b, e = _span(p, "model/fc.bias")
    _flip(p, b + 5, 3)
    msg = rf"checksum mismatch in tensor 'model/fc.bias' \(bytes {b}..{e}\)"
    with pytest.raises(gio.CheckpointError, match=msg):
        gio.load_checkpoint(p)  # the sidecar's SHA-256 saw it too: an error, no warning
    with pytest.raises(gio.CheckpointError, match=msg):
        gio.load(p)
    with pytest.raises(RuntimeError, match=msg):  # PyTorch-style handlers catch it
        gn.load(p)


def test_flipped_bit_in_header_and_npz(tmp_path, monkeypatch):
    p = tmp_path / "w.safetensors"
    gio.save(_model_sd(), p)
    _flip(p, 20)
    with pytest.raises(gio.CheckpointError, match="w.safetensors"):
        gio.load(p)
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    q = tmp_path / "o.pt"
    gn.save({"a": gn.zeros(50), "b": gn.ones(50)}, q)
    data = q.read_bytes()
    at = data.index(np.ones(50, np.float32).tobytes())  # b's values, stored verbatim
    _flip(q, at + 17, 6)
    with pytest.raises(gio.CheckpointError, match=r"checksum mismatch in tensor 'obj/b'"):
        gn.load(q)


def test_truncation_says_where(tmp_path):
    p = tmp_path / "w.safetensors"
    gio.save(_model_sd(), p)
    data = p.read_bytes()
    size = len(data)
    p.write_bytes(data[:size - 10])
    with pytest.raises(gio.CheckpointError,
                       match=rf"truncated at byte {size - 10}: its header describes {size} bytes"):
        gio.load(p)
    p.write_bytes(data[:20])
    with pytest.raises(gio.CheckpointError, match=r"truncated at byte 20: the header alone needs"):
        gio.load(p)
    p.write_bytes(data[:3])
    with pytest.raises(gio.CheckpointError, match="truncated at byte 3"):
        gio.load(p)


def test_edited_sidecar_is_an_error(tmp_path):
    p = gio.save_checkpoint(tmp_path / "last.safetensors", model=_model_sd(),
                            optimizer={"param_groups": [{"lr": 0.1, "params": [0]}], "state": {}})
    side = tmp_path / "last.json"
    text = side.read_text()
    assert '"lr": 0.1' in text
    side.write_text(text.replace('"lr": 0.1', '"lr": 0.9'))
    with pytest.raises(gio.CheckpointError, match=r"last.json: checksum mismatch.*delete"):
        gio.load_checkpoint(p)
    side.unlink()  # what the message advises: the tensor file alone holds the whole state
    assert gio.load_checkpoint(p)["optimizer"]["param_groups"][0]["lr"] == 0.1


def test_garbage_metadata_is_a_checkpoint_error(tmp_path):
    """A header that is valid JSON but describes nonsense (a file without a checksum, so
    nothing stops it earlier) raises CheckpointError, not AttributeError or TypeError."""
    import safetensors.numpy as stn

    p = tmp_path / "x.safetensors"
    arrays = {"model/w": np.ones(2, np.float32)}
    every = (gio.load_checkpoint, gio.load, gn.load)
    for meta, loaders in [({"glassnet": "[1, 2]"}, every), ({"glassnet": '{"model_keys": 5}'}, every),
                          ({"glassnet": '{"optimizer": {"__dict__": 3}}'}, [gio.load_checkpoint]),
                          ({"glassnet_state": '{"__scalar__": 1, "dtype": "nope"}'}, every[1:]),
                          ({"glassnet_keys": '{"a": 1}'}, every[1:]), ({"glassnet": "{"}, every)]:
        p.write_bytes(stn.save(arrays, metadata=meta))
        for load in loaders:
            with pytest.raises(gio.CheckpointError, match="x.safetensors"):
                load(p)


# ----------------------------------------------------------------------------- legacy files
def _legacy_checkpoint(tmp_path):
    """A checkpoint as glassnet wrote it before checksums: no seal in the tensor file, a
    sidecar with tensors_sha256 but no sha256 of its own."""
    import safetensors.numpy as stn

    new = gio.save_checkpoint(tmp_path / "new.safetensors", model=_model_sd(),
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
    np.testing.assert_array_equal(ck["model"]["fc.weight"].numpy(), _model_sd()["fc.weight"].numpy())
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
    b, _ = _span(p, "model/fc.weight")
    _flip(p, b + 2)  # damaged data in a file without a seal: the sidecar's SHA-256 sees it
    with pytest.raises(gio.CheckpointError, match="old.json does not match .*old.safetensors"):
        gio.load_checkpoint(p)


# ----------------------------------------------------------------------------- foreign files
def _fake_torch_zip():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("archive/data.pkl", pickle.dumps({"w": 1}, protocol=2))
        z.writestr("archive/version", "3\n")
        z.writestr("archive/data/0", b"\0" * 16)
    return buf.getvalue()


@pytest.mark.parametrize("source", ["zip", "pickle", "torch"])
def test_pytorch_files_are_named_and_never_unpickled(tmp_path, monkeypatch, source):
    p = tmp_path / "x.pt"
    if source == "torch":
        torch = pytest.importorskip("torch")
        torch.save(torch.nn.Linear(3, 2).state_dict(), p)
    elif source == "zip":
        p.write_bytes(_fake_torch_zip())
    else:
        p.write_bytes(pickle.dumps({"w": [1.0, 2.0]}, protocol=2))

    def no_unpickling(*a, **k):
        raise AssertionError("a loader tried to unpickle")

    monkeypatch.setattr(pickle, "loads", no_unpickling)
    monkeypatch.setattr(pickle, "load", no_unpickling)
    monkeypatch.setattr(pickle, "Unpickler", no_unpickling)
    recipe = r"PyTorch.*safetensors\.torch\.save_file"
    for load in (gn.load, gio.load, gio.load_checkpoint):
        with pytest.raises(gio.CheckpointError, match=recipe):
            load(p)


def test_wrong_names(tmp_path):
    with pytest.raises(gio.CheckpointError, match=r"no checkpoint at '.*y.pt': there is no "
                                                  r"'.*y.pt.safetensors'"):
        gio.load_checkpoint(tmp_path / "y.pt")
    gio.save(_model_sd(), tmp_path / "w.safetensors")
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
    b, _ = _span(p, "model/weight")
    _flip(p, b + 1, 7)
    with pytest.raises(gio.CheckpointError, match=r"checksum mismatch in tensor 'model/weight'"):
        Trainer(model, opt, loss, metrics=(), progress=False, report=False).resume(p)
