"""NumPy's argument names where PyTorch accepts them: ``axis=`` for ``dim=`` and ``keepdims=``
for ``keepdim=`` (``x.sum(axis=0)``, ``torch.mean(x, axis=1, keepdims=True)``,
``torch.cat(ts, axis=1)``), as PyTorch's argument parser does for its built-in operators."""

from __future__ import annotations

import functools
import inspect

_ALIASES = {"axis": "dim", "keepdims": "keepdim"}


def numpy_names(fn):
    """Wrap ``fn`` (which has ``dim`` and/or ``keepdim`` parameters) to accept the NumPy names."""
    params = inspect.signature(fn).parameters
    names = {a: d for a, d in _ALIASES.items() if d in params and a not in params}
    if not names:
        return fn

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if kwargs:
            for alias, name in names.items():
                if alias in kwargs:
                    if name in kwargs:
                        raise TypeError(f"{fn.__name__}(): got both '{name}' and its alias "
                                        f"'{alias}'")
                    kwargs[name] = kwargs.pop(alias)
        return fn(*args, **kwargs)

    return wrapper


def patch_methods(cls) -> None:
    """Give every public method of ``cls`` (and its bases) with a ``dim``/``keepdim``
    parameter the NumPy spellings, set on ``cls`` itself."""
    seen = set()
    for base in cls.__mro__:
        for name, fn in vars(base).items():
            if name.startswith("_") or name in seen or not inspect.isfunction(fn):
                continue
            seen.add(name)
            try:
                wrapped = numpy_names(fn)
            except (TypeError, ValueError):  # no introspectable signature
                continue
            if wrapped is not fn:
                setattr(cls, name, wrapped)
