"""``glassnet.utils.data.dataset``: the dataset classes (PyTorch's module path)."""

from glassnet.utils.data import (  # noqa: F401
    ChainDataset,
    ConcatDataset,
    Dataset,
    IterableDataset,
    StackDataset,
    Subset,
    TensorDataset,
    random_split,
)
