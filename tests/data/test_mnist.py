import io
import urllib.error

import numpy as np
import pytest

from glassnet.data import DataLoader, transforms
from glassnet.data.datasets import (
    KMNIST,
    MNIST,
    DatasetNotFoundError,
    FashionMNIST,
    _files,
    write_idx,
)

from ._util import arr


def fake_files(folder, n_train=12, n_test=5, gz=True):
    rng = np.random.default_rng(0)
    out = {}
    for prefix, n in (("train", n_train), ("t10k", n_test)):
        imgs = rng.integers(0, 256, size=(n, 28, 28), dtype=np.uint8)
        labels = (np.arange(n) % 10).astype(np.uint8)
        sfx = ".gz" if gz else ""
        write_idx(folder / f"{prefix}-images-idx3-ubyte{sfx}", imgs)
        write_idx(folder / f"{prefix}-labels-idx1-ubyte{sfx}", labels)
        out[prefix] = (imgs, labels)
    return out


@pytest.mark.parametrize("gz", [True, False])
def test_reads_generated_files_from_root(isolated, gz):
    root = isolated / "data"
    arrays = fake_files(root / "MNIST" / "raw", gz=gz)
    ds = MNIST(root=root, train=True, download=False)
    assert (
        ds.data.shape == (12, 28, 28) and ds.data.dtype == np.uint8 and ds.targets.dtype == np.int64
    )
    np.testing.assert_array_equal(ds.data, arrays["train"][0])
    x, y = ds[3]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32 and y == 3
    np.testing.assert_allclose(x[0], arrays["train"][0][3] / 255.0, rtol=1e-6)
    test = MNIST(root=root, train=False, download=False)
    assert len(test) == 5 and len(ds.classes) == 10


def test_batched_access_applies_transforms_to_whole_batch(isolated):
    root = isolated / "d"
    fake_files(root, n_train=40)
    calls = []

    class Count(transforms.Transform):
        def forward(self, x):
            calls.append(x.shape)
            return x

    ds = FashionMNIST(root=root, transform=Count(), download=False)
    batches = list(DataLoader(ds, batch_size=16))
    assert calls == [(16, 1, 28, 28), (16, 1, 28, 28), (8, 1, 28, 28)]
    x, y = batches[0]
    assert x.shape == (16, 1, 28, 28) and arr(x).dtype == np.float32 and arr(y).dtype == np.int64
    ds.transform = lambda img: img * 0  # a plain callable on single images still works
    assert arr(next(iter(DataLoader(ds, batch_size=4)))[0]).max() == 0


def test_glassnet_data_env_and_subfolder(isolated, monkeypatch):
    env = isolated / "env"
    fake_files(env / "KMNIST")
    monkeypatch.setenv("GLASSNET_DATA", str(env))
    assert len(KMNIST(download=False)) == 12
    assert KMNIST.is_available() and not MNIST.is_available()


def test_missing_files_fail_fast_listing_places(isolated, monkeypatch):
    monkeypatch.setattr(FashionMNIST, "system_dirs", (str(isolated / "no-system"),))
    empty = isolated / "empty"
    empty.mkdir()

    def no_download(url, timeout):  # download=False: the network is never tried
        raise AssertionError(f"tried to download {url}")

    monkeypatch.setattr(_files, "_urlopen", no_download)
    with pytest.raises(DatasetNotFoundError) as e:
        FashionMNIST(root=empty, download=False)
    msg = str(e.value)
    assert str(empty) in msg and str(empty / "FashionMNIST" / "raw") in msg
    assert "no-system" in msg and ".glassnet" in msg and "GLASSNET_DATA" in msg
    assert "apt-get install dataset-fashion-mnist" in msg and "download=False" in msg


def test_download_without_network_fails_at_once(isolated, monkeypatch):
    calls = []

    def no_network(url, timeout):
        calls.append((url, timeout))
        raise urllib.error.URLError(OSError(101, "Network is unreachable"))

    monkeypatch.setattr(_files, "_urlopen", no_network)
    with pytest.raises(DatasetNotFoundError) as e:
        MNIST(root=isolated / "empty", download=True)
    assert len(calls) == 1 and calls[0][1] <= 10  # one attempt, a short timeout, no retry loop
    assert "network unavailable" in str(e.value) and str(isolated / "empty") in str(e.value)

    def timeout(url, timeout):
        raise urllib.error.URLError(TimeoutError("timed out"))

    monkeypatch.setattr(_files, "_urlopen", timeout)
    with pytest.raises(DatasetNotFoundError, match="network unavailable"):
        KMNIST(download=True)


def test_download_verifies_md5_and_writes_atomically(isolated, monkeypatch):
    src = isolated / "src"
    fake_files(src)
    blobs = {p.name: p.read_bytes() for p in src.iterdir()}
    monkeypatch.setattr(
        MNIST, "resources", {n: _files.md5sum(src / (n + ".gz")) for n in MNIST.resources}
    )
    seen = []

    def serve(url, timeout):
        seen.append(url)
        if "ossci" in url:  # the first mirror refuses; the second answers
            raise urllib.error.HTTPError(url, 403, "Forbidden", {}, None)
        return io.BytesIO(blobs[url.rsplit("/", 1)[1]])

    monkeypatch.setattr(_files, "_urlopen", serve)
    root = isolated / "root"
    ds = MNIST(root=root, train=False, download=True)
    assert len(ds) == 5 and len(seen) == 4
    assert sorted(p.name for p in (root / "MNIST" / "raw").iterdir()) == [
        "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz",
    ]

    monkeypatch.setattr(MNIST, "resources", {n: "0" * 32 for n in MNIST.resources})
    with pytest.raises(DatasetNotFoundError, match="does not match the published"):
        MNIST(root=isolated / "other", train=False, download=True)
    assert not any((isolated / "other").rglob("*.gz"))  # nothing half-written left behind


def test_wrong_label_range_is_reported(isolated):
    root = isolated / "bad"
    fake_files(root)
    write_idx(root / "train-labels-idx1-ubyte.gz", np.full(12, 42, dtype=np.uint8))
    with pytest.raises(ValueError, match="range over"):
        MNIST(root=root, download=False)


def test_real_fashion_mnist_if_installed():
    if not FashionMNIST.is_available():
        pytest.skip("Fashion-MNIST files not installed (apt-get install dataset-fashion-mnist)")
    train, test = (
        FashionMNIST(train=True, download=False),
        FashionMNIST(train=False, download=False),
    )
    assert train.data.shape == (60000, 28, 28) and test.data.shape == (10000, 28, 28)
    assert train.data.dtype == np.uint8 and train.targets.dtype == np.int64
    assert np.bincount(train.targets).tolist() == [6000] * 10
    x, _ = next(iter(DataLoader(train, batch_size=64, shuffle=True)))
    assert x.shape == (64, 1, 28, 28) and 0 <= arr(x).min() and arr(x).max() <= 1


def test_split_subsets_target_transform_and_standardize(isolated):
    from glassnet.data import random_split
    from glassnet.data.transforms import Lambda, Standardize

    root = isolated / "s"
    fake_files(root, n_train=30)
    ds = MNIST(root=root, download=False, target_transform=Lambda(lambda y: y + 1, batched=True))
    a, _ = random_split(ds, [0.5, 0.5])
    ys = np.concatenate([arr(y) for _, y in DataLoader(a, batch_size=4)])
    np.testing.assert_array_equal(np.sort(ys), np.sort(ds.targets[a.indices] + 1))
    assert ds[0][1] == int(ds.targets[0]) + 1
    st = Standardize().fit(ds)
    assert st.mean.shape == (1, 1, 1)
    ds.transform = st
    x = np.concatenate([arr(x) for x, _ in DataLoader(ds, batch_size=7)])
    assert abs(float(x.mean())) < 1e-4 and abs(float(x.std()) - 1) < 1e-3
