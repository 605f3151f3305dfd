"""``Beta`` where PyTorch keeps it (``torch.distributions.beta``)."""

from .gamma import Beta

__all__ = ["Beta"]
