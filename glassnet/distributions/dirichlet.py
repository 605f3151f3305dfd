"""``Dirichlet`` where PyTorch keeps it (``torch.distributions.dirichlet``)."""

from .gamma import Dirichlet

__all__ = ["Dirichlet"]
