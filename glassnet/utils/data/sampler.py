"""``glassnet.utils.data.sampler``: the samplers (PyTorch's module path)."""

from glassnet.utils.data import (  # noqa: F401
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)
