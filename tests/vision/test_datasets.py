"""torchvision.datasets' signature over glassnet's loaders: files under ``root`` in torchvision's
layout, nothing downloaded unless asked, a clear RuntimeError (at once) when files are missing."""

from __future__ import annotations

import socket
import time
import urllib.error

import numpy as np
import pytest

import glassnet as gn
import glassnet.vision as torchvision
from glassnet.data import DataLoader
from glassnet.data.datasets import _files, write_cifar_bin, write_idx
from glassnet.vision import transforms


def _idx(folder, n=6):
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))


@pytest.mark.parametrize("name,folder", [("MNIST", "MNIST"), ("FashionMNIST", "FashionMNIST"),
                                         ("KMNIST", "KMNIST")])
def test_idx_datasets_read_torchvision_layout(isolated, monkeypatch, name, folder):
    cls = getattr(torchvision.datasets, name)
    monkeypatch.setattr(cls, "system_dirs", ())
    _idx(isolated / "data" / folder / "raw")
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = cls(str(isolated / "data"), train=False, transform=tf, target_transform=lambda y: y + 1)
    assert len(ds) == 6 and ds.data.dtype == np.uint8 and ds.classes == cls.classes
    x, y = ds[2]
    want = (ds.data[2].astype(np.float32) / 255 - 0.1307) / 0.3081
    np.testing.assert_allclose(np.asarray(x), want[None], rtol=1e-5, atol=1e-6)
    assert y == 3
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert isinstance(xb, gn.Tensor) and tuple(xb.shape) == (4, 1, 28, 28)
    assert yb.tolist() == [1, 2, 3, 4]


def test_cifar10_reads_the_binary_batches(isolated):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    write_cifar_bin(isolated / "cifar-10-batches-bin" / "test_batch.bin", imgs, np.arange(4))
    ds = torchvision.datasets.CIFAR10(isolated, train=False, transform=transforms.ToTensor())
    assert ds.data.shape == (4, 32, 32, 3) and ds.classes[0] == "airplane"
    x, y = ds[1]
    np.testing.assert_allclose(np.asarray(x), imgs[1] / np.float32(255), rtol=1e-6)
    assert y == 1


def test_missing_files_raise_a_runtime_error_listing_the_places(isolated):
    start = time.monotonic()
    with pytest.raises(RuntimeError, match="MNIST: could not find") as info:
        torchvision.datasets.MNIST(isolated / "empty")
    assert isinstance(info.value, FileNotFoundError)
    assert "download=False" in str(info.value) and str(isolated / "empty") in str(info.value)
    assert time.monotonic() - start < 5


def test_download_without_network_fails_at_once(isolated, monkeypatch):
    def no_network(url, timeout):
        raise urllib.error.URLError(socket.gaierror(-2, "Name or service not known"))

    monkeypatch.setattr(_files, "_urlopen", no_network)
    with pytest.raises(RuntimeError, match="network unavailable"):
        torchvision.datasets.MNIST(isolated / "root", download=True)


def test_pickled_cifar_folder_gets_a_hint(isolated):
    (isolated / "cifar-10-batches-py").mkdir()
    with pytest.raises(RuntimeError, match="pickled"):
        torchvision.datasets.CIFAR10(isolated, train=True)
