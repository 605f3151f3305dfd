"""``OneHotCategorical`` where PyTorch keeps it (``torch.distributions.one_hot_categorical``)."""

from .categorical import OneHotCategorical

__all__ = ["OneHotCategorical"]
