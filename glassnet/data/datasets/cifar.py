"""CIFAR-10 from its binary version: 60 000 colour 32x32 images in 10 classes.

The binary distribution (``cifar-10-binary.tar.gz``) unpacks to ``cifar-10-batches-bin/``
with ``data_batch_1.bin`` ... ``data_batch_5.bin`` (50 000 training images) and
``test_batch.bin`` (10 000). Each file is a run of 3073-byte records: one label byte
(0-9), then 3072 pixel bytes - the 1024 red values of the 32x32 image row by row, then the
1024 green, then the 1024 blue. Reading it is one ``np.frombuffer`` and a reshape; no
pickle is involved (the "python version" of CIFAR-10 is pickled, and we do not load it).

``.data`` is uint8 ``(N, 32, 32, 3)`` (PyTorch's layout); samples are float32
``(3, 32, 32)`` in [0, 1] after the transform pipeline.
"""

from __future__ import annotations

import gzip
import tarfile
from pathlib import Path

import numpy as np

from glassnet.data.datasets import _files
from glassnet.data.datasets.base import ArrayDataset

RECORD = 1 + 3 * 32 * 32
TRAIN_FILES = [f"data_batch_{i}.bin" for i in range(1, 6)]
TEST_FILES = ["test_batch.bin"]


def read_cifar_bin(path):
    """Read one CIFAR-10 binary batch: ``(images uint8 (n, 3, 32, 32), labels uint8 (n,))``.

    Raises ``ValueError`` naming the file and the byte counts when it is not a whole number of
    3073-byte records, or holds a label outside 0..9.
    """
    path = Path(path)
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) == 0 or len(raw) % RECORD:
        n = len(raw) // RECORD
        raise ValueError(
            f"read_cifar_bin: '{path}' is truncated or corrupt: {len(raw)} bytes is not a whole "
            f"number of {RECORD}-byte records (1 label byte + 3072 pixel bytes); expected "
            f"{(n + 1) * RECORD} bytes for {n + 1} records (a complete batch file is "
            f"{10000 * RECORD} bytes)"
        )
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, RECORD)
    labels = rec[:, 0].copy()
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise ValueError(
            f"read_cifar_bin: '{path}' is corrupt: record {bad} has label {labels[bad]}, "
            "expected 0..9"
        )
    return rec[:, 1:].reshape(-1, 3, 32, 32), labels


def write_cifar_bin(path, images, labels):
    """Write images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` in the binary record format."""
    images, labels = np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.uint8)
    if images.shape[1:] != (3, 32, 32) or labels.shape != images.shape[:1]:
        raise ValueError(
            f"write_cifar_bin: expected images (n, 3, 32, 32) and labels (n,), got "
            f"{images.shape} and {labels.shape}"
        )
    rec = np.concatenate([labels[:, None], images.reshape(len(images), -1)], axis=1)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(rec.tobytes())
    return path


class CIFAR10(ArrayDataset):
    """CIFAR-10 (Krizhevsky, 2009), read from the binary version.

    Args:
        root: folder holding ``cifar-10-batches-bin/`` (or the ``.bin`` files themselves).
        train: the 50 000 training images (True) or the 10 000 test images (False).
        transform, target_transform: see ``ArrayDataset``.
        download: fetch and unpack ``cifar-10-binary.tar.gz`` when the files are nowhere.
    """

    classes = (
        "airplane",
        "automobile",
        "bird",
        "cat",
        "deer",
        "dog",
        "frog",
        "horse",
        "ship",
        "truck",
    )
    folder_names = ("CIFAR10", "cifar10", "cifar-10")
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root, self.train = root, bool(train)
        names = TRAIN_FILES if self.train else TEST_FILES
        paths = self.locate(names, root, download)
        parts = [read_cifar_bin(paths[n]) for n in names]
        images = np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1)
        labels = np.concatenate([p[1] for p in parts])
        self.files = paths
        super().__init__(np.ascontiguousarray(images), labels, transform, target_transform)

    @classmethod
    def search_dirs(cls, root=None):
        out = []
        for d in _files.candidate_dirs(cls.folder_names, root):
            out += [d / "cifar-10-batches-bin", d]
        return out

    @classmethod
    def is_available(cls, root=None, train=True):
        return (
            _files.find_files(TRAIN_FILES if train else TEST_FILES, cls.search_dirs(root))
            is not None
        )

    @classmethod
    def locate(cls, names, root=None, download=True):
        dirs = cls.search_dirs(root)
        found = _files.find_files(names, dirs)
        if found is not None:
            return found
        err = None
        if download:
            target = Path(root).expanduser() if root is not None else _files.data_home() / "CIFAR10"
            archive = target / "cifar-10-binary.tar.gz"
            try:
                _files.download_file([cls.url], archive, cls.md5)
                _extract(archive, target)
                archive.unlink()
                found = _files.find_files(names, [target / "cifar-10-batches-bin"])
            except (_files.DownloadError, tarfile.TarError) as exc:
                err = exc
            if found is not None:
                return found
        raise _files.missing_error("CIFAR10", names, dirs, err)


def _extract(archive, target):
    """Unpack only the expected regular files of the archive (no paths from the archive used)."""
    wanted = set(TRAIN_FILES + TEST_FILES + ["batches.meta.txt"])
    out_dir = Path(target) / "cifar-10-batches-bin"
    out_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                with tar.extractfile(member) as src:
                    (out_dir / name).write_bytes(src.read())
