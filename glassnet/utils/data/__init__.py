"""``glassnet.utils.data``: ``glassnet.data`` under PyTorch's module path.

    from glassnet.utils.data import DataLoader, Dataset, TensorDataset, random_split

    class Squares(Dataset):
        def __len__(self):
            return 100

        def __getitem__(self, i):
            return glassnet.tensor([float(i)]), i * i % 3   # (tensor, int label)

    for x, y in DataLoader(Squares(), batch_size=32, shuffle=True):
        ...   # x: Tensor (32, 1) float32, y: Tensor (32,) int64

Every name here is the very object of ``glassnet.data`` (``glassnet.utils.data.DataLoader is
glassnet.data.DataLoader``): one DataLoader, which batches map-style datasets and
``IterableDataset`` streams alike. Batches are built in the main process: ``num_workers > 0``
prefetches in a background thread and gives the same batches as ``num_workers=0``.
"""

from glassnet.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
from glassnet.data.distributed import DistributedSampler
from glassnet.data.loader import DataLoader, default_collate, default_convert, get_worker_info
from glassnet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = ["BatchSampler", "ChainDataset", "ConcatDataset", "DataLoader", "Dataset",
           "DistributedSampler", "IterableDataset", "RandomSampler", "Sampler",
           "SequentialSampler", "StackDataset", "Subset", "SubsetRandomSampler", "TensorDataset",
           "WeightedRandomSampler", "default_collate", "default_convert", "get_worker_info",
           "random_split"]
