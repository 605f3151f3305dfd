"""torchvision.datasets' signatures, attributes and samples over glassnet's loaders: files under
``root`` in torchvision's layout, PIL images handed to the transform, nothing downloaded unless
asked, and a clear RuntimeError (at once) when files are missing."""

from __future__ import annotations

import socket
import time
import urllib.error

import numpy as np
import pytest
import torch

import glassnet as gn
import glassnet.vision as torchvision
from glassnet.data import DataLoader
from glassnet.data.datasets import _files, vision, write_cifar_bin, write_idx
from glassnet.vision import transforms

Image = pytest.importorskip("PIL.Image")
IDX = [("MNIST", "MNIST"), ("FashionMNIST", "FashionMNIST"), ("KMNIST", "KMNIST")]


def _idx(folder, n=6):
    rng = np.random.default_rng(0)
    for prefix in ("train", "t10k"):
        write_idx(folder / f"{prefix}-images-idx3-ubyte.gz",
                  rng.integers(0, 256, (n, 28, 28), dtype=np.uint8))
        write_idx(folder / f"{prefix}-labels-idx1-ubyte.gz", (np.arange(n) % 10).astype(np.uint8))


@pytest.fixture
def mnist_root(isolated, monkeypatch):
    for name, _ in IDX:
        monkeypatch.setattr(getattr(torchvision.datasets, name), "system_dirs", ())
    for _, folder in IDX:
        _idx(isolated / "data" / folder / "raw")
    return str(isolated / "data")


def _torch_reference(img_u8, mean=0.1307, std=0.3081):
    t = torch.from_numpy(img_u8[None].copy()).float().div(255)
    return ((t - mean) / std).numpy()


@pytest.mark.parametrize("name,folder", IDX)
def test_idx_datasets_have_torchvisions_attributes(mnist_root, name, folder):
    cls = getattr(torchvision.datasets, name)
    ds = cls(mnist_root, train=False)
    assert isinstance(ds.data, gn.Tensor) and ds.data.dtype == gn.uint8
    assert tuple(ds.data.shape) == (6, 28, 28)
    assert isinstance(ds.targets, gn.Tensor) and ds.targets.dtype == gn.int64
    assert ds.classes == list(cls.classes) and ds.class_to_idx[ds.classes[3]] == 3
    img, y = ds[2]  # no transform: the PIL image, as torchvision gives
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert np.array_equal(np.asarray(img), ds.data[2].numpy()) and y == 2 and type(y) is int


def test_to_tensor_pipeline_per_image_and_batched_equal_torchvisions(mnist_root):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    ds = torchvision.datasets.MNIST(mnist_root, train=False, transform=tf,
                                    target_transform=lambda y: y + 1)
    x, y = ds[2]
    assert isinstance(x, gn.Tensor) and y == 3
    np.testing.assert_allclose(x.numpy(), _torch_reference(ds.data[2].numpy()), rtol=1e-6,
                               atol=1e-6)
    assert ds.supports_get_batch  # ToTensor then batch transforms: whole batches at once
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert isinstance(xb, gn.Tensor) and tuple(xb.shape) == (4, 1, 28, 28)
    assert yb.tolist() == [1, 2, 3, 4]
    for i in range(4):
        np.testing.assert_array_equal(xb.numpy()[i], ds[i][0].numpy())


def test_a_per_image_pipeline_is_collated(mnist_root):
    tf = transforms.Compose([transforms.Resize(14), transforms.ToTensor(),
                             transforms.Lambda(lambda v: gn.flatten(v))])
    ds = torchvision.datasets.FashionMNIST(mnist_root, train=True, transform=tf)
    assert not ds.supports_get_batch
    xb, yb = next(iter(DataLoader(ds, batch_size=5, shuffle=True)))
    assert tuple(xb.shape) == (5, 196) and xb.dtype == gn.float32 and yb.dtype == gn.int64
    ref = np.asarray(Image.fromarray(ds.data[0].numpy()).resize((14, 14), Image.BILINEAR))
    np.testing.assert_array_equal(ds[0][0].numpy(), ref.reshape(-1) / np.float32(255))


def test_data_and_targets_can_be_used_and_replaced_as_tensors(mnist_root):
    ds = torchvision.datasets.MNIST(mnist_root, train=True, transform=transforms.ToTensor())
    pairs = ds.data.unsqueeze(1).clone()  # what the siamese-network example does
    assert tuple(pairs.shape) == (6, 1, 28, 28)
    assert np.array(ds.targets.clone()).tolist() == list(range(6))
    keep = ds.targets < 3
    ds.data, ds.targets = ds.data[keep], ds.targets[keep]
    assert len(ds) == 3 and ds[2][1] == 2
    assert tuple(next(iter(DataLoader(ds, batch_size=8)))[0].shape) == (3, 1, 28, 28)


def test_without_pillow_images_are_uint8_tensors_and_pipelines_still_run(mnist_root, monkeypatch):
    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,)),
                             transforms.Lambda(lambda v: v)])
    ds = torchvision.datasets.MNIST(mnist_root, train=False, transform=tf)
    with_pil = ds[1][0].numpy()
    monkeypatch.setattr(vision, "pil_available", lambda: False)
    img, _ = torchvision.datasets.MNIST(mnist_root, train=False)[1]
    assert isinstance(img, gn.Tensor) and img.dtype == gn.uint8 and tuple(img.shape) == (1, 28, 28)
    np.testing.assert_array_equal(ds[1][0].numpy(), with_pil)


def test_cifar10_data_is_hwc_numpy_and_targets_a_list(isolated):
    rng = np.random.default_rng(1)
    imgs = rng.integers(0, 256, (4, 3, 32, 32), dtype=np.uint8)
    write_cifar_bin(isolated / "cifar-10-batches-bin" / "test_batch.bin", imgs, np.arange(4))
    ds = torchvision.datasets.CIFAR10(isolated, train=False)
    assert isinstance(ds.data, np.ndarray) and ds.data.shape == (4, 32, 32, 3)
    assert ds.targets == [0, 1, 2, 3] and ds.classes[0] == "airplane"
    img, y = ds[1]
    assert y == 1
    assert img.mode == "RGB" and np.array_equal(np.asarray(img), imgs[1].transpose(1, 2, 0))
    ds.transform = transforms.ToTensor()
    np.testing.assert_array_equal(ds[1][0].numpy(), imgs[1] / np.float32(255))
    xb, yb = next(iter(DataLoader(ds, batch_size=4)))
    assert tuple(xb.shape) == (4, 3, 32, 32) and yb.tolist() == [0, 1, 2, 3]


def test_cifar100_fine_and_coarse_labels(isolated):
    rng = np.random.default_rng(2)
    imgs = rng.integers(0, 256, (3, 3, 32, 32), dtype=np.uint8)
    labels = np.array([[4, 30], [1, 99], [19, 0]])
    write_cifar_bin(isolated / "cifar-100-binary" / "test.bin", imgs, labels)
    ds = torchvision.datasets.CIFAR100(isolated, train=False)
    assert ds.targets == [30, 99, 0] and ds.coarse_targets.tolist() == [4, 1, 19]
    assert len(ds.classes) == 100 and ds.classes[99] == "worm"
    assert np.array_equal(np.asarray(ds[0][0]), imgs[0].transpose(1, 2, 0))


def test_image_folder_and_fake_data_through_a_loader(tmp_path):
    rng = np.random.default_rng(3)
    for c in ("a", "b"):
        (tmp_path / c).mkdir()
        for i in range(2):
            Image.fromarray(rng.integers(0, 256, (20, 24, 3), dtype=np.uint8)).save(
                tmp_path / c / f"{i}.png")
    tf = transforms.Compose([transforms.RandomResizedCrop(16), transforms.RandomHorizontalFlip(),
                             transforms.ToTensor(), transforms.Normalize(0.5, 0.5)])
    ds = torchvision.datasets.ImageFolder(tmp_path, transform=tf)
    xb, yb = next(iter(DataLoader(ds, batch_size=4, shuffle=True)))
    assert tuple(xb.shape) == (4, 3, 16, 16) and sorted(yb.tolist()) == [0, 0, 1, 1]
    fake = torchvision.datasets.FakeData(8, (3, 16, 16), 5, transforms.ToTensor())
    xb, yb = next(iter(DataLoader(fake, batch_size=8)))
    assert tuple(xb.shape) == (8, 3, 16, 16) and max(yb.tolist()) < 5


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


@pytest.mark.parametrize("name,folder", [("CIFAR10", "cifar-10-batches-py"),
                                         ("CIFAR100", "cifar-100-python")])
def test_pickled_cifar_folder_gets_a_hint(isolated, name, folder):
    (isolated / folder).mkdir()
    with pytest.raises(RuntimeError, match="pickled"):
        getattr(torchvision.datasets, name)(isolated, train=True)


def test_glassnet_data_datasets_hand_a_to_tensor_pipeline_the_stored_images(mnist_root):
    from glassnet.data import datasets as data_datasets

    tf = transforms.Compose([transforms.ToTensor(), transforms.Normalize((0.1307,), (0.3081,))])
    plain = data_datasets.MNIST(mnist_root, train=False, transform=tf, download=False)
    tv = torchvision.datasets.MNIST(mnist_root, train=False, transform=tf)
    np.testing.assert_array_equal(plain[3][0].numpy(), tv[3][0].numpy())
    xb, _ = plain.get_batch(np.arange(6))
    np.testing.assert_array_equal(xb.numpy()[3], tv[3][0].numpy())
    want = 2 * tv[1][0].numpy()
    tf.transforms.append(transforms.Lambda(lambda v: v * 2))  # not batchable: image by image
    xb, _ = plain.get_batch(np.arange(2))
    np.testing.assert_array_equal(xb[1], want)


def test_torchvisions_old_attribute_names_warn_and_alias(mnist_root):
    ds = torchvision.datasets.MNIST(mnist_root, train=True)
    for old, new in (("train_data", "data"), ("test_data", "data"),
                     ("train_labels", "targets"), ("test_labels", "targets")):
        with pytest.warns(UserWarning, match=f"{old} has been renamed {new}"):
            assert getattr(ds, old) is getattr(ds, new)
