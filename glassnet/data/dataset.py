"""Datasets: an indexable collection of samples, with PyTorch's names.

A ``Dataset`` maps an index ``i`` in ``[0, len(dataset))`` to one sample, usually a tuple
``(input, target)`` of NumPy arrays. The DataLoader turns samples into mini-batches.

Array-backed datasets go further: they can hand over a whole mini-batch at once through
``get_batch(indices)``, which gathers every sample with one fancy index per array
(``images[indices]``, ``labels[indices]``) instead of a Python loop over samples. That one
vectorised gather is what makes an epoch over 60 000 images take well under a second.
``batch_getter(dataset)`` tells the DataLoader whether a dataset offers it.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from glassnet.backend import to_numpy
from glassnet.tensor import Tensor


class Dataset:
    """Base class: subclasses implement ``__getitem__(index)`` and ``__len__()``.

    A subclass may also implement ``get_batch(indices) -> tuple of arrays`` returning the
    stacked samples for an integer index array; the DataLoader then builds each mini-batch
    with vectorised NumPy instead of one ``__getitem__`` call per sample.
    ``dataset_a + dataset_b`` concatenates (a ``ConcatDataset``).
    """

    def __getitem__(self, index):
        raise NotImplementedError(
            f"{type(self).__name__}: subclasses of Dataset must implement __getitem__"
        )

    def __len__(self):
        raise NotImplementedError(
            f"{type(self).__name__}: subclasses of Dataset must implement __len__"
        )

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses implement ``__iter__`` (no indexing, maybe no length).

    The DataLoader batches the stream in order (``shuffle`` and samplers do not apply).
    ``a + b`` chains two streams.
    """

    def __iter__(self):
        raise NotImplementedError(
            f"{type(self).__name__}: subclasses of IterableDataset must implement __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate over it instead "
                        "of indexing it")

    __len__ = None  # a stream has no length unless a subclass defines one (len() -> TypeError)

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """The samples of several IterableDatasets, one stream after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _is_tensor(x) -> bool:
    return isinstance(x, Tensor)


def _raw(x):
    """The NumPy array behind a glassnet Tensor (no copy on the CPU), or ``np.asarray(x)``."""
    if isinstance(x, np.ndarray):
        return x
    if isinstance(x, Tensor):
        data = x._data
        return data if isinstance(data, np.ndarray) else to_numpy(data)
    return np.asarray(x)


def batch_getter(dataset):
    """A function ``indices -> batch`` gathering a whole mini-batch at once, or None.

    Returned when the dataset has a usable ``get_batch`` method (TensorDataset, the image
    datasets, Subset/ConcatDataset of those) or an ``arrays`` attribute (a tuple of arrays
    indexed along their first axis).
    """
    if getattr(dataset, "supports_get_batch", True) and callable(
        getattr(dataset, "get_batch", None)
    ):
        return dataset.get_batch
    arrays = getattr(dataset, "arrays", None)
    if (
        isinstance(arrays, (tuple, list))
        and arrays
        and all(isinstance(a, np.ndarray) for a in arrays)
    ):
        return lambda idx: tuple(a[idx] for a in arrays)
    return None


class TensorDataset(Dataset):
    """Samples are the rows of equally long arrays: ``dataset[i] = (a[i], b[i], ...)``.

    Accepts NumPy arrays or glassnet Tensors (kept as their arrays, no copy). As in PyTorch,
    ``dataset[i]`` returns a tuple of Tensors (rows sharing the dataset's memory; a label is a
    0-d tensor); the DataLoader instead calls ``get_batch(idx)``, which returns the arrays
    ``(a[idx], b[idx], ...)`` with one fancy index per array, with no per-sample work.

    Shape:
        each array: ``(N, *)`` with the same ``N``.
    """

    def __init__(self, *tensors):
        if not tensors:
            raise ValueError("TensorDataset: expected at least one array, got none")
        arrays = tuple(_raw(t) for t in tensors)
        n = arrays[0].shape[0] if arrays[0].ndim else None
        for k, a in enumerate(arrays):
            if a.ndim == 0 or a.shape[0] != n:
                shapes = [tuple(x.shape) for x in arrays]
                raise AssertionError(  # PyTorch's type for this mistake
                    f"TensorDataset: size mismatch between tensors; every array needs the same "
                    f"first dimension, array {k} has shape {tuple(a.shape)} (all shapes: {shapes})"
                )
        self.arrays = arrays

    @property
    def tensors(self):
        """The arrays as glassnet Tensors (PyTorch's attribute name); no copy."""
        return tuple(Tensor(a) for a in self.arrays)

    def __getitem__(self, index):
        n = self.arrays[0].shape[0]
        if isinstance(index, (int, np.integer)) and not -n <= index < n:
            raise IndexError(f"TensorDataset: index {index} is out of bounds for dimension 0 "
                             f"with size {n}")
        return tuple(Tensor._make(np.asarray(a[index]) if isinstance(a, np.ndarray) else a[index],
                                  False) for a in self.arrays)

    def get_batch(self, indices):
        indices = np.asarray(indices, dtype=np.int64)
        return tuple(a[indices] for a in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]


class Subset(Dataset):
    """The samples of ``dataset`` at ``indices``, in that order: ``subset[i] = dataset[indices[i]]``."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = indices  # kept as given (a list stays a list), as in PyTorch

    def _at(self, positions):
        return np.asarray([int(self.indices[int(i)]) for i in positions], dtype=np.int64)

    def __getitem__(self, index):
        if isinstance(index, (list, np.ndarray)):
            return [self.dataset[int(i)] for i in self._at(np.asarray(index).reshape(-1))]
        return self.dataset[int(self.indices[index])]

    @property
    def supports_get_batch(self):
        return batch_getter(self.dataset) is not None

    def get_batch(self, indices):
        get = batch_getter(self.dataset)
        if get is None:
            raise TypeError(
                f"Subset.get_batch: the wrapped {type(self.dataset).__name__} has no batched access"
            )
        return get(self._at(np.asarray(indices, dtype=np.int64).reshape(-1)))

    def __len__(self):
        return len(self.indices)


class StackDataset(Dataset):
    """Several datasets of one length side by side: ``StackDataset(a, b)[i] == (a[i], b[i])``,
    and ``StackDataset(image=a, text=b)[i] == {"image": a[i], "text": b[i]}`` (PyTorch's
    ``torch.utils.data.StackDataset``)."""

    def __init__(self, *args, **kwargs):
        if args and kwargs:
            raise ValueError("StackDataset: supported either ``tuple``- (via ``args``) or "
                             "``dict``- (via ``kwargs``) like input/output, but both types "
                             "are given.")
        parts = list(args) if args else list(kwargs.values())
        if not parts:
            raise ValueError("StackDataset: at least one dataset should be passed")
        self._length = len(parts[0])
        if any(len(d) != self._length for d in parts):
            raise ValueError(f"StackDataset: Size mismatch between datasets: lengths "
                             f"{[len(d) for d in parts]}")
        self.datasets = tuple(args) if args else dict(kwargs)

    def __getitem__(self, index):
        if isinstance(self.datasets, dict):
            return {k: d[index] for k, d in self.datasets.items()}
        return tuple(d[index] for d in self.datasets)

    def __getitems__(self, indices):
        return [self[i] for i in indices]

    def __len__(self):
        return self._length


class ConcatDataset(Dataset):
    """Several datasets one after another; index ``i`` falls in the first dataset whose
    cumulative length exceeds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: expected at least one dataset, got an empty list")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def _locate(self, index):
        n = len(self)
        if index < 0:
            if -index > n:
                raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
            index += n
        if index >= n:
            raise IndexError(f"ConcatDataset: index {index} out of range for length {n}")
        d = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[d - 1] if d else 0
        return d, index - start

    def __getitem__(self, index):
        d, local = self._locate(int(index))
        return self.datasets[d][local]

    @property
    def supports_get_batch(self):
        return all(batch_getter(d) is not None for d in self.datasets)

    def get_batch(self, indices):
        """Gather from each part with its own batched access, then put rows back in order."""
        idx = np.asarray(indices, dtype=np.int64).reshape(-1)
        ends = np.asarray(self.cumulative_sizes)
        which = np.searchsorted(ends, idx, side="right")
        starts = np.concatenate([[0], ends[:-1]])
        out = None
        for d in np.unique(which):
            rows = np.nonzero(which == d)[0]
            get = batch_getter(self.datasets[d])
            if get is None:
                raise TypeError(
                    f"ConcatDataset.get_batch: part {d} ({type(self.datasets[d]).__name__}) "
                    "has no batched access"
                )
            part = get(idx[rows] - starts[d])
            single = not isinstance(part, tuple)
            part = (part,) if single else part
            if out is None:
                out = [np.empty((len(idx),) + p.shape[1:], dtype=p.dtype) for p in part]
            for o, p in zip(out, part):
                o[rows] = p
        if out is None:
            return ()
        return out[0] if single else tuple(out)


def _resolve_lengths(lengths, n):
    """Fractions summing to 1 become counts; the remainder goes round-robin (PyTorch's rule)."""
    lengths = list(lengths)
    if all(float(x).is_integer() and x >= 0 for x in lengths):
        return [int(x) for x in lengths]
    if all(0 <= x <= 1 for x in lengths) and math.isclose(sum(lengths), 1.0):
        counts = [math.floor(n * f) for f in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    raise ValueError(
        f"random_split: lengths must be non-negative integers or fractions summing to 1, "
        f"got {lengths}"
    )


def random_split(dataset, lengths, generator=None):
    """Split ``dataset`` into non-overlapping random ``Subset`` s of the given lengths.

    ``lengths`` are counts summing to ``len(dataset)`` or fractions summing to 1
    (``random_split(ds, [0.8, 0.2])``): ``floor(n * f)`` each, the leftover samples handed
    out one at a time from the first split on. One permutation is drawn from ``generator``
    (glassnet's default generator if None), so a seed fixes the split.
    """
    from glassnet import backend

    n = len(dataset)
    counts = _resolve_lengths(lengths, n)
    if sum(counts) != n:
        raise ValueError(
            f"random_split: lengths {list(lengths)} sum to {sum(counts)} but the dataset "
            f"has {n} samples"
        )
    perm = backend.rng(generator).permutation(n)
    out, start = [], 0
    for c in counts:
        out.append(Subset(dataset, perm[start : start + c].tolist()))
        start += c
    return out


def apply_transform(transform, batch):
    """Apply ``transform`` to a batch: in one call when it ``supports_batch``, else image by image."""
    if transform is None:
        return batch
    if getattr(transform, "supports_batch", False):
        return transform(batch)
    return np.stack([np.asarray(_raw(transform(b))) for b in batch])
