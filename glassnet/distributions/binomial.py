"""``Binomial`` where PyTorch keeps it (``torch.distributions.binomial``)."""

from .poisson import Binomial

__all__ = ["Binomial"]
