"""CIFAR-10 and CIFAR-100 from their binary versions: 60 000 colour 32x32 images each.

The binary distribution (``cifar-10-binary.tar.gz``) unpacks to ``cifar-10-batches-bin/``
with ``data_batch_1.bin`` ... ``data_batch_5.bin`` (50 000 training images) and
``test_batch.bin`` (10 000). Each file is a run of 3073-byte records: one label byte
(0-9), then 3072 pixel bytes - the 1024 red values of the 32x32 image row by row, then the
1024 green, then the 1024 blue. Reading it is one ``np.frombuffer`` and a reshape; no
pickle is involved (the "python version" of CIFAR-10 is pickled, and we do not load it).

CIFAR-100's binary version (``cifar-100-binary.tar.gz`` -> ``cifar-100-binary/train.bin``,
``test.bin``) has 3074-byte records: the coarse label (20 superclasses), the fine label (100
classes), then the 3072 pixel bytes; ``CIFAR100``'s targets are the fine labels (torchvision's),
``coarse_targets`` the others.

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


def read_cifar_bin(path, label_bytes=1, num_classes=(10,)):
    """Read one CIFAR binary batch: ``(images uint8 (n, 3, 32, 32), labels uint8 (n,))``.

    CIFAR-10's records have one label byte; CIFAR-100's two (``label_bytes=2``, coarse then
    fine, ``num_classes=(20, 100)``), returned as labels ``(n, 2)``. Raises ``ValueError`` naming
    the file and the byte counts when it is not a whole number of records, or holds a label
    out of range.
    """
    path = Path(path)
    record = label_bytes + 3 * 32 * 32
    with open(path, "rb") as f:
        raw = f.read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    if len(raw) == 0 or len(raw) % record:
        n = len(raw) // record
        raise ValueError(
            f"read_cifar_bin: '{path}' is truncated or corrupt: {len(raw)} bytes is not a whole "
            f"number of {record}-byte records ({label_bytes} label byte(s) + 3072 pixel bytes); "
            f"expected {(n + 1) * record} bytes for {n + 1} records"
            + (f" (a complete batch file is {10000 * RECORD} bytes)" if label_bytes == 1 else "")
        )
    rec = np.frombuffer(raw, dtype=np.uint8).reshape(-1, record)
    labels = rec[:, :label_bytes].copy()
    for j, k in enumerate(num_classes):
        if labels[:, j].max() >= k:
            bad = int(np.argmax(labels[:, j] >= k))
            raise ValueError(
                f"read_cifar_bin: '{path}' is corrupt: record {bad} has label "
                f"{labels[bad, j]}, expected 0..{k - 1}"
            )
    return rec[:, label_bytes:].reshape(-1, 3, 32, 32), labels[:, 0] if label_bytes == 1 else labels


def write_cifar_bin(path, images, labels):
    """Write images ``(n, 3, 32, 32)`` uint8 and labels ``(n,)`` (CIFAR-10) or ``(n, 2)``
    (CIFAR-100: coarse, fine) in the binary record format."""
    images, labels = np.asarray(images, dtype=np.uint8), np.asarray(labels, dtype=np.uint8)
    if images.shape[1:] != (3, 32, 32) or labels.shape[:1] != images.shape[:1] \
            or labels.ndim > 2:
        raise ValueError(
            f"write_cifar_bin: expected images (n, 3, 32, 32) and labels (n,) or (n, 2), got "
            f"{images.shape} and {labels.shape}"
        )
    rec = np.concatenate([labels.reshape(len(labels), -1), images.reshape(len(images), -1)],
                         axis=1)
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
    batch_folder = "cifar-10-batches-bin"
    train_files, test_files = TRAIN_FILES, TEST_FILES
    label_bytes, label_classes = 1, (10,)
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    md5 = "c32a1d4ab5d03f1284b67883e8d87530"

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root, self.train = root, bool(train)
        names = self.train_files if self.train else self.test_files
        paths = self.locate(names, root, download)
        parts = [read_cifar_bin(paths[n], self.label_bytes, self.label_classes) for n in names]
        images = np.concatenate([p[0] for p in parts]).transpose(0, 2, 3, 1)
        labels = np.concatenate([p[1] for p in parts])
        if labels.ndim == 2:  # CIFAR-100: (coarse, fine)
            self.coarse_targets, labels = labels[:, 0].astype(np.int64), labels[:, 1]
        self.files = paths
        super().__init__(np.ascontiguousarray(images), labels, transform, target_transform)

    @classmethod
    def search_dirs(cls, root=None):
        out = []
        for d in _files.candidate_dirs(cls.folder_names, root):
            out += [d / cls.batch_folder, d]
        return out

    @classmethod
    def is_available(cls, root=None, train=True):
        return (
            _files.find_files(cls.train_files if train else cls.test_files, cls.search_dirs(root))
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
            target = (Path(root).expanduser() if root is not None
                      else _files.data_home() / cls.folder_names[0])
            archive = target / cls.url.rsplit("/", 1)[1]
            try:
                _files.download_file([cls.url], archive, cls.md5)
                _extract(archive, target / cls.batch_folder,
                         set(cls.train_files + cls.test_files + ["batches.meta.txt"]))
                archive.unlink()
                found = _files.find_files(names, [target / cls.batch_folder])
            except (_files.DownloadError, tarfile.TarError) as exc:
                err = exc
            if found is not None:
                return found
        raise _files.missing_error(cls.__name__, names, dirs, err)


class CIFAR100(CIFAR10):
    """CIFAR-100 (Krizhevsky, 2009), read from the binary version: 100 fine classes
    (``targets``), grouped in 20 superclasses (``coarse_targets``).

    Args:
        root: folder holding ``cifar-100-binary/`` (or ``train.bin`` / ``test.bin`` themselves).
        train, transform, target_transform: as for ``CIFAR10``.
        download: fetch and unpack ``cifar-100-binary.tar.gz`` when the files are nowhere (the
            archive's checksum is not published, so none is checked).
    """

    classes = (
        "apple", "aquarium_fish", "baby", "bear", "beaver", "bed", "bee", "beetle", "bicycle",
        "bottle", "bowl", "boy", "bridge", "bus", "butterfly", "camel", "can", "castle",
        "caterpillar", "cattle", "chair", "chimpanzee", "clock", "cloud", "cockroach", "couch",
        "crab", "crocodile", "cup", "dinosaur", "dolphin", "elephant", "flatfish", "forest", "fox",
        "girl", "hamster", "house", "kangaroo", "keyboard", "lamp", "lawn_mower", "leopard", "lion",
        "lizard", "lobster", "man", "maple_tree", "motorcycle", "mountain", "mouse", "mushroom",
        "oak_tree", "orange", "orchid", "otter", "palm_tree", "pear", "pickup_truck", "pine_tree",
        "plain", "plate", "poppy", "porcupine", "possum", "rabbit", "raccoon", "ray", "road",
        "rocket", "rose", "sea", "seal", "shark", "shrew", "skunk", "skyscraper", "snail", "snake",
        "spider", "squirrel", "streetcar", "sunflower", "sweet_pepper", "table", "tank",
        "telephone", "television", "tiger", "tractor", "train", "trout", "tulip", "turtle",
        "wardrobe", "whale", "willow_tree", "wolf", "woman", "worm",
    )
    folder_names = ("CIFAR100", "cifar100", "cifar-100")
    batch_folder = "cifar-100-binary"
    train_files, test_files = ["train.bin"], ["test.bin"]
    label_bytes, label_classes = 2, (20, 100)
    url = "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz"
    md5 = None


def _extract(archive, out_dir, wanted):
    """Unpack only the expected regular files of the archive (no paths from the archive used)."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive, "r:gz") as tar:
        for member in tar.getmembers():
            name = Path(member.name).name
            if member.isfile() and name in wanted:
                with tar.extractfile(member) as src:
                    (out_dir / name).write_bytes(src.read())
