"""Small 2-D problems for perceptrons and MLPs: logic gates, XOR, spirals, Gaussian blobs.

Each generator returns ``(X float32 (n, d), y int64 (n,))`` and draws from ``generator``
(glassnet's default generator unless given) or from ``seed`` if one is given.

* ``logic_gates('AND')``: the four rows of a truth table. AND, OR, NAND and NOR are
  linearly separable - a single perceptron learns them; XOR is not (Minsky & Papert), which
  is why it needs a hidden layer.
* ``xor``: noisy clusters around the four corners ``(+-1, +-1)``, label 1 where the signs
  differ.
* ``spirals``: interleaved spiral arms, one per class - hard for linear models, easy for a
  small MLP.
* ``blobs``: isotropic Gaussian clusters around random centres.
"""

from __future__ import annotations

import numpy as np

from glassnet import backend
from glassnet.data.datasets.base import ArrayDataset

GATES = {
    "AND": [0, 0, 0, 1],
    "OR": [0, 1, 1, 1],
    "NAND": [1, 1, 1, 0],
    "NOR": [1, 0, 0, 0],
    "XOR": [0, 1, 1, 0],
    "XNOR": [1, 0, 0, 1],
}


def _rng(generator, seed):
    return np.random.default_rng(seed) if seed is not None else backend.rng(generator)


def logic_gates(gate="AND"):
    """Truth table of a two-input gate: ``X = [[0,0],[0,1],[1,0],[1,1]]`` and its outputs."""
    g = str(gate).upper()
    if g not in GATES:
        raise ValueError(f"logic_gates: gate must be one of {', '.join(GATES)}, got {gate!r}")
    x = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=np.float32)
    return x, np.array(GATES[g], dtype=np.int64)


def xor(n_samples=200, noise=0.2, generator=None, seed=None):
    """XOR clusters: corners ``(+-1, +-1)`` plus ``N(0, noise^2)``; ``y = [sign(x1) != sign(x2)]``."""
    rng = _rng(generator, seed)
    corners = np.array([[-1, -1], [-1, 1], [1, -1], [1, 1]], dtype=np.float64)
    which = rng.integers(0, 4, size=n_samples)
    x = corners[which] + noise * rng.standard_normal((n_samples, 2))
    y = np.array([0, 1, 1, 0], dtype=np.int64)[which]
    return x.astype(np.float32), y


def spirals(n_samples=300, classes=2, noise=0.1, turns=1.0, generator=None, seed=None):
    """Interleaved spirals: for class k, radius ``r`` in (0, 1] and angle
    ``theta = 2 pi (turns * r + k / classes) + noise * eps``; ``x = r (cos theta, sin theta)``."""
    rng = _rng(generator, seed)
    per = np.full(classes, n_samples // classes)
    per[: n_samples % classes] += 1
    y = np.repeat(np.arange(classes, dtype=np.int64), per)
    r = np.concatenate([np.linspace(0.05, 1.0, m) for m in per])
    theta = 2 * np.pi * (turns * r + y / classes) + noise * rng.standard_normal(n_samples)
    x = r[:, None] * np.stack([np.cos(theta), np.sin(theta)], axis=1)
    order = rng.permutation(n_samples)
    return x[order].astype(np.float32), y[order]


def blobs(n_samples=300, centers=3, dim=2, std=1.0, box=(-6.0, 6.0), generator=None, seed=None):
    """Gaussian blobs: ``centers`` (a count, drawn uniformly in ``box``, or a ``(k, dim)``
    array) and ``x = centre[y] + std * eps``, classes as balanced as ``n_samples`` allows."""
    rng = _rng(generator, seed)
    if np.ndim(centers) == 0:
        centers = rng.uniform(box[0], box[1], size=(int(centers), dim))
    centers = np.asarray(centers, dtype=np.float64)
    k = len(centers)
    y = np.arange(n_samples, dtype=np.int64) % k
    y = y[rng.permutation(n_samples)]
    x = centers[y] + std * rng.standard_normal((n_samples, centers.shape[1]))
    return x.astype(np.float32), y


class ToyDataset(ArrayDataset):
    """A generated 2-D dataset; the training and test parts use different seeds (``seed`` and
    ``seed + 1``), so they are independent draws of the same distribution."""

    def __init__(self, x, y, classes, transform=None, target_transform=None):
        self.classes = list(classes)
        super().__init__(x, y, transform, target_transform)

    def inputs(self, indices):
        return self.data[indices]

    @staticmethod
    def is_available(root=None, train=True):
        return True


class XOR(ToyDataset):
    def __init__(
        self,
        root=None,
        train=True,
        n_samples=400,
        noise=0.2,
        seed=0,
        transform=None,
        target_transform=None,
        download=True,
    ):
        self.train = bool(train)
        x, y = xor(n_samples, noise, seed=seed + (0 if train else 1))
        super().__init__(x, y, ["same sign", "different sign"], transform, target_transform)


class Spirals(ToyDataset):
    def __init__(
        self,
        root=None,
        train=True,
        n_samples=600,
        classes=2,
        noise=0.1,
        turns=1.0,
        seed=0,
        transform=None,
        target_transform=None,
        download=True,
    ):
        self.train = bool(train)
        x, y = spirals(n_samples, classes, noise, turns, seed=seed + (0 if train else 1))
        super().__init__(x, y, [f"arm {k}" for k in range(classes)], transform, target_transform)


class Blobs(ToyDataset):
    def __init__(
        self,
        root=None,
        train=True,
        n_samples=600,
        centers=3,
        dim=2,
        std=1.0,
        seed=0,
        transform=None,
        target_transform=None,
        download=True,
    ):
        self.train = bool(train)
        if np.ndim(centers) == 0:  # the same centres for both splits
            centers = np.random.default_rng(seed).uniform(-6.0, 6.0, size=(int(centers), dim))
        x, y = blobs(n_samples, centers, dim, std, seed=seed + (1 if train else 2))
        super().__init__(
            x, y, [f"blob {k}" for k in range(len(centers))], transform, target_transform
        )


class LogicGate(ToyDataset):
    """The four rows of a gate's truth table (train and test are the same four rows)."""

    def __init__(
        self,
        root=None,
        train=True,
        gate="AND",
        transform=None,
        target_transform=None,
        download=True,
    ):
        self.train, self.gate = bool(train), str(gate).upper()
        x, y = logic_gates(gate)
        super().__init__(x, y, ["0", "1"], transform, target_transform)
