"""Data: datasets, mini-batch loading and augmentation.

    from glassnet.data import DataLoader, TensorDataset, transforms, datasets

    train = datasets.FashionMNIST(train=True, transform=transforms.RandomCrop(28, padding=2))
    loader = DataLoader(train, batch_size=64, shuffle=True)
    for x, y in loader:          # x: Tensor (64, 1, 28, 28) float32, y: Tensor (64,) int64
        ...

NumPy arrays are the working currency inside this package; Tensors appear only at the
DataLoader's output. ``glassnet.utils.data`` gives these same objects under PyTorch's module path.
"""

from glassnet.data import augment, datasets, transforms, warp
from glassnet.data.dataset import (
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    batch_getter,
    random_split,
)
from glassnet.data.distributed import DistributedSampler
from glassnet.data.loader import (
    DataLoader,
    convert_batch,
    default_collate,
    default_convert,
    get_worker_info,
)
from glassnet.data.sampler import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)

__all__ = [
    "BatchSampler",
    "ChainDataset",
    "ConcatDataset",
    "DataLoader",
    "Dataset",
    "DistributedSampler",
    "IterableDataset",
    "RandomSampler",
    "Sampler",
    "SequentialSampler",
    "StackDataset",
    "Subset",
    "SubsetRandomSampler",
    "TensorDataset",
    "WeightedRandomSampler",
    "augment",
    "batch_getter",
    "convert_batch",
    "datasets",
    "default_collate",
    "default_convert",
    "get_worker_info",
    "random_split",
    "transforms",
    "warp",
]
