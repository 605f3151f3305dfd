"""glassnet.utils.tensorboard: event files read back record by record (TFRecord framing with
CRC-32C checks) and decoded field by field (protobuf wire format), for scalars, add_scalars'
sub-runs, histograms, images (valid PNGs), text and hparams; the checksum on its standard
test vector."""

from __future__ import annotations

import io
import struct

import numpy as np
import pytest

import glassnet as gn
from glassnet.utils.tensorboard import SummaryWriter, _encode


def _records(path):
    data = path.read_bytes()
    out, i = [], 0
    while i < len(data):
        (n,) = struct.unpack("<Q", data[i:i + 8])
        assert struct.unpack("<I", data[i + 8:i + 12])[0] == _encode.masked_crc32c(data[i:i + 8])
        payload = data[i + 12:i + 12 + n]
        assert struct.unpack("<I", data[i + 12 + n:i + 16 + n])[0] == \
            _encode.masked_crc32c(payload)
        out.append(payload)
        i += 16 + n
    return out


def _fields(msg):
    """{field number: [values]} of one protobuf message (varints as ints, fixed64 as doubles,
    fixed32 as floats, length-delimited as bytes)."""
    out, i = {}, 0
    while i < len(msg):
        key, i = _varint(msg, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(msg, i)
        elif wire == 1:
            (v,), i = struct.unpack("<d", msg[i:i + 8]), i + 8
        elif wire == 5:
            (v,), i = struct.unpack("<f", msg[i:i + 4]), i + 4
        else:
            n, i = _varint(msg, i)
            v, i = msg[i:i + n], i + n
        out.setdefault(field, []).append(v)
    return out


def _varint(b, i):
    shift = n = 0
    while True:
        n |= (b[i] & 0x7F) << shift
        shift += 7
        i += 1
        if b[i - 1] < 0x80:
            return n, i


def _values(folder):
    """[(step, tag, value fields)] of every summary value in the folder's event file."""
    (path,) = folder.glob("events.out.tfevents.*")
    recs = [_fields(r) for r in _records(path)]
    assert recs[0][3] == [b"brain.Event:2"]
    out = []
    for ev in recs[1:]:
        for v in _fields(ev[5][0])[1]:
            f = _fields(v)
            out.append((ev.get(2, [None])[0], f[1][0].decode(), f))
    return out


def test_crc32c_check_value():
    assert _encode.crc32c(b"123456789") == 0xE3069283


def test_scalars_histograms_text_and_subruns(tmp_path):
    with SummaryWriter(tmp_path / "run") as w:
        for step in range(3):
            w.add_scalar("loss/train", gn.tensor(1.0 / (step + 1)), step)
        w.add_scalars("cmp", {"a": 1.5, "b": -2}, 7)
        w.add_histogram("w", gn.tensor([0.5, 0.5, 2.0, -1.0]), 1)
        w.add_histogram("h", np.arange(10.0), 2, bins=5)
        w.add_text("note", "hello **md**", 0)
        w.add_hparams({"lr": 0.1}, {"hp/acc": 0.75}, run_name="hp")
    vals = _values(tmp_path / "run")
    scal = [(s, t, f[2][0]) for s, t, f in vals if 2 in f]
    assert scal == [(0, "loss/train", 1.0), (1, "loss/train", 0.5),
                    (2, "loss/train", pytest.approx(1 / 3))]
    histos = {t: _fields(f[5][0]) for _, t, f in vals if 5 in f}
    w = histos["w"]
    assert (w[1][0], w[2][0], w[3][0], w[4][0], w[5][0]) == (-1.0, 2.0, 4.0, 2.0, 5.5)
    counts = struct.unpack(f"<{len(w[7][0]) // 8}d", w[7][0])
    assert sum(counts) == 4
    h = histos["h"]
    assert struct.unpack("<5d", h[7][0]) == (2.0, 2.0, 2.0, 2.0, 2.0)
    text = next(f for _, t, f in vals if t == "note")
    assert _fields(text[8][0])[8] == [b"hello **md**"]
    assert _fields(_fields(text[9][0])[1][0])[1] == [b"text"]
    assert _values(tmp_path / "run" / "cmp_a") == [(7, "cmp", {1: [b"cmp"], 2: [1.5]})]
    assert _values(tmp_path / "run" / "cmp_b")[0][2][2] == [-2.0]
    hp = _values(tmp_path / "run" / "hp")
    assert [t for _, t, _ in hp] == ["hparams", "hp/acc"]


def test_images_are_valid_pngs(tmp_path):
    image_mod = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    chw = rng.random((3, 5, 4)).astype(np.float32)
    with SummaryWriter(tmp_path) as w:
        w.add_image("one", gn.tensor(chw), 0)
        w.add_images("grid", gn.tensor(rng.random((10, 1, 2, 3))), 0)
        w.add_image("hw", (rng.random((6, 7)) * 255).astype(np.uint8), 0, dataformats="HW")
    imgs = {t: _fields(f[4][0]) for _, t, f in _values(tmp_path)}
    one = np.asarray(image_mod.open(io.BytesIO(imgs["one"][4][0])))
    expect = np.clip(chw.transpose(1, 2, 0) * 255.0, 0, 255).round().astype(np.uint8)
    np.testing.assert_array_equal(one, expect)
    assert (imgs["one"][1][0], imgs["one"][2][0], imgs["one"][3][0]) == (5, 4, 3)
    assert (imgs["grid"][1][0], imgs["grid"][2][0]) == (4, 24)  # 8 to a row, 2 rows
    assert (imgs["hw"][1][0], imgs["hw"][2][0], imgs["hw"][3][0]) == (6, 7, 1)


def test_errors_and_unsupported(tmp_path):
    w = SummaryWriter(tmp_path)
    with pytest.raises(ValueError, match="add_scalar: 'x': expected a scalar"):
        w.add_scalar("x", gn.ones(2), 0)
    with pytest.raises(ValueError, match="add_image: 'i': dataformats 'CHW'"):
        w.add_image("i", np.zeros((2, 3)), 0)
    with pytest.raises(NotImplementedError, match="add_embedding"):
        w.add_embedding(gn.ones(2, 2))
    with pytest.warns(UserWarning, match="add_graph"):
        w.add_graph(gn.nn.Linear(2, 2), gn.ones(1, 2))
    w.close()
    assert gn.utils.tensorboard.SummaryWriter is SummaryWriter
