"""``glassnet.utils``: PyTorch's ``torch.utils`` names; ``glassnet.utils.data`` holds the
datasets, samplers and the DataLoader."""

from glassnet.utils import data

__all__ = ["data"]
