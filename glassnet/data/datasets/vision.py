"""torchvision's dataset conventions: ``VisionDataset`` and image samples handed over as PIL images.

A torchvision dataset gives ``(image, target)`` where the image reaches ``transform`` as a PIL
image (MNIST's as mode 'L', CIFAR's as 'RGB'), so that a pipeline such as
``Compose([Resize(32), ToTensor(), Normalize(...)])`` starts from the same object it does in
torchvision. ``PILSamples`` gives glassnet's array-backed image datasets that behaviour; without
Pillow the image comes as a uint8 Tensor ``(C, H, W)`` instead (what v2's ``ToImage`` makes),
which ``ToTensor``, ``ToDtype`` and every tensor transform accept, so the same pipelines run.

Going one image at a time is what torchvision does, and what a pipeline of arbitrary Python
needs. When the pipeline begins with ``ToTensor`` and every later step handles whole batches
(``supports_batch``: ``Normalize``, the crops, flips and the other glassnet transforms),
``get_batch`` runs it on the whole mini-batch instead: the uint8 images go through the same
conversion as one image would, and the DataLoader gets a batch with no per-image Python.
"""

from __future__ import annotations

import os

import numpy as np

from glassnet.data.dataset import Dataset, _raw
from glassnet.data.datasets.base import batched_pipeline
from glassnet.data.kinds import as_tensor, pil_available

__all__ = ["PILSamples", "StandardTransform", "VisionDataset"]


class StandardTransform:
    """``transform`` on the input and ``target_transform`` on the target, as one callable."""

    def __init__(self, transform=None, target_transform=None):
        self.transform, self.target_transform = transform, target_transform

    def __call__(self, input, target):
        if self.transform is not None:
            input = self.transform(input)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return input, target

    def __repr__(self):
        body = [type(self).__name__]
        for head, t in (("Transform: ", self.transform),
                        ("Target transform: ", self.target_transform)):
            if t is not None:
                lines = repr(t).splitlines()
                body += [head + lines[0]] + [" " * len(head) + line for line in lines[1:]]
        return "\n".join(body)


class VisionDataset(Dataset):
    """torchvision's base class: ``root``, and either ``transforms`` (a callable on
    ``(input, target)``) or ``transform`` / ``target_transform``, never both."""

    _repr_indent = 4

    def __init__(self, root=None, transforms=None, transform=None, target_transform=None):
        if isinstance(root, str):
            root = os.path.expanduser(root)
        self.root = root
        separate = transform is not None or target_transform is not None
        if transforms is not None and separate:
            raise ValueError(f"{type(self).__name__}: only transforms or transform/"
                             "target_transform can be passed as argument")
        self.transform, self.target_transform = transform, target_transform
        self.transforms = StandardTransform(transform, target_transform) if separate \
            else transforms

    def extra_repr(self):
        return ""

    def __repr__(self):
        body = [f"Number of datapoints: {len(self)}"]
        if self.root is not None:
            body.append(f"Root location: {self.root}")
        body += self.extra_repr().splitlines()
        if getattr(self, "transforms", None) is not None:
            body += repr(self.transforms).splitlines()
        return "\n".join([f"Dataset {type(self).__name__}"]
                         + [" " * self._repr_indent + line for line in body])


class PILSamples:
    """Mixin for an array-backed image dataset (``data`` ``(N, H, W)`` or ``(N, H, W, C)`` uint8,
    ``targets``): ``dataset[i]`` hands ``transform`` a PIL image, as torchvision does (see the
    module docstring). Put it before the dataset class: ``class MNIST(PILSamples, MNIST)``."""

    arrays = None  # samples are not the raw rows: batches come from get_batch or one by one

    def image(self, i):
        """Image ``i`` as a PIL image ('L' or 'RGB'), or a uint8 Tensor ``(C, H, W)`` without
        Pillow."""
        raw = np.ascontiguousarray(_raw(self.data)[i])
        if pil_available():
            from PIL import Image

            return Image.fromarray(raw)
        return as_tensor(np.ascontiguousarray(raw[None] if raw.ndim == 2
                                              else raw.transpose(2, 0, 1)))

    def __getitem__(self, index):
        if isinstance(index, (slice, list, np.ndarray)):
            return self.get_batch(np.arange(len(self))[index] if isinstance(index, slice)
                                  else index)
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {n} samples")
        i %= n
        img = self.image(i)
        t = self.targets
        target = t[i] if isinstance(t, list) else int(_raw(t)[i])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def supports_get_batch(self):
        """Whether the DataLoader may build whole batches with ``get_batch`` (see above)."""
        return batched_pipeline(self.transform) is not None

    def get_batch(self, indices):
        """``(images, labels)`` for an index array: through the pipeline as a batch when it
        allows (``supports_get_batch``, ``ArrayDataset.get_batch``), else image by image."""
        if batched_pipeline(self.transform) is not None:
            return super().get_batch(indices)
        idx = np.asarray(indices, dtype=np.int64)
        x = np.stack([_raw(self[int(i)][0]) for i in idx])
        return x, self._batch_targets(idx)
