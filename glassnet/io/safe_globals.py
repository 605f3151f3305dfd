"""Which classes and functions ``glassnet.load`` may rebuild: PyTorch's ``weights_only`` rules.

A file written by ``glassnet.save`` names the classes of the objects in it (``__main__.Net``,
``glassnet.nn.modules.linear.Linear``) and the functions stored as values (``self.act =
F.relu``). Loading never unpickles, but it does find those names and rebuild instances of them,
and a model calls what it holds; so, as ``torch.load`` does since PyTorch 2.6, loading rebuilds
only what is known to be harmless unless told otherwise:

* ``weights_only=True`` (the default): the containers and values of the format itself (dicts,
  lists, tensors, NumPy arrays and scalars, dtypes, devices...), glassnet's own classes, and
  glassnet's functions outside the modules that touch files, processes or the network
  (``_NO_FUNCTIONS``), plus whatever the caller allowed with ``add_safe_globals`` or
  ``safe_globals``. Anything else raises ``WeightsOnlyError``, naming it and how to allow it.
  A name is checked before anything is imported, and an allowed glassnet name must be the
  class or function defined under that name (not something a glassnet module imported).
* ``weights_only=False``: any class or function that can be imported by its name, as
  ``torch.load(weights_only=False)`` does. Only for files from a source you trust.

``add_safe_globals``, ``get_safe_globals``, ``clear_safe_globals`` and the ``safe_globals``
context manager are PyTorch's, with the same arguments (an object, or an ``(object, name)`` pair
for an object saved under another name). The allowed names are global to the process.
"""

from __future__ import annotations

import importlib
import pickle
from collections import Counter, OrderedDict, defaultdict

import numpy as np

from glassnet.io.tensor_file import CheckpointError

__all__ = ["WeightsOnlyError", "add_safe_globals", "clear_safe_globals", "get_safe_globals",
           "is_allowed", "resolve", "safe_globals"]

# glassnet's modules whose functions write files, start processes or reach the network: a file
# cannot plant one of them where a model will call it, unless allowed by name.
_NO_FUNCTIONS = ("glassnet.io", "glassnet.serialization", "glassnet.cli", "glassnet.distributed",
                 "glassnet.lab", "glassnet.viz", "glassnet.train", "glassnet.data")

# Builtin classes a file may name (a defaultdict's factory, a class kept as a value).
_BUILTINS = {f"{c.__module__}.{c.__qualname__}": c for c in (
    dict, list, tuple, set, frozenset, int, float, bool, str, bytes, bytearray, complex,
    slice, range, Counter, OrderedDict, defaultdict)}

_allowed: dict[str, object] = {}  # "module.qualname" -> the object; what add_safe_globals added
_added: list = []                 # what was passed, as get_safe_globals returns it


class WeightsOnlyError(CheckpointError, pickle.UnpicklingError):
    """A file names a class or function that ``weights_only`` loading does not rebuild.

    A ``pickle.UnpicklingError`` (``_pickle.UnpicklingError``), the type ``torch.load`` raises
    for this, and a ``CheckpointError``, like every other file glassnet refuses."""


def _key(item) -> tuple[str, object]:
    if isinstance(item, tuple):
        if len(item) != 2 or not isinstance(item[1], str):
            raise TypeError("add_safe_globals: a tuple entry must be (object, 'module.name'), "
                            f"got {item!r}")
        return item[1], item[0]
    module, qualname = getattr(item, "__module__", None), getattr(item, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        raise TypeError(f"add_safe_globals: expected classes or functions, got {item!r} (a "
                        f"{type(item).__name__}, which has no module and name to be found by)")
    return f"{module}.{qualname}", item


def add_safe_globals(safe_globals: list) -> None:
    """Allow ``weights_only`` loading to rebuild these classes and functions: a list of
    objects, or of ``(object, "module.qualname")`` pairs for an object saved under another
    name (``torch.serialization.add_safe_globals``)."""
    if not isinstance(safe_globals, (list, tuple, set)):
        raise TypeError("add_safe_globals: expected a list of classes or functions, got "
                        f"{type(safe_globals).__name__}")
    for item in safe_globals:
        key, obj = _key(item)
        _allowed[key] = obj
        _added.append(item)


def get_safe_globals() -> list:
    """What ``add_safe_globals`` allowed, in order (glassnet's own classes are allowed without
    being listed)."""
    return list(_added)


def clear_safe_globals() -> None:
    """Forget every class and function ``add_safe_globals`` allowed."""
    _allowed.clear()
    _added.clear()


class safe_globals:
    """``with safe_globals([Net]):`` allows ``Net`` for the loads inside the block only."""

    def __init__(self, safe_globals: list):
        self.safe_globals = safe_globals

    def __enter__(self):
        self._saved = (dict(_allowed), list(_added))
        add_safe_globals(self.safe_globals)
        return self

    def __exit__(self, *exc):
        _allowed.clear()
        _allowed.update(self._saved[0])
        _added[:] = self._saved[1]
        return False


def _numpy_scalar_type(module, qualname):
    obj = getattr(np, qualname, None) if module == "numpy" and "." not in qualname else None
    return obj if isinstance(obj, type) and issubclass(obj, np.generic) else None


def _glassnet_own(module, qualname):
    """The class or function ``module.qualname`` defined in glassnet, or None."""
    if module != "glassnet" and not module.startswith("glassnet."):
        return None
    try:
        obj = _import(module, qualname)
    except CheckpointError:
        return None
    if not isinstance(obj, type) and (not callable(obj) or module.startswith(_NO_FUNCTIONS)):
        return None
    if getattr(obj, "__module__", None) != module or getattr(obj, "__qualname__", None) != qualname:
        return None
    return obj


def _import(module, qualname):
    try:
        obj = importlib.import_module(module)
    except ImportError as exc:
        raise CheckpointError(f"the file holds a {module}.{qualname}, but its module {module!r} "
                              f"cannot be imported here: {exc}") from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise CheckpointError(
                f"the file holds a {module}.{qualname}, but module {module!r} has no "
                f"{qualname!r}: define or import it before loading (the class must be "
                "reachable under the name it had when saved)") from None
    return obj


def is_allowed(module: str, qualname: str) -> bool:
    """Whether ``weights_only`` loading rebuilds ``module.qualname``."""
    key = f"{module}.{qualname}"
    return (key in _allowed or key in _BUILTINS or _numpy_scalar_type(module, qualname) is not None
            or _glassnet_own(module, qualname) is not None)


def resolve(module: str, qualname: str, weights_only: bool = True):
    """The class or function a file names, if the rules allow it; else ``WeightsOnlyError``.

    With ``weights_only=False`` anything importable is found (``CheckpointError`` when it is
    not)."""
    key = f"{module}.{qualname}"
    for found in (_allowed.get(key), _BUILTINS.get(key), _numpy_scalar_type(module, qualname),
                  _glassnet_own(module, qualname)):
        if found is not None:
            return found
    if not weights_only:
        return _import(module, qualname)
    raise WeightsOnlyError(
        f"Weights only load failed: the file holds a {key}, which glassnet does not rebuild by "
        f"default (Unsupported global: GLOBAL {key}). If you trust the file's source, either "
        f"allow it: glassnet.serialization.add_safe_globals([{key}]), or the "
        f"glassnet.serialization.safe_globals([{key}]) context manager (the same functions as "
        "torch.serialization's); or load with weights_only=False, which rebuilds any class the "
        "file names. Nothing is unpickled either way: classes are found by name and their "
        "objects rebuilt from the saved attributes")
