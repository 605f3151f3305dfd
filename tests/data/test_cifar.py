import numpy as np
import pytest

from glassnet.data import DataLoader
from glassnet.data.datasets import CIFAR10, DatasetNotFoundError, read_cifar_bin, write_cifar_bin

from ._util import arr


def fake_cifar(folder, per_file=3):
    rng = np.random.default_rng(0)
    out = {}
    names = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    for k, name in enumerate(names):
        imgs = rng.integers(0, 256, size=(per_file, 3, 32, 32), dtype=np.uint8)
        labels = ((np.arange(per_file) + k) % 10).astype(np.uint8)
        write_cifar_bin(folder / name, imgs, labels)
        out[name] = (imgs, labels)
    return out


def test_binary_round_trip_and_record_layout(tmp_path):
    imgs = np.random.default_rng(1).integers(0, 256, (2, 3, 32, 32), dtype=np.uint8)
    p = write_cifar_bin(tmp_path / "b.bin", imgs, [4, 9])
    raw = p.read_bytes()
    assert len(raw) == 2 * 3073 and raw[0] == 4 and raw[3073] == 9
    assert raw[1:1025] == imgs[0, 0].tobytes()  # red plane first, row by row
    back, labels = read_cifar_bin(p)
    np.testing.assert_array_equal(back, imgs)
    assert labels.tolist() == [4, 9]


def test_dataset_from_generated_files(isolated):
    root = isolated / "c"
    parts = fake_cifar(root / "cifar-10-batches-bin")
    train = CIFAR10(root=root, train=True, download=False)
    test = CIFAR10(root=root, train=False, download=False)
    assert train.data.shape == (15, 32, 32, 3) and len(test) == 3
    np.testing.assert_array_equal(train.data[0], parts["data_batch_1.bin"][0][0].transpose(1, 2, 0))
    x, y = train[4]
    assert (
        x.shape == (3, 32, 32)
        and x.dtype == np.float32
        and y == int(parts["data_batch_2.bin"][1][1])
    )
    np.testing.assert_allclose(x, parts["data_batch_2.bin"][0][1] / 255.0, rtol=1e-6)
    xb, yb = next(iter(DataLoader(train, batch_size=5)))
    assert xb.shape == (5, 3, 32, 32) and arr(yb).dtype == np.int64


def test_truncated_and_corrupt_files(isolated):
    root = isolated / "c"
    fake_cifar(root)
    p = root / "data_batch_3.bin"
    p.write_bytes(p.read_bytes()[:-10])
    with pytest.raises(ValueError) as e:
        CIFAR10(root=root, download=False)
    msg = str(e.value)
    assert (
        "data_batch_3.bin" in msg
        and "truncated" in msg
        and str(3 * 3073 - 10) in msg
        and str(3 * 3073) in msg
    )
    raw = bytearray((root / "test_batch.bin").read_bytes())
    raw[3073] = 200
    (root / "test_batch.bin").write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="record 1 has label 200"):
        CIFAR10(root=root, train=False, download=False)


def test_missing_cifar_lists_places(isolated):
    with pytest.raises(DatasetNotFoundError) as e:
        CIFAR10(root=isolated / "none", download=False)
    assert "cifar-10-batches-bin" in str(e.value) and "test_batch.bin" not in str(e.value)
