"""``torch.signal``: window functions for spectral analysis (``glassnet.signal.windows``)."""

from . import windows

__all__ = ["windows"]
