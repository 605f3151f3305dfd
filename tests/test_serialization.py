"""glassnet.save / glassnet.load: torch.save-style checkpoints without pickle."""

from __future__ import annotations

import io
import math
import os

import numpy as np
import pytest

import glassnet as gn
from glassnet import nn


def _model():
    gn.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))


def _train_step(model, opt):
    x = gn.randn(8, 3)
    loss = model(x).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    return loss.item()


def test_checkpoint_round_trip(tmp_path):
    model = _model()
    opt = gn.optim.Adam(model.parameters(), lr=0.01)
    loss = _train_step(model, opt)
    ckpt = {"epoch": 3, "model_state_dict": model.state_dict(),
            "optimizer_state_dict": opt.state_dict(), "loss": loss,
            "extras": (1, 2.5, None, True, "name", [gn.arange(3)], {7: "seven"}),
            "nan": float("nan"), "inf": -math.inf, "np": np.float32(1.5)}
    path = tmp_path / "ckpt.pt"
    gn.save(ckpt, path)
    back = gn.load(path)
    assert back["epoch"] == 3 and back["loss"] == loss
    assert back["extras"][:5] == (1, 2.5, None, True, "name")
    assert isinstance(back["extras"], tuple) and back["extras"][6] == {7: "seven"}
    assert back["extras"][5][0].tolist() == [0, 1, 2] and back["extras"][5][0].dtype is gn.int64
    assert math.isnan(back["nan"]) and back["inf"] == -math.inf
    assert back["np"] == np.float32(1.5) and back["np"].dtype == np.float32
    sd = back["model_state_dict"]
    assert list(sd) == list(model.state_dict())
    for k, v in model.state_dict().items():
        assert type(sd[k]) is gn.Tensor and not sd[k].requires_grad
        assert sd[k].dtype == v.dtype and np.array_equal(sd[k].numpy(), v.detach().numpy())
    st = back["optimizer_state_dict"]["state"]
    assert set(st) == set(opt.state_dict()["state"]) and all(isinstance(k, int) for k in st)
    assert back["optimizer_state_dict"]["param_groups"][0]["betas"] == (0.9, 0.999)

    # resuming gives exactly the run that never stopped
    model2 = _model()
    model2.load_state_dict(back["model_state_dict"])
    opt2 = gn.optim.Adam(model2.parameters(), lr=0.01)
    opt2.load_state_dict(back["optimizer_state_dict"])
    gn.manual_seed(5)
    a = _train_step(model, opt)
    gn.manual_seed(5)
    b = _train_step(model2, opt2)
    assert a == b


def test_state_dict_to_file_object_and_map_location():
    model = _model()
    buf = io.BytesIO()
    gn.save(model.state_dict(), buf)
    buf.seek(0)
    sd = gn.load(buf, map_location="cpu", weights_only=True)
    fresh = _model()
    fresh.load_state_dict(sd)
    buf.seek(0)
    sd2 = gn.load(buf, map_location=lambda storage, loc: storage)
    assert sd2.keys() == sd.keys()
    buf.seek(0)
    assert gn.load(buf, map_location={"cuda:0": "cpu"}).keys() == sd.keys()


@pytest.mark.parametrize("obj", [gn.tensor([[1.5, 2.0]]), gn.tensor(3), gn.zeros(0, 2),
                                 gn.tensor([True, False]), gn.ones(2, dtype=gn.float16),
                                 [gn.ones(2), gn.ones(2)], {"a": {"b": gn.ones(1)}}, 5, None])
def test_values_round_trip(obj):
    buf = io.BytesIO()
    gn.save(obj, buf)
    buf.seek(0)
    back = gn.load(buf)
    if isinstance(obj, gn.Tensor):
        assert back.dtype == obj.dtype and back.shape == obj.shape
        assert np.array_equal(back.numpy(), obj.numpy())
    elif isinstance(obj, list):
        assert all(np.array_equal(x.numpy(), y.numpy()) for x, y in zip(back, obj))
    elif isinstance(obj, dict):
        assert back["a"]["b"].tolist() == [1.0]
    else:
        assert back == obj


def test_parameter_loads_as_plain_tensor_and_is_written_atomically(tmp_path):
    p = nn.Parameter(gn.ones(2))
    path = tmp_path / "p.pt"
    gn.save({"w": p}, str(path))
    back = gn.load(str(path))["w"]
    assert type(back) is gn.Tensor and not back.requires_grad
    assert [f for f in os.listdir(tmp_path) if f.endswith(".tmp")] == []


def test_refuses_what_it_cannot_represent():
    class Thing:
        pass

    with pytest.raises(TypeError, match="Thing"):
        gn.save({"model": Thing()}, io.BytesIO())
    with pytest.raises(TypeError, match="function"):
        gn.save([lambda: 1], io.BytesIO())
    with pytest.raises(ValueError, match="same storage name"):
        gn.save({"a/b": gn.ones(1), "a": {"b": gn.ones(1)}}, io.BytesIO())


def test_corrupt_and_missing_files(tmp_path):
    path = tmp_path / "model.pt"
    gn.save({"w": gn.ones(100)}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(RuntimeError, match="model.pt"):
        gn.load(path)
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(RuntimeError, match="model.pt"):
        gn.load(path)
    with pytest.raises(FileNotFoundError, match="nope.pt"):
        gn.load(tmp_path / "nope.pt")


def test_reads_glassnet_io_weight_files(tmp_path):
    model = _model()
    path = gn.io.save(model.state_dict(), tmp_path / "w.safetensors")
    sd = gn.load(path)
    _model().load_state_dict(sd)
    assert list(sd) == list(model.state_dict())
