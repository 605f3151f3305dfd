"""MNIST, Fashion-MNIST and Kuzushiji-MNIST: 70 000 grayscale 28x28 images in 10 classes.

60 000 training and 10 000 test images, stored as four IDX files
(``train-images-idx3-ubyte``, ``train-labels-idx1-ubyte``, ``t10k-images-idx3-ubyte``,
``t10k-labels-idx1-ubyte``, usually gzip-compressed). The files are looked for in the
places listed in ``glassnet.data.datasets._files`` and, if absent and ``download=True``,
fetched from the official mirrors and checked against their published MD5 sums.

A sample is ``(image, label)``: the image float32 ``(1, 28, 28)`` in [0, 1] after the
transform pipeline, the label an int. ``.data`` is the uint8 ``(N, 28, 28)`` array,
``.targets`` the int64 labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from glassnet.data.datasets import _files
from glassnet.data.datasets.base import ArrayDataset
from glassnet.data.datasets.idx import read_idx


class MNIST(ArrayDataset):
    """The MNIST handwritten digits (LeCun et al., 1998).

    Args:
        root: folder holding the IDX files (also searched: ``root/MNIST/raw`` ...).
        train: the 60 000 training images (True) or the 10 000 test images (False).
        transform, target_transform: see ``ArrayDataset``.
        download: fetch the files when they are nowhere to be found.
    """

    classes = (
        "0 - zero",
        "1 - one",
        "2 - two",
        "3 - three",
        "4 - four",
        "5 - five",
        "6 - six",
        "7 - seven",
        "8 - eight",
        "9 - nine",
    )
    folder_names = ("MNIST", "mnist")
    system_dirs: tuple = ()
    mirrors = (
        "https://ossci-datasets.s3.amazonaws.com/mnist/",
        "http://yann.lecun.com/exdb/mnist/",
    )
    resources: ClassVar[dict] = {
        "train-images-idx3-ubyte": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
        "train-labels-idx1-ubyte": "d53e105ee54ea40749a09fcbcd1e9432",
        "t10k-images-idx3-ubyte": "9fb629c4189551a2d022fa330f9573f3",
        "t10k-labels-idx1-ubyte": "ec29112dd5afa0611ce80d1b7f02629c",
    }
    install_hint = None

    def __init__(self, root=None, train=True, transform=None, target_transform=None, download=True):
        self.root, self.train = root, bool(train)
        prefix = "train" if self.train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        paths = self.locate(names, root, download)
        images, labels = read_idx(paths[names[0]]), read_idx(paths[names[1]])
        name = type(self).__name__
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise ValueError(
                f"{name}: '{paths[names[0]]}' has shape {images.shape} and '{paths[names[1]]}' "
                f"shape {labels.shape}; expected (N, H, W) images and N labels"
            )
        if labels.size and (labels.min() < 0 or labels.max() >= len(self.classes)):
            raise ValueError(
                f"{name}: labels in '{paths[names[1]]}' range over [{labels.min()}, {labels.max()}], "
                f"expected 0..{len(self.classes) - 1}"
            )
        self.files = paths
        super().__init__(images, labels, transform, target_transform)

    @classmethod
    def search_dirs(cls, root=None):
        return _files.candidate_dirs(cls.folder_names, root, cls.system_dirs)

    @classmethod
    def is_available(cls, root=None, train=True):
        """Whether the files of a split are on disk (nothing is downloaded or read)."""
        prefix = "train" if train else "t10k"
        names = [f"{prefix}-images-idx3-ubyte", f"{prefix}-labels-idx1-ubyte"]
        return _files.find_files(names, cls.search_dirs(root)) is not None

    @classmethod
    def locate(cls, names, root=None, download=True):
        dirs = cls.search_dirs(root)
        found = _files.find_files(names, dirs)
        if found is not None:
            return found
        err = None
        if download:
            target = (
                Path(root).expanduser() / cls.folder_names[0] / "raw"
                if root is not None
                else _files.data_home() / cls.folder_names[0]
            )
            try:
                for n in names:
                    gz = n + ".gz"
                    _files.download_file(
                        [m + gz for m in cls.mirrors], target / gz, cls.resources[n]
                    )
                found = _files.find_files(names, [target])
            except _files.DownloadError as exc:
                err = exc
            if found is not None:
                return found
        raise _files.missing_error(cls.__name__, names, dirs, err, cls.install_hint)


class FashionMNIST(MNIST):
    """Zalando's Fashion-MNIST (Xiao et al., 2017): clothing images, MNIST's format and sizes.

    Besides the user's folders and ``$GLASSNET_DATA``, the files installed by the Debian
    package ``dataset-fashion-mnist`` (``/usr/share/datasets/fashion-mnist``) are found.
    """

    classes = (
        "T-shirt/top",
        "Trouser",
        "Pullover",
        "Dress",
        "Coat",
        "Sandal",
        "Shirt",
        "Sneaker",
        "Bag",
        "Ankle boot",
    )
    folder_names = ("FashionMNIST", "fashion-mnist", "fashion_mnist")
    system_dirs = ("/usr/share/datasets/fashion-mnist",)
    mirrors = (
        "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
        "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/",
    )
    resources: ClassVar[dict] = {
        "train-images-idx3-ubyte": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
        "train-labels-idx1-ubyte": "25c81989df183df01b3e8a0aad5dffbe",
        "t10k-images-idx3-ubyte": "bef4ecab320f06d8554ea6380940ec79",
        "t10k-labels-idx1-ubyte": "bb300cfdad3c16e7a12a480ee83cd310",
    }
    install_hint = (
        "or on Debian/Ubuntu: apt-get install dataset-fashion-mnist "
        "(installs them in /usr/share/datasets/fashion-mnist)"
    )


class KMNIST(MNIST):
    """Kuzushiji-MNIST (Clanuwat et al., 2018): ten cursive Japanese hiragana characters."""

    classes = ("o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo")
    folder_names = ("KMNIST", "kmnist")
    mirrors = ("http://codh.rois.ac.jp/kmnist/dataset/kmnist/",)
    resources: ClassVar[dict] = {
        "train-images-idx3-ubyte": "bdb82020997e1d708af4cf47b453dcf7",
        "train-labels-idx1-ubyte": "e144d726b3acfaa3e44228e80efcd344",
        "t10k-images-idx3-ubyte": "5c965bf0a639b31b8f53240b1b52f4d7",
        "t10k-labels-idx1-ubyte": "7320c461ea6c1c855c0b718fb2a4b134",
    }
