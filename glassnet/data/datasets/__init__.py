"""Built-in datasets: image sets read from their original files, generated and toy sets.

``get(name, **kwargs)`` constructs any of them by name and ``available()`` lists them; see
``registry``. Those are array-backed (``.data``, ``.targets``) with batched access, so the
DataLoader builds whole mini-batches with vectorised NumPy. torchvision's conventions
(``VisionDataset``, samples as PIL images) and its file-based and fake sets (``ImageFolder``,
``DatasetFolder``, ``FakeData``) are here too; ``glassnet.vision.datasets`` gives them
torchvision's paths.
"""

from glassnet.data.datasets._files import DatasetNotFoundError, DownloadError, data_home
from glassnet.data.datasets.base import ArrayDataset
from glassnet.data.datasets.cifar import CIFAR10, CIFAR100, read_cifar_bin, write_cifar_bin
from glassnet.data.datasets.digits import Digits
from glassnet.data.datasets.fakedata import FakeData
from glassnet.data.datasets.folder import IMG_EXTENSIONS, DatasetFolder, ImageFolder
from glassnet.data.datasets.idx import IDXFormatError, read_idx, write_idx
from glassnet.data.datasets.karate import karate_club
from glassnet.data.datasets.mnist import KMNIST, MNIST, FashionMNIST
from glassnet.data.datasets.mnist1d import MNIST1D
from glassnet.data.datasets.mnist5k import MNISTSubset5k
from glassnet.data.datasets.registry import DatasetInfo, available, get, info, names, register
from glassnet.data.datasets.toy import (
    XOR,
    Blobs,
    LogicGate,
    Spirals,
    ToyDataset,
    blobs,
    logic_gates,
    spirals,
    xor,
)
from glassnet.data.datasets.vision import PILSamples, StandardTransform, VisionDataset

__all__ = [
    "CIFAR10",
    "CIFAR100",
    "IMG_EXTENSIONS",
    "KMNIST",
    "MNIST",
    "MNIST1D",
    "XOR",
    "ArrayDataset",
    "Blobs",
    "DatasetFolder",
    "DatasetInfo",
    "DatasetNotFoundError",
    "Digits",
    "DownloadError",
    "FakeData",
    "FashionMNIST",
    "IDXFormatError",
    "ImageFolder",
    "LogicGate",
    "MNISTSubset5k",
    "PILSamples",
    "Spirals",
    "StandardTransform",
    "ToyDataset",
    "VisionDataset",
    "available",
    "blobs",
    "data_home",
    "get",
    "info",
    "karate_club",
    "logic_gates",
    "names",
    "read_cifar_bin",
    "read_idx",
    "register",
    "spirals",
    "write_cifar_bin",
    "write_idx",
    "xor",
]
