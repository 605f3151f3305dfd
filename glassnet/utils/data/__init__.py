"""``glassnet.utils.data``: datasets, samplers and the DataLoader under PyTorch's names.

    from glassnet.utils.data import DataLoader, Dataset, TensorDataset, random_split

    class Squares(Dataset):
        def __len__(self):
            return 100

        def __getitem__(self, i):
            return glassnet.tensor([float(i)]), i * i % 3   # (tensor, int label)

    for x, y in DataLoader(Squares(), batch_size=32, shuffle=True):
        ...   # x: Tensor (32, 1) float32, y: Tensor (32,) int64

Everything comes from ``glassnet.data``; this package adds streams (``IterableDataset``) to the
DataLoader and ``get_worker_info``. Batches are built in the main process: ``num_workers > 0``
prefetches in a background thread and gives the same batches as ``num_workers=0``.
"""

from __future__ import annotations

from glassnet.data import dataset as _dataset_mod
from glassnet.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    Subset,
    TensorDataset,
    random_split,
)
from glassnet.data.loader import DataLoader as _DataLoader
from glassnet.data.loader import default_collate
from glassnet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

# --- distributed (distributed.py): each process's share of the dataset ---
from glassnet.utils.data.distributed import DistributedSampler  # noqa: E402
# --- end distributed ---


def get_worker_info():
    """Information about the current loader worker process: None, since glassnet builds every
    batch in the main process (so code that shards data per worker takes its single-process
    path)."""
    return


def default_convert(data):
    """Turn NumPy arrays (inside lists, tuples and dicts) into Tensors, leaving the rest."""
    import numpy as np

    from glassnet.tensor import Tensor

    if isinstance(data, np.ndarray) and data.dtype.kind in "biuf":
        return Tensor(data)
    if isinstance(data, dict):
        return {k: default_convert(v) for k, v in data.items()}
    if isinstance(data, tuple) and hasattr(data, "_fields"):
        return type(data)(*(default_convert(v) for v in data))
    if isinstance(data, (list, tuple)):
        return type(data)(default_convert(v) for v in data)
    return data


class DataLoader(_DataLoader):
    """``glassnet.data.DataLoader``, which also batches an ``IterableDataset`` stream in order.

    See ``glassnet.data.DataLoader`` for the arguments. PyTorch's ``shuffle=None`` means no
    shuffling; ``pin_memory``, ``persistent_workers``, ``timeout``, ``worker_init_fn`` and
    ``prefetch_factor`` are accepted (batches are built in this process).
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, **kwargs):
        self._stream = isinstance(dataset, IterableDataset)
        if self._stream:
            if shuffle or sampler is not None or batch_sampler is not None:
                raise ValueError("DataLoader: an IterableDataset cannot be shuffled or used with "
                                 "a sampler or batch_sampler (it has no indices)")
            if batch_size is not None and (int(batch_size) != batch_size or batch_size <= 0):
                raise ValueError(f"DataLoader: batch_size must be a positive integer or None, "
                                 f"got {batch_size!r}")
            self.dataset = dataset
            self.batch_size = None if batch_size is None else int(batch_size)
            self.drop_last = bool(drop_last)
            self.collate_fn = collate_fn
            self.num_workers = int(num_workers)
            self.as_numpy = bool(kwargs.get("as_numpy", False))
            self.sampler = self.batch_sampler = None
            return
        super().__init__(dataset, batch_size=batch_size, shuffle=bool(shuffle), sampler=sampler,
                         batch_sampler=batch_sampler, num_workers=num_workers,
                         collate_fn=collate_fn, pin_memory=pin_memory, drop_last=drop_last,
                         **kwargs)

    def __iter__(self):
        if not self._stream:
            return super().__iter__()
        return self._iter_stream()

    def _iter_stream(self):
        collate = self.collate_fn or (lambda b: default_collate(b, self.as_numpy))
        if self.batch_size is None:  # batching disabled: each sample converted on its own
            for sample in self.dataset:
                yield self.collate_fn(sample) if self.collate_fn else default_convert(sample)
            return
        batch = []
        for sample in self.dataset:
            batch.append(sample)
            if len(batch) == self.batch_size:
                yield collate(batch)
                batch = []
        if batch and not self.drop_last:
            yield collate(batch)

    def __len__(self):
        if not self._stream:
            return super().__len__()
        n = len(self.dataset)  # TypeError when the stream has no length, as in PyTorch
        if self.batch_size is None:
            return n
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


_ = _dataset_mod

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info",
           "random_split"]
