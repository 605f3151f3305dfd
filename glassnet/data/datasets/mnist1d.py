"""MNIST-1D (Greydanus, 2020): a small 1-D stand-in for MNIST that still separates models.

Ten hand-made 1-D templates (one per digit) are padded, randomly shifted, scaled, sheared
and corrupted with correlated and i.i.d. noise into 40-sample signals; 5000 examples, the
first 4000 for training and the last 1000 for testing. The dataset is small enough to train
on in seconds, yet an MLP, a CNN and a GRU reach clearly different accuracies - the point
of the benchmark.

The examples are generated with the ``mnist1d`` package (an optional extra:
``pip install mnist1d``) using the paper's default arguments (seed 42), then cached as an
``.npz`` file (no pickle) in the data folder, so later loads take milliseconds.
Samples are ``(signal float32 (40,), label)``.
"""

from __future__ import annotations

import os
import random
import tempfile
from pathlib import Path

import numpy as np

from glassnet.data.datasets import _files
from glassnet.data.datasets.base import ArrayDataset

CACHE_NAME = "mnist1d_default.npz"


def generate_mnist1d():
    """Generate the default MNIST-1D split with the ``mnist1d`` package.

    Returns a dict of arrays: ``x`` (4000, 40), ``y`` (4000,), ``x_test`` (1000, 40),
    ``y_test`` (1000,), ``t`` (40,). The package seeds NumPy's and Python's global random
    state; both are restored afterwards.
    """
    try:
        from mnist1d.data import get_dataset_args, make_dataset
    except ImportError as exc:
        raise ImportError(
            "MNIST1D: the optional package 'mnist1d' is not installed; "
            "install it with: pip install mnist1d (or pip install glassnet[datasets])"
        ) from exc
    np_state, py_state = np.random.get_state(), random.getstate()
    try:
        d = make_dataset(get_dataset_args())
    finally:
        np.random.set_state(np_state)
        random.setstate(py_state)
    return {
        "x": np.asarray(d["x"], dtype=np.float32),
        "y": np.asarray(d["y"], dtype=np.int64),
        "x_test": np.asarray(d["x_test"], dtype=np.float32),
        "y_test": np.asarray(d["y_test"], dtype=np.int64),
        "t": np.asarray(d["t"], dtype=np.float32),
    }


def _cache_dirs(root):
    return _files.candidate_dirs(("MNIST1D", "mnist1d"), root)


def load_mnist1d_arrays(root=None, cache=True):
    """The MNIST-1D arrays, from the first cache found or freshly generated (and cached)."""
    for d in _cache_dirs(root):
        path = d / CACHE_NAME
        if path.is_file():
            with np.load(path, allow_pickle=False) as z:
                return {k: z[k] for k in z.files}
    arrays = generate_mnist1d()
    if cache:
        target = (Path(root).expanduser() if root is not None else _files.data_home()) / "MNIST1D"
        try:
            target.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target, suffix=".npz")
            os.close(fd)
            np.savez(tmp, **arrays)
            os.replace(tmp, target / CACHE_NAME)
        except OSError:  # a read-only place: work from memory
            pass
    return arrays


class MNIST1D(ArrayDataset):
    """MNIST-1D signals of length 40 in 10 classes (4000 train / 1000 test).

    Args:
        root: folder for the ``.npz`` cache (default ``$GLASSNET_DATA`` or ``~/.glassnet/data``).
        train: training (True) or test split.
        transform, target_transform: applied to the float32 ``(40,)`` signals / labels.
        download: accepted for a uniform signature; the data is generated locally.
    """

    classes = tuple(str(i) for i in range(10))

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root, self.train = root, bool(train)
        a = load_mnist1d_arrays(root)
        x, y = (a["x"], a["y"]) if self.train else (a["x_test"], a["y_test"])
        self.t = a["t"]
        super().__init__(x, y, transform, target_transform)

    def inputs(self, indices):
        return self.data[indices]

    @staticmethod
    def is_available(root=None, train=True):
        import importlib.util

        return importlib.util.find_spec("mnist1d") is not None or any(
            (d / CACHE_NAME).is_file() for d in _cache_dirs(root)
        )
