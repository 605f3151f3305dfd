"""``ArrayDataset``: the common shape of every built-in dataset.

The whole dataset sits in memory as two arrays: ``data`` (raw, e.g. uint8 pixels
``(N, 28, 28)``) and ``targets`` (int64 class labels ``(N,)``). A sample is produced by
converting raw values to float32 network inputs (pixels ``/ 255`` -> ``(C, H, W)`` in
[0, 1]) and then running ``transform``. ``get_batch(indices)`` does the same for a whole
mini-batch with one fancy index and one transform call, which is what the DataLoader uses.

A pipeline that begins with a conversion from stored images (``ToTensor()``, v2's ``ToImage()``)
gets what torchvision's datasets would hand it: the stored uint8 image, ``(H, W)`` or
``(H, W, C)``, rather than the float32 input. ``batched_pipeline`` says when such a pipeline can
run on a whole batch at once (the conversion, then only transforms that take batches); the
batch is then converted exactly as one image would be.
"""

from __future__ import annotations

import numpy as np

from glassnet.data.dataset import Dataset, _raw, apply_transform


def batched_pipeline(transform):
    """``(convert, rest)`` when ``transform`` is a conversion from stored images (it has
    ``from_hwc_batch``: ``ToTensor``, ``ToImage``) or a ``Compose`` that begins with one and
    continues with transforms that take whole batches; else None."""
    if hasattr(transform, "from_hwc_batch"):
        return transform, None
    steps = getattr(transform, "transforms", None)
    if not getattr(transform, "sequential", False) or not steps \
            or not hasattr(steps[0], "from_hwc_batch"):
        return None
    rest = steps[1:]
    if not all(getattr(t, "supports_batch", False) for t in rest):
        return None
    return steps[0], (type(transform)(rest) if rest else None)


def converts_first(transform):
    """Whether ``transform`` begins with a conversion from stored images (see the module
    docstring)."""
    steps = getattr(transform, "transforms", None) if getattr(transform, "sequential", False) \
        else None
    return hasattr(steps[0] if steps else transform, "from_hwc_batch")


class ArrayDataset(Dataset):
    """In-memory dataset of ``data`` and integer ``targets`` with batched, transformed access.

    Subclasses set ``classes`` and may override ``inputs(indices)`` (raw -> float32 batch).
    The default ``inputs`` reads ``data`` as images: integer pixels are scaled by
    ``1 / pixel_max``; ``(N, H, W)`` gets a channel axis, ``(N, H, W, C)`` becomes
    ``(N, C, H, W)``; float data is used as it is.

    Args:
        transform: applied to inputs; to whole batches when it ``supports_batch`` (every
            glassnet transform does), otherwise image by image. A pipeline that begins with
            ``ToTensor()`` receives the stored uint8 images (see the module docstring).
        target_transform: applied to labels (the label array when it ``supports_batch``).
    """

    classes: tuple = ()
    pixel_max = 255.0

    def __init__(self, data, targets, transform=None, target_transform=None):
        data, targets = np.asarray(data), np.asarray(targets)
        if data.shape[0] != targets.shape[0]:
            raise ValueError(
                f"{type(self).__name__}: {data.shape[0]} inputs but {targets.shape[0]} targets"
            )
        self.data = data
        self.targets = (
            targets.astype(np.int64, copy=False) if targets.dtype.kind in "iub" else targets
        )
        self.transform = transform
        self.target_transform = target_transform

    @property
    def arrays(self):
        """The raw ``(data, targets)`` arrays."""
        return (_raw(self.data), self._target_array())

    def _target_array(self, indices=None):
        """``targets`` (an array, a Tensor or a list) as an array, or its rows ``indices``."""
        t = self.targets
        if isinstance(t, list):
            return np.asarray(t if indices is None else [t[i] for i in indices])
        t = _raw(t)
        return t if indices is None else t[indices]

    @property
    def num_classes(self):
        return len(self.classes) if self.classes else int(self._target_array().max()) + 1

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __len__(self):
        return len(self.data)

    def inputs(self, indices):
        """Float32 network inputs for ``indices`` before ``transform``: ``(B, C, H, W)`` images."""
        x = _raw(self.data)[indices]
        if x.dtype.kind in "iub":
            x = x.astype(np.float32) * np.float32(1.0 / self.pixel_max)
        if x.ndim == 3:
            x = x[:, None]
        elif x.ndim == 4 and x.shape[-1] in (1, 3, 4) and x.shape[1] not in (1, 3, 4):
            x = np.ascontiguousarray(x.transpose(0, 3, 1, 2))
        return x

    def stored(self, indices):
        """The stored images of ``indices`` as ``(B, H, W, C)`` (a grayscale image gets C = 1)."""
        raw = _raw(self.data)[indices]
        return raw[..., None] if raw.ndim == 3 else raw

    def get_batch(self, indices):
        """``(inputs, labels)`` for an index array: ``(B, C, H, W)`` float32 and ``(B,)`` int64."""
        idx = np.asarray(indices, dtype=np.int64)
        plan = batched_pipeline(self.transform)
        if plan is not None:
            x = apply_transform(plan[1], plan[0].from_hwc_batch(self.stored(idx)))
        elif converts_first(self.transform):
            x = np.stack([_raw(self.transform(_raw(self.data)[i])) for i in idx])
        else:
            x = apply_transform(self.transform, self.inputs(idx))
        return x, self._batch_targets(idx)

    def _batch_targets(self, idx):
        """The labels of a batch, through ``target_transform``."""
        y = self._target_array(idx)
        if self.target_transform is not None:
            if getattr(self.target_transform, "supports_batch", False):
                y = self.target_transform(y)
            else:
                y = np.asarray([self.target_transform(int(v)) for v in y])
        return y

    def __getitem__(self, index):
        if isinstance(index, slice):
            index = np.arange(len(self))[index]
        if isinstance(index, (list, np.ndarray)):
            return self.get_batch(index)
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError(f"{type(self).__name__}: index {index} out of range for {n} samples")
        i %= n
        if converts_first(self.transform):
            x = self.transform(_raw(self.data)[i])
        else:
            x = self.inputs(np.array([i]))[0]
            if self.transform is not None:
                x = self.transform(x)
        y = self._target_array([i])[0]
        y = int(y) if y.dtype.kind in "iu" else y
        if self.target_transform is not None:
            y = self.target_transform(y)
        return x, y

    def __repr__(self):
        split = getattr(self, "train", None)
        s = "" if split is None else f", split={'train' if split else 'test'}"
        shape = tuple(self.inputs(np.array([0]))[0].shape) if len(self) else None
        return f"{type(self).__name__}(n={len(self)}{s}, input_shape={shape})"
