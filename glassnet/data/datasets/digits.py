"""scikit-learn's 8x8 handwritten digits (the UCI optical-recognition set): 1797 images.

Each image is an 8x8 grid of counts 0..16 (how many pixels of a 4x4 block of the original
32x32 bitmap were set). Samples are float32 ``(1, 8, 8)`` scaled to [0, 1] by ``/ 16``.
There is no official split: a stratified, seeded split keeps ``test_fraction`` of every
class for testing, the same on every machine.
"""

from __future__ import annotations

import numpy as np

from glassnet.data.datasets.base import ArrayDataset


def stratified_split(labels, test_fraction, seed):
    """Indices ``(train, test)``: per class, a seeded shuffle, the first
    ``round(test_fraction * count)`` to test. Both sorted."""
    if not 0 <= test_fraction < 1:
        raise ValueError(f"stratified_split: test_fraction must be in [0, 1), got {test_fraction}")
    rng = np.random.default_rng(seed)
    train, test = [], []
    for c in np.unique(labels):
        idx = rng.permutation(np.nonzero(labels == c)[0])
        k = round(test_fraction * len(idx))
        test.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(test))


class Digits(ArrayDataset):
    """The 8x8 digits of ``sklearn.datasets.load_digits`` (needs scikit-learn).

    Args:
        root: unused (the data ships with scikit-learn); accepted for a uniform signature.
        train: the training part (True) or the test part.
        test_fraction: share of each class held out for testing (default 0.2).
        split_seed: seed of the split (default 0).
    """

    classes = tuple(str(i) for i in range(10))
    pixel_max = 16.0

    def __init__(
        self,
        root=None,
        train=True,
        transform=None,
        target_transform=None,
        download=True,
        test_fraction=0.2,
        split_seed=0,
    ):
        try:
            from sklearn.datasets import load_digits
        except ImportError as exc:
            raise ImportError(
                "Digits: scikit-learn is not installed; install it with: pip install scikit-learn"
            ) from exc
        d = load_digits()
        images = np.asarray(d.images).astype(np.uint8)
        labels = np.asarray(d.target, dtype=np.int64)
        tr, te = stratified_split(labels, test_fraction, split_seed)
        idx = tr if train else te
        self.root, self.train = root, bool(train)
        super().__init__(images[idx], labels[idx], transform, target_transform)

    @staticmethod
    def is_available(root=None, train=True):
        import importlib.util

        return importlib.util.find_spec("sklearn") is not None
