"""glassnet.hub: the hub folder (get_dir, set_dir, $GLASSNET_HOME) and
load_state_dict_from_url reading converted safetensors files; glassnet.utils.model_zoo."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

import glassnet as gn
from glassnet import hub
from glassnet.io import CheckpointError

URL = "https://download.pytorch.org/models/tiny-0123abcd.pth"


@pytest.fixture
def home(tmp_path, monkeypatch):
    """``$GLASSNET_HOME`` in a temporary folder, and no folder set with set_dir."""
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.setenv("GLASSNET_HOME", str(tmp_path))
    return tmp_path


def _state():
    rng = np.random.default_rng(0)
    return {"fc.weight": gn.tensor(rng.standard_normal((3, 4)).astype(np.float32)),
            "fc.bias": gn.tensor(rng.standard_normal(3).astype(np.float32)),
            "bn.num_batches_tracked": gn.tensor(7)}


def test_the_hub_folder(home, monkeypatch, tmp_path):
    assert gn.hub is hub
    assert hub.get_dir() == os.path.join(str(home), "hub")
    monkeypatch.delenv("GLASSNET_HOME")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert hub.get_dir() == os.path.join(str(tmp_path / "cache"), "glassnet", "hub")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "me"))
    assert hub.get_dir() == os.path.join(str(tmp_path / "me"), ".cache", "glassnet", "hub")
    hub.set_dir(tmp_path / "elsewhere")
    assert hub.get_dir() == str(tmp_path / "elsewhere")
    hub.set_dir("~/weights")
    assert hub.get_dir() == os.path.join(str(tmp_path / "me"), "weights")


def test_load_state_dict_from_url_reads_the_safetensors_file(home):
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    gn.io.save(_state(), str(folder / "tiny-0123abcd.safetensors"))
    sd = hub.load_state_dict_from_url(URL, map_location="cpu", check_hash=True, progress=False)
    assert list(sd) == list(_state())
    for k, v in _state().items():
        assert np.array_equal(sd[k].numpy(), v.numpy()) and sd[k].dtype == v.dtype, k
    assert gn.utils.model_zoo.load_url is hub.load_state_dict_from_url
    assert list(gn.utils.model_zoo.load_url(URL)) == list(sd)
    # model_dir and file_name choose the file as in torch.hub (the stem, with .safetensors)
    other = home / "mine"
    other.mkdir()
    gn.io.save(_state(), str(other / "renamed.safetensors"))
    sd = hub.load_state_dict_from_url(URL, model_dir=str(other), file_name="renamed.pth")
    assert np.array_equal(sd["fc.bias"].numpy(), _state()["fc.bias"].numpy())


def test_a_file_written_by_safetensors_torch_loads(home):
    st = pytest.importorskip("safetensors.torch")
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.manual_seed(0)
    theirs = torch.nn.Linear(4, 3).state_dict()
    st.save_file(theirs, str(folder / "tiny-0123abcd.safetensors"))
    ours = gn.nn.Linear(4, 3)
    ours.load_state_dict(hub.load_state_dict_from_url(URL))
    np.testing.assert_array_equal(ours.weight.detach().numpy(), theirs["weight"].numpy())


def test_a_missing_file_says_where_and_how(home):
    path = os.path.join(str(home), "hub", "checkpoints", "tiny-0123abcd.safetensors")
    with pytest.raises(FileNotFoundError) as info:
        hub.load_state_dict_from_url(URL)
    message = str(info.value)
    assert path in message and URL in message and "GLASSNET_HOME" in message
    assert ("import torch, safetensors.torch; safetensors.torch.save_file("
            f"torch.load('tiny-0123abcd.pth'), '{path}')") in message
    with pytest.raises(FileNotFoundError, match="other-dir"):
        hub.load_state_dict_from_url(URL, model_dir=str(home / "other-dir"))


def test_a_pytorch_pickle_is_refused_not_unpickled(home):
    folder = home / "hub" / "checkpoints"
    folder.mkdir(parents=True)
    torch.save({"w": torch.zeros(2)}, str(folder / "tiny-0123abcd.safetensors"))
    with pytest.raises(CheckpointError, match="never unpickles"):
        hub.load_state_dict_from_url(URL)
