"""``torchvision.datasets``: MNIST, Fashion-MNIST, KMNIST and CIFAR-10 with torchvision's signature.

``MNIST(root, train=True, transform=None, target_transform=None, download=False)`` reads the four
IDX files from ``root/MNIST/raw`` (torchvision's layout), ``root/MNIST`` or ``root`` itself,
gzipped or not; FashionMNIST looks in ``root/FashionMNIST/raw`` and KMNIST in ``root/KMNIST/raw``.
CIFAR10 reads the *binary* version, ``root/cifar-10-batches-bin/*.bin``; torchvision's
``cifar-10-batches-py`` folder holds pickles, which glassnet does not load (``download=True``
fetches the binary version beside it). These are the loaders of ``glassnet.data.datasets``; only
the defaults differ: ``root`` is required and nothing is downloaded unless ``download=True``.

When the files are missing the error (``DatasetNotFoundError``, a ``RuntimeError`` as
torchvision's, and a ``FileNotFoundError``) says where it looked and how to provide them; a
download without a network fails at once rather than hanging.

A sample is ``(image, label)``: the image a float32 NumPy array ``(C, H, W)`` in [0, 1] (what
torchvision's ``ToTensor()`` would give; a ``ToTensor()`` in the pipeline passes it through),
then ``transform``; the label an int. ``.data`` is the uint8 NumPy array and ``.targets`` the
int64 labels.
"""

from __future__ import annotations

from pathlib import Path

from glassnet.data import datasets as _datasets

__all__ = ["CIFAR10", "KMNIST", "MNIST", "DatasetNotFoundError", "FashionMNIST"]


class DatasetNotFoundError(_datasets.DatasetNotFoundError, RuntimeError):
    """A dataset's files are not under ``root`` (and were not, or could not be, downloaded)."""


def _load(cls, self, root, train, transform, target_transform, download, hint=""):
    try:
        super(cls, self).__init__(root, train, transform, target_transform, download)
    except _datasets.DatasetNotFoundError as exc:
        raise DatasetNotFoundError(f"{exc}{hint}") from None


class MNIST(_datasets.MNIST):
    """The MNIST digits from ``root`` (torchvision's ``MNIST``; see the module docstring)."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        _load(MNIST, self, root, train, transform, target_transform, download)


class FashionMNIST(_datasets.FashionMNIST):
    """Fashion-MNIST from ``root`` (torchvision's ``FashionMNIST``)."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        _load(FashionMNIST, self, root, train, transform, target_transform, download)


class KMNIST(_datasets.KMNIST):
    """Kuzushiji-MNIST from ``root`` (torchvision's ``KMNIST``)."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        _load(KMNIST, self, root, train, transform, target_transform, download)


class CIFAR10(_datasets.CIFAR10):
    """CIFAR-10 from the binary files under ``root`` (torchvision's ``CIFAR10``)."""

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        pickled = Path(root).expanduser() / "cifar-10-batches-py"
        hint = (f"\n{pickled} holds CIFAR-10's Python (pickled) version, which glassnet does not "
                "load; use the binary version (cifar-10-binary.tar.gz, unpacked to "
                f"{Path(root) / 'cifar-10-batches-bin'}), or download=True to fetch it."
                if pickled.is_dir() else "")
        _load(CIFAR10, self, root, train, transform, target_transform, download, hint)
