"""Tensor files (glassnet/io/tensor_file.py): a damaged file is refused with CheckpointError
or loads unchanged, and each rejection says what is wrong.

Fuzzing: every kind of file glassnet writes (``glassnet.save``, ``glassnet.io.save``, a
checkpoint's tensor file and its JSON sidecar, the ``.npz`` fallback) is damaged in hundreds of
seeded ways: truncations, bit flips in the header, the data and the sidecar, lying header
lengths, runs of overwritten bytes, edited digits. Each load must raise ``CheckpointError`` or
return exactly the original (same keys in the same order, types, dtypes, shapes and bytes).

Forged files go further: a hostile header (huge shapes, wrong dtype strings, overlapping
offsets) or garbage metadata, either without a checksum (as a file from before checksums) or
resealed with a correct one. Those must raise ``CheckpointError`` or load without any other
exception (a forged file with a valid checksum and a valid structure is data, not damage).

One case at a time: the checksum every written file carries, the messages for a flipped bit in
the data or the header, a truncation and garbage metadata, and PyTorch files named and never
unpickled.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import pickle
import shutil
import struct
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from checkpoint_helpers import fc_sd, flip_file, tensor_span

import glassnet as gn
import glassnet.io as gio
import glassnet.serialization
from glassnet.io import tensor_file as tfmod

SEAL = b'"glassnet_sha256":"'


def _state():
    rng = np.random.default_rng(0)
    return {"model": {"fc.weight": gn.tensor(rng.standard_normal((4, 3)).astype(np.float32)),
                      "fc.bias": gn.tensor(rng.standard_normal(4).astype(np.float32)),
                      "steps": gn.tensor(np.array(7, dtype=np.int64)),
                      "mask": gn.tensor(rng.random(5) > 0.5)},
            "optimizer": {"state": {0: {"step": 3, "exp_avg": rng.standard_normal(4)}},
                          "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0]}]},
            "epoch": 2, "loss": 0.125}


def _same(a, b):
    if isinstance(a, dict):
        return isinstance(b, dict) and list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_same, a, b))
    if hasattr(a, "shape"):
        xa, xb = np.asarray(a), np.asarray(b)
        return (type(a) is type(b) and xa.dtype == xb.dtype and xa.shape == xb.shape
                and xa.tobytes() == xb.tobytes())
    return type(a) is type(b) and a == b


def _put(path, data):
    """Write a file anew (unlink first: rewriting a file in place through truncation makes a
    journaling file system flush it, a thousand times slower)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    with open(path, "wb") as f:
        f.write(data)


class Kind:
    """One kind of file: how to write it, which file to damage, how to load it."""

    def __init__(self, name, folder, write, load, target=None):
        self.name, self.load = name, load
        folder.mkdir()
        self.path = Path(write(folder))
        self.target = self.path if target is None else target(self.path)
        self.original = self.target.read_bytes()
        self.expected = load(self.path)

    def outcome(self, damaged: bytes, description: str) -> str:
        """'error' or 'same'; anything else fails the test with the damage described."""
        _put(self.target, damaged)
        try:
            got = self.load(self.path)
        except gio.CheckpointError:
            return "error"
        except Exception as exc:  # noqa: BLE001 - the point: nothing but CheckpointError
            pytest.fail(f"{self.name}, {description}: {type(exc).__name__}: {exc}")
        finally:
            _put(self.target, self.original)
        assert _same(self.expected, got), f"{self.name}, {description}: loaded different data"
        return "same"


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """A RAM-backed folder where the system has one (thousands of small writes), else tmp."""
    if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK):
        path = Path(tempfile.mkdtemp(prefix="glassnet-fuzz-", dir="/dev/shm"))
        yield path
        shutil.rmtree(path, ignore_errors=True)
    else:
        yield tmp_path_factory.mktemp("fuzz")


@pytest.fixture(scope="module")
def kinds(folder):
    base = folder
    st = _state()

    def obj(d):
        gn.save(st, d / "obj.pt")
        return d / "obj.pt"

    def checkpoint(d):
        return gio.save_checkpoint(d / "last.safetensors", model=st["model"],
                                   optimizer=st["optimizer"], extra={"epoch": 2})

    out = {"glassnet.save": Kind("glassnet.save", base / "obj", obj, gn.load),
           "io.save": Kind("io.save", base / "w", lambda d: gio.save(st["model"], d / "w.st"),
                           gio.load),
           "checkpoint": Kind("checkpoint", base / "ck", checkpoint, gio.load_checkpoint),
           "sidecar": Kind("sidecar", base / "sc", checkpoint, gio.load_checkpoint,
                           lambda p: p.with_suffix(".json"))}
    with pytest.MonkeyPatch.context() as mp:  # the .npz fallback
        mp.setattr(tfmod, "safetensors_available", lambda: False)
        out["checkpoint.npz"] = Kind("checkpoint.npz", base / "cknpz", checkpoint,
                                     gio.load_checkpoint)
        out["glassnet.save.npz"] = Kind("glassnet.save.npz", base / "objnpz", obj, gn.load)
    assert out["checkpoint.npz"].path.suffix == ".npz"
    return out


def _regions(data: bytes):
    """(header end, file end) of a safetensors file; for an .npz, its last 200 bytes (central
    directory and comment) stand for the header."""
    if data[:2] == b"PK":
        return len(data) - 200, len(data)
    return 8 + struct.unpack("<Q", data[:8])[0], len(data)


def _flip(data, pos, bit):
    b = bytearray(data)
    b[pos] ^= 1 << bit
    return bytes(b)


def _run(kind, cases):
    counts = Counter(kind.outcome(d, desc) for desc, d in cases)
    return counts


TENSOR_KINDS = ["glassnet.save", "io.save", "checkpoint", "checkpoint.npz", "glassnet.save.npz"]


@pytest.mark.parametrize("name", TENSOR_KINDS)
def test_truncations(kinds, name):
    kind = kinds[name]
    data, rng = kind.original, np.random.default_rng(1)
    cuts = sorted({0, 1, 7, 8, 9, len(data) - 1, _regions(data)[0]}
                  | {int(c) for c in rng.integers(0, len(data), 150)})
    counts = _run(kind, [(f"truncated to {c} bytes", data[:c]) for c in cuts if c < len(data)])
    assert counts == {"error": len(cuts)}, counts  # a cut file never loads


@pytest.mark.parametrize("name", TENSOR_KINDS)
@pytest.mark.parametrize("region", ["header", "data"])
def test_bit_flips(kinds, name, region):
    kind = kinds[name]
    data, rng = kind.original, np.random.default_rng(2 if region == "header" else 3)
    head, end = _regions(data)
    lo, hi = (0, head) if region == "header" else (head, end)
    if name.endswith(".npz") and region == "data":
        lo = 0  # anywhere in the archive
    cases = [(f"bit {b} of byte {p} flipped", _flip(data, int(p), int(b)))
             for p, b in zip(rng.integers(lo, hi, 200), rng.integers(0, 8, 200))]
    counts = _run(kind, cases)
    assert counts == {"error": len(cases)}, counts  # the seal sees every flipped bit


@pytest.mark.parametrize("name", ["glassnet.save", "io.save", "checkpoint"])
def test_lying_header_lengths(kinds, name):
    kind = kinds[name]
    data, rng = kind.original, np.random.default_rng(4)
    n = struct.unpack("<Q", data[:8])[0]
    lies = ({0, 1, n - 1, n + 1, n + 8, n - 8, len(data), len(data) - 8, 2**63, 2**64 - 1,
             100_000_001} | {int(n + d) for d in rng.integers(-n, 512, 100)}
            | {int(v) for v in rng.integers(0, 2**62, 50)})
    lies.discard(n)
    cases = [(f"header length {v} instead of {n}", struct.pack("<Q", v) + data[8:])
             for v in sorted(lies) if v >= 0]
    assert _run(kind, cases) == {"error": len(cases)}


@pytest.mark.parametrize("name", TENSOR_KINDS)
def test_overwritten_runs(kinds, name):
    kind = kinds[name]
    data, rng = kind.original, np.random.default_rng(5)
    cases = []
    for _ in range(150):
        at, size = int(rng.integers(0, len(data))), int(rng.integers(1, 64))
        junk = rng.integers(0, 256, size, dtype=np.uint8).tobytes()
        damaged = data[:at] + junk + data[at + size:]
        if damaged[:len(data)] != data:
            cases.append((f"{size} bytes at {at} overwritten", damaged[:len(data)]))
    assert _run(kind, cases) == {"error": len(cases)}


def test_sidecar_damage(kinds):
    kind = kinds["sidecar"]
    data, rng = kind.original, np.random.default_rng(6)
    text = data.decode()
    cases = [(f"sidecar bit {b} of byte {p} flipped", _flip(data, int(p), int(b)))
             for p, b in zip(rng.integers(0, len(data), 300), rng.integers(0, 8, 300))]
    cases += [(f"sidecar truncated to {c}", data[:int(c)])
              for c in rng.integers(0, len(data), 60)]
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    for i in rng.choice(digits, 100):
        new = str((int(text[i]) + int(rng.integers(1, 10))) % 10)
        cases.append((f"sidecar digit {text[i]} at {i} -> {new}",
                      (text[:i] + new + text[i + 1:]).encode()))
    cases.append(("lr 0.001 -> 0.009", text.replace('"lr": 0.001', '"lr": 0.009').encode()))
    for junk in ["", "null", "[]", "5", '"x"', "{}", '{"format": "glassnet-checkpoint"}',
                 "[" * 100_000, '{"sha256": 5}', "\xff\xfe", "{" + " " * 10 + "}"]:
        cases.append((f"sidecar replaced by {junk[:20]!r}", junk.encode("utf-8", "replace")))
    assert _run(kind, cases) == {"error": len(cases)}


# ----------------------------------------------------------------------------- forged headers
def _parts(data):
    n = struct.unpack("<Q", data[:8])[0]
    return json.loads(data[8:8 + n]), data[8 + n:]


def _assemble(header, payload, seal):
    """A safetensors file from a (modified) header; sealed with a correct checksum, or with no
    checksum at all (as from a glassnet that predates them)."""
    header = json.loads(json.dumps(header))
    meta = header.setdefault("__metadata__", {})
    if isinstance(meta, dict):
        meta.pop("glassnet_sha256", None)
        meta.pop("glassnet_crc32", None)
        if seal:
            meta["glassnet_sha256"] = "0" * 64
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    data = bytearray(struct.pack("<Q", len(text)) + text + payload)
    if seal and isinstance(meta, dict):
        at = data.find(SEAL + b"0" * 64) + len(SEAL)
        data[at:at + 64] = hashlib.sha256(bytes(data)).hexdigest().encode()
    return bytes(data)


def _forgeries(header, rng):
    """(description, modified header, must fail) triples: hostile structure (which must fail)
    and garbage metadata (which must fail or load, a loader ignoring keys it does not use)."""
    names = [k for k in header if k != "__metadata__"]
    out = []

    def edit(desc, fn, must_fail=True):
        h = json.loads(json.dumps(header))
        fn(h)
        out.append((desc, h, must_fail))

    for name in names:
        for dtype in ["F33", "", "f32", "STR", 5, None, [], "I8", "F64", "BF16", "U64", "C64"]:
            edit(f"{name} dtype {dtype!r}", lambda h, n=name, d=dtype: h[n].__setitem__("dtype", d),
                 must_fail=dtype not in ("I8", "F64", "U64", "C64"))  # those may fit the size
        for shape in [[2**62], [2**31, 2**31], [-1], ["a"], [1.5], None, 7, [0], [10**30],
                      [3, 0, 2**40], [2**64 + 1]]:
            edit(f"{name} shape {shape}", lambda h, n=name, s=shape: h[n].__setitem__("shape", s))
        b, e = header[name]["data_offsets"]
        for offsets in [[b, b], [e, b], [b, 2**64], [-1, e], [b], [b, e, 0], "0-4",
                        [b + 1, e + 1], [b, e + 8], [b - 1, e - 1] if b else [e, 2 * e - b]]:
            edit(f"{name} offsets {offsets}",
                 lambda h, n=name, o=offsets: h[n].__setitem__("data_offsets", o))
        edit(f"{name} entry replaced by a list", lambda h, n=name: h.__setitem__(n, [1, 2]))
        edit(f"{name} entry removed", lambda h, n=name: h.pop(n))
    if len(names) > 1:  # two tensors sharing one span
        def overlap(h):
            h[names[1]]["data_offsets"] = list(h[names[0]]["data_offsets"])
        edit("overlapping offsets", overlap)
    garbage = ["not json", "[", "5", "[]", "{}", "null", '"abc"', '{"object": 5}',
               '{"version": 1, "object": {"__tensor__": "missing"}}',
               '{"version": 1, "object": {"__dict__": 5}}',
               '{"version": 1, "object": {"__scalar__": 1, "dtype": "no-such-dtype"}}',
               '{"model_keys": [1, 2]}', '{"model_keys": ["absent"]}', '{"optimizer": 3}',
               '{"extra": {"__tuple__": 4}}', "[" * 50_000 + "]" * 50_000, '["a", "b"]',
               '{"version": 2, "object": {"$": "ref", "id": 3}}',
               ('{"version": 2, "object": {"$": "tensor", "id": 0, "data": "obj/model/fc.bias", '
               '"device": "tpu", "requires_grad": 1}}'),
               ('{"version": 2, "object": {"$": "object", "id": 0, "class": ["glassnet.nn.modules.'
               'linear", "Linear"], "state": 5}}'),
               '{"version": 2, "object": {"$": "list", "id": 0, "items": [{"$": "ref", "id": 0}]}}',
               '{"version": 2, "object": {"$": "global", "name": ["os", "system"]}}',
               '{"version": 2, "object": {"$": "dict", "id": 0, "items": [[[], 1]]}}',
               '{"version": 2, "object": ' + '{"$": "list", "items": [' * 20_000 + ']}' * 20_000
               + '}']
    for key in ["glassnet", "glassnet_keys", "glassnet_state", "glassnet_object", "format"]:
        for g in rng.choice(garbage, 8, replace=False):
            edit(f"metadata {key} = {g[:30]!r}",
                 lambda h, k=key, g=str(g): h["__metadata__"].__setitem__(k, g), must_fail=False)
    edit("metadata is a list", lambda h: h.__setitem__("__metadata__", ["a"]))
    edit("metadata value is a number", lambda h: h["__metadata__"].__setitem__("x", 5))
    return out


@pytest.mark.parametrize("name", ["glassnet.save", "io.save", "checkpoint"])
@pytest.mark.parametrize("seal", [False, True], ids=["unsealed", "resealed"])
def test_forged_headers(kinds, name, seal):
    kind = kinds[name]
    header, payload = _parts(kind.original)
    sidecar = kind.path.with_suffix(".json")
    if sidecar.exists():  # a forged tensor file alone (a sidecar would refuse it)
        sidecar.rename(sidecar.with_suffix(".aside"))
    # the unmodified header, rebuilt, loads: the forging itself is faithful
    assert kind.outcome(_assemble(header, payload, seal), "rebuilt unchanged") == "same"
    counts, loaded = Counter(), []
    for desc, h, must_fail in _forgeries(header, np.random.default_rng(7)):
        _put(kind.target, _assemble(h, payload, seal))
        try:
            kind.load(kind.path)
            counts["loaded"] += 1
            loaded += [desc] if must_fail else []
        except gio.CheckpointError:
            counts["error"] += 1
        except Exception as exc:  # noqa: BLE001
            pytest.fail(f"{name} ({'resealed' if seal else 'unsealed'}), {desc}: "
                        f"{type(exc).__name__}: {exc}")
    _put(kind.target, kind.original)
    if sidecar.with_suffix(".aside").exists():
        sidecar.with_suffix(".aside").rename(sidecar)
    assert not loaded, f"hostile headers that loaded: {loaded}"
    assert counts["error"] > 100, counts


# ----------------------------------------------------------------------------- one case at a time
def test_one_error_class():
    assert issubclass(gio.CheckpointError, RuntimeError)
    assert issubclass(gio.CheckpointError, ValueError)  # what it was before: old handlers work
    assert glassnet.serialization.CheckpointError is gio.CheckpointError


def test_every_written_file_carries_a_checksum(tmp_path):
    gn.save({"w": gn.ones(3)}, tmp_path / "a.pt")
    p = gio.save(fc_sd(), tmp_path / "b.safetensors")
    c = gio.save_checkpoint(tmp_path / "c.safetensors", model=fc_sd(), extra={"lr": 0.1})
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
    gio.save_checkpoint(p, model=fc_sd(), extra={"step": 1})
    b, e = tensor_span(p, "model/fc.bias")
    flip_file(p, b + 5, 3)
    msg = rf"checksum mismatch in tensor 'model/fc.bias' \(bytes {b}..{e}\)"
    with pytest.raises(gio.CheckpointError, match=msg):
        gio.load_checkpoint(p)  # the sidecar's SHA-256 saw it too: an error, no warning
    with pytest.raises(gio.CheckpointError, match=msg):
        gio.load(p)
    with pytest.raises(RuntimeError, match=msg):  # PyTorch-style handlers catch it
        gn.load(p)


def test_flipped_bit_in_header_and_npz(tmp_path, monkeypatch):
    p = tmp_path / "w.safetensors"
    gio.save(fc_sd(), p)
    flip_file(p, 20)
    with pytest.raises(gio.CheckpointError, match="w.safetensors"):
        gio.load(p)
    monkeypatch.setattr(tfmod, "safetensors_available", lambda: False)
    q = tmp_path / "o.pt"
    gn.save({"a": gn.zeros(50), "b": gn.ones(50)}, q)
    data = q.read_bytes()
    at = data.index(np.ones(50, np.float32).tobytes())  # b's values, stored verbatim
    flip_file(q, at + 17, 6)
    with pytest.raises(gio.CheckpointError, match=r"checksum mismatch in tensor 'obj/b'"):
        gn.load(q)


def test_truncation_says_where(tmp_path):
    p = tmp_path / "w.safetensors"
    gio.save(fc_sd(), p)
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
