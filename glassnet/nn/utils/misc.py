"""Small compatibility helpers of ``torch.nn.utils``: memory formats and ``skip_init``."""

from __future__ import annotations

__all__ = ["convert_conv2d_weight_memory_format", "convert_conv3d_weight_memory_format",
           "skip_init"]


def convert_conv2d_weight_memory_format(module, memory_format):
    """Return ``module`` unchanged: glassnet arrays have one (row-major) layout, so there is no
    channels-last conversion to make. Accepted so that PyTorch code runs."""
    return module


def convert_conv3d_weight_memory_format(module, memory_format):
    """Return ``module`` unchanged (see :func:`convert_conv2d_weight_memory_format`)."""
    return module


def skip_init(module_cls, *args, **kwargs):
    """Construct ``module_cls(*args, **kwargs)``; PyTorch leaves the parameters uninitialised,
    glassnet initialises them as usual (the values are unspecified either way). The class must
    accept a ``device`` keyword, as in PyTorch."""
    from glassnet.nn.module import Module
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")  # noqa: TRY004
    if "device" not in module_cls.__init__.__code__.co_varnames:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
