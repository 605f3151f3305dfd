"""Memory formats (``torch.nn.utils.memory_format``): glassnet arrays have one layout, so the
conversions return the module unchanged."""

from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """Return ``module`` unchanged: glassnet arrays have one (row-major) layout, so there is no
    channels-last conversion to make. Accepted so that PyTorch code runs."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Return ``module`` unchanged (see :func:`convert_conv2d_weight_memory_format`)."""
    return module
