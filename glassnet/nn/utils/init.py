"""``skip_init`` (``torch.nn.utils.init``): build a module without choosing its initial values."""

from __future__ import annotations

from glassnet.nn.modules.module import Module

__all__ = ["skip_init"]


def skip_init(module_cls, *args, **kwargs):
    """Construct ``module_cls(*args, **kwargs)``; PyTorch leaves the parameters uninitialised,
    glassnet initialises them as usual (the values are unspecified either way). The class must
    accept a ``device`` keyword, as in PyTorch."""
    if not issubclass(module_cls, Module):
        raise RuntimeError(f"Expected a Module; got {module_cls}")  # noqa: TRY004
    if "device" not in module_cls.__init__.__code__.co_varnames:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    return module_cls(*args, **kwargs)
