"""``torchvision.datasets``: MNIST, Fashion-MNIST, KMNIST, CIFAR-10/100, ImageFolder,
DatasetFolder and FakeData with torchvision's signatures, attributes and samples.

``MNIST(root, train=True, transform=None, target_transform=None, download=False)`` reads the four
IDX files from ``root/MNIST/raw`` (torchvision's layout), ``root/MNIST`` or ``root`` itself,
gzipped or not; FashionMNIST looks in ``root/FashionMNIST/raw`` and KMNIST in ``root/KMNIST/raw``.
``.data`` is a uint8 Tensor ``(N, 28, 28)``, ``.targets`` an int64 Tensor, ``.classes`` a list.
CIFAR10 and CIFAR100 read the *binary* versions (``root/cifar-10-batches-bin/*.bin``,
``root/cifar-100-binary/*.bin``); torchvision's ``cifar-10-batches-py`` folder holds pickles,
which glassnet does not load (``download=True`` fetches the binary version beside it). Their
``.data`` is a uint8 NumPy array ``(N, 32, 32, 3)`` and ``.targets`` a list of ints, as in
torchvision.

A sample is ``(image, target)``: the image a PIL image (mode 'L' or 'RGB') handed to
``transform`` - or, without Pillow, a uint8 Tensor ``(C, H, W)``, which the same pipelines
accept - and the target an int. When the pipeline begins with ``ToTensor()`` and the rest takes
whole batches, the DataLoader builds each batch in one go (``glassnet.data.datasets.vision``).

Missing files raise ``DatasetNotFoundError`` (a ``RuntimeError`` as torchvision's, and a
``FileNotFoundError``) saying where it looked and how to provide them; a download without a
network fails at once rather than hanging. Folder datasets name the folder they could not use.
"""

from __future__ import annotations

import warnings

from pathlib import Path

from glassnet.data import datasets as _datasets
from glassnet.data.datasets.folder import (
    IMG_EXTENSIONS,
    DatasetFolder,
    ImageFolder,
    default_loader,
    has_file_allowed_extension,
    pil_loader,
)
from glassnet.data.datasets.vision import PILSamples, StandardTransform, VisionDataset
from glassnet.data.kinds import as_tensor

__all__ = ["CIFAR10", "CIFAR100", "IMG_EXTENSIONS", "KMNIST", "MNIST", "DatasetFolder",
           "DatasetNotFoundError", "FakeData", "FashionMNIST", "ImageFolder", "StandardTransform",
           "VisionDataset", "default_loader", "has_file_allowed_extension", "pil_loader"]

FakeData = _datasets.FakeData


class DatasetNotFoundError(_datasets.DatasetNotFoundError, RuntimeError):
    """A dataset's files are not under ``root`` (and were not, or could not be, downloaded)."""


def _load(cls, self, root, train, transform, target_transform, download, hint=""):
    try:
        super(cls, self).__init__(root, train, transform, target_transform, download)
    except _datasets.DatasetNotFoundError as exc:
        raise DatasetNotFoundError(f"{exc}{hint}") from None
    self.classes = list(type(self).classes)


def _renamed(old, new):
    """torchvision's deprecated name ``old`` for the attribute ``new`` (it warns as they do)."""

    def get(self):
        warnings.warn(f"{old} has been renamed {new}", UserWarning, stacklevel=2)
        return getattr(self, new)

    return property(get, doc=f"Deprecated: ``{new}``.")


class _IDX(PILSamples):
    """torchvision's MNIST family: Tensors for ``.data`` and ``.targets``."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        _load(_IDX, self, root, train, transform, target_transform, download)
        self.data, self.targets = as_tensor(self.data), as_tensor(self.targets)

    # torchvision's older names, kept there with a warning
    train_data = _renamed("train_data", "data")
    test_data = _renamed("test_data", "data")
    train_labels = _renamed("train_labels", "targets")
    test_labels = _renamed("test_labels", "targets")


class MNIST(_IDX, _datasets.MNIST):
    """The MNIST digits from ``root`` (torchvision's ``MNIST``; see the module docstring)."""


class FashionMNIST(_IDX, _datasets.FashionMNIST):
    """Fashion-MNIST from ``root`` (torchvision's ``FashionMNIST``)."""


class KMNIST(_IDX, _datasets.KMNIST):
    """Kuzushiji-MNIST from ``root`` (torchvision's ``KMNIST``)."""


class CIFAR10(PILSamples, _datasets.CIFAR10):
    """CIFAR-10 from the binary files under ``root`` (torchvision's ``CIFAR10``)."""

    pickled = "cifar-10-batches-py"

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        pickled = Path(root).expanduser() / self.pickled
        hint = (f"\n{pickled} holds the Python (pickled) version, which glassnet does not "
                f"load; use the binary version ({self.url.rsplit('/', 1)[1]}, unpacked to "
                f"{Path(root) / self.batch_folder}), or download=True to fetch it."
                if pickled.is_dir() else "")
        _load(CIFAR10, self, root, train, transform, target_transform, download, hint)
        self.targets = self.targets.tolist()


class CIFAR100(CIFAR10, _datasets.CIFAR100):
    """CIFAR-100 from the binary files under ``root`` (torchvision's ``CIFAR100``; targets are
    the 100 fine labels, ``coarse_targets`` the 20 superclasses)."""

    pickled = "cifar-100-python"
