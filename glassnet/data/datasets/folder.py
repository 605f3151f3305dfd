"""Datasets from a folder tree: ``DatasetFolder`` and ``ImageFolder`` (torchvision's classes).

The class of a file is the name of the folder it sits in, directly under ``root``::

    root/cat/001.png        root/dog/001.png        root/dog/more/002.png

Classes are the sorted folder names (``classes``, ``class_to_idx``); ``samples`` (and, for
``ImageFolder``, ``imgs``) lists ``(path, class_index)`` class by class, files in sorted order,
walking subfolders; ``targets`` the class indices. A file counts when its name ends with one of
``extensions`` (case-insensitive) or, instead, when ``is_valid_file(path)`` says so. A class
folder without a valid file is an error unless ``allow_empty=True``. ``ImageFolder`` reads each
image with Pillow and converts it to RGB (``default_loader``); ``DatasetFolder`` takes any
``loader(path)``. Errors name the folder: a missing ``root``, a ``root`` without class folders,
or classes without files are FileNotFoundError, raised at once.
"""

from __future__ import annotations

import os

from glassnet.data.datasets.vision import VisionDataset
from glassnet.data.kinds import pil_image_module

__all__ = ["IMG_EXTENSIONS", "DatasetFolder", "ImageFolder", "default_loader", "find_classes",
           "has_file_allowed_extension", "is_image_file", "make_dataset", "pil_loader"]

IMG_EXTENSIONS = (".jpg", ".jpeg", ".png", ".ppm", ".bmp", ".pgm", ".tif", ".tiff", ".webp")


def has_file_allowed_extension(filename, extensions):
    """Whether ``filename`` ends with one of ``extensions`` (lowercase), ignoring case."""
    return str(filename).lower().endswith(
        extensions if isinstance(extensions, str) else tuple(extensions))


def is_image_file(filename):
    return has_file_allowed_extension(filename, IMG_EXTENSIONS)


def find_classes(directory):
    """``(classes, class_to_idx)``: the sorted names of the folders in ``directory``."""
    directory = os.fspath(directory)
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"find_classes: the folder {directory!r} does not exist "
                                "(expected root/<class>/<file> folders)")
    classes = sorted(e.name for e in os.scandir(directory) if e.is_dir())
    if not classes:
        raise FileNotFoundError(f"Couldn't find any class folder in {directory}.")
    return classes, {c: i for i, c in enumerate(classes)}


def make_dataset(directory, class_to_idx=None, extensions=None, is_valid_file=None,
                 allow_empty=False):
    """``[(path, class_index), ...]`` for the valid files under ``directory/<class>/``."""
    directory = os.path.expanduser(os.fspath(directory))
    if class_to_idx is None:
        _, class_to_idx = find_classes(directory)
    elif not class_to_idx:
        raise ValueError("'class_to_index' must have at least one entry to collect any samples.")
    if (extensions is None) == (is_valid_file is None):
        raise ValueError("Both extensions and is_valid_file cannot be None or not None at the "
                         "same time")
    if extensions is not None:
        def is_valid_file(path):
            return has_file_allowed_extension(path, extensions)

    instances, found = [], set()
    for name in sorted(class_to_idx):
        target_dir = os.path.join(directory, name)
        if not os.path.isdir(target_dir):
            continue
        for root, _, fnames in sorted(os.walk(target_dir, followlinks=True)):
            for fname in sorted(fnames):
                path = os.path.join(root, fname)
                if is_valid_file(path):
                    instances.append((path, class_to_idx[name]))
                    found.add(name)
    empty = set(class_to_idx) - found
    if empty and not allow_empty:
        msg = f"Found no valid file for the classes {', '.join(sorted(empty))} in {directory}. "
        if extensions is not None:
            msg += "Supported extensions are: " + (
                extensions if isinstance(extensions, str) else ", ".join(extensions))
        raise FileNotFoundError(msg)
    return instances


def pil_loader(path):
    """Open an image file with Pillow and convert it to RGB."""
    image = pil_image_module("ImageFolder's default loader")
    with open(path, "rb") as f:
        img = image.open(f)
        return img.convert("RGB")


def default_loader(path):
    return pil_loader(path)


class DatasetFolder(VisionDataset):
    """Samples ``(loader(path), class_index)`` from ``root/<class>/...`` (see the module
    docstring). ``find_classes`` and ``make_dataset`` may be overridden, as in torchvision."""

    def __init__(self, root, loader, extensions=None, transform=None, target_transform=None,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        classes, class_to_idx = self.find_classes(self.root)
        samples = self.make_dataset(self.root, class_to_idx=class_to_idx, extensions=extensions,
                                    is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.loader, self.extensions = loader, extensions
        self.classes, self.class_to_idx = classes, class_to_idx
        self.samples = samples
        self.targets = [s[1] for s in samples]

    @staticmethod
    def make_dataset(directory, class_to_idx, extensions=None, is_valid_file=None,
                     allow_empty=False):
        if class_to_idx is None:
            raise ValueError("The class_to_idx parameter cannot be None.")
        return make_dataset(directory, class_to_idx, extensions, is_valid_file, allow_empty)

    def find_classes(self, directory):
        return find_classes(directory)

    def __getitem__(self, index):
        path, target = self.samples[index]
        sample = self.loader(path)
        if self.transform is not None:
            sample = self.transform(sample)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return sample, target

    def __len__(self):
        return len(self.samples)


class ImageFolder(DatasetFolder):
    """Images from ``root/<class>/...`` read with Pillow as RGB (``loader``), files with one of
    ``IMG_EXTENSIONS`` unless ``is_valid_file`` decides; ``imgs`` is ``samples``."""

    def __init__(self, root, transform=None, target_transform=None, loader=default_loader,
                 is_valid_file=None, allow_empty=False):
        super().__init__(root, loader, IMG_EXTENSIONS if is_valid_file is None else None,
                         transform=transform, target_transform=target_transform,
                         is_valid_file=is_valid_file, allow_empty=allow_empty)
        self.imgs = self.samples
