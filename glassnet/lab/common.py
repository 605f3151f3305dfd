"""What several lab experiments share: an image-classification subset, a short training run,
test accuracy and a rank correlation.

Every experiment that trains a network goes through ``fit`` (glassnet's ``Trainer``, quiet, no
run folder) and measures with ``accuracy`` (glassnet's one accuracy metric), so that two
experiments comparing architectures train them the same way.
"""

from __future__ import annotations

import functools

import numpy as np

import glassnet as gn
from glassnet import nn, optim
from glassnet.data import DataLoader, TensorDataset, datasets
from glassnet.train import Trainer
from glassnet.train.metrics import accuracy as _accuracy

__all__ = ["accuracy", "fit", "image_subset", "rank_correlation"]


@functools.lru_cache(maxsize=4)
def _dataset(name, train):
    """A registered dataset's split, read once per process (several experiments share it)."""
    return datasets.get(name, train=train)


def image_subset(name, n_train, n_test, rng):
    """``(x_train, y_train, x_test, y_test)``: random subsets (drawn with ``rng``) of a registered
    image dataset's train and test splits, as float32 (N, C, H, W) arrays in [0, 1] and int64
    labels. ``n_train`` / ``n_test`` None keep a whole split; 0 gives empty arrays without
    reading the files."""
    out = []
    for train, n in ((True, n_train), (False, n_test)):
        if n == 0:
            shape = tuple(datasets.info(name).input_shape)
            out += [np.zeros((0,) + shape, np.float32), np.zeros(0, np.int64)]
            continue
        ds = _dataset(name, train)
        idx = np.arange(len(ds)) if n is None or n >= len(ds) else \
            np.sort(rng.choice(len(ds), size=int(n), replace=False))
        x, y = ds.get_batch(idx)
        out += [np.ascontiguousarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)]
    return tuple(out)


def fit(model, x, y, epochs, lr=3e-3, batch_size=64, weight_decay=0.0, optimizer=None):
    """Train ``model`` on arrays ``(x, y)`` with Adam (or the given ``optimizer``) and
    cross-entropy for ``epochs`` epochs (shuffled by glassnet's seeded generator). Returns the
    Trainer's history."""
    opt = optimizer if optimizer is not None else \
        optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    trainer = Trainer(model, opt, nn.CrossEntropyLoss(), run_dir=False, progress=False,
                      report=False)
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True)
    return trainer.fit(loader, epochs=int(epochs))


def accuracy(model, x, y, batch_size=500):
    """Test accuracy of ``model`` on arrays ``(x, y)`` (eval mode, no gradients)."""
    training = model.training
    model.eval()
    try:
        with gn.no_grad():
            out = np.concatenate([model(gn.tensor(x[i:i + batch_size])).numpy()
                                  for i in range(0, len(x), batch_size)])
    finally:
        model.train(training)
    return float(_accuracy(out, y))


def rank_correlation(a, b):
    """Spearman's rank correlation of two equally long sequences (ties get their mean rank)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"rank_correlation: expected two 1-D sequences of the same length >= 2, "
                         f"got shapes {a.shape} and {b.shape}")

    def ranks(v):
        order = np.argsort(v, kind="stable")
        r = np.empty(len(v))
        r[order] = np.arange(len(v), dtype=np.float64)
        for value in np.unique(v):  # ties: the mean of their ranks
            tie = v == value
            r[tie] = r[tie].mean()
        return r

    ra, rb = ranks(a), ranks(b)
    ra, rb = ra - ra.mean(), rb - rb.mean()
    den = np.sqrt((ra ** 2).sum() * (rb ** 2).sum())
    return float((ra * rb).sum() / den) if den > 0 else 0.0
