"""``glassnet.utils.data.distributed``: the DistributedSampler (PyTorch's module path)."""

from glassnet.data.distributed import DistributedSampler, torch_randperm

__all__ = ["DistributedSampler", "torch_randperm"]
