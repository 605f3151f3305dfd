"""``glassnet.save`` / ``glassnet.load``: ``torch.save`` and ``torch.load`` without pickle.

``save`` writes any object made of tensors, modules (glassnet's layers and your own
``nn.Module`` subclasses), optimisers, containers (dict, OrderedDict, defaultdict, list, tuple,
set, namedtuple), numbers, strings, bytes, None, NumPy arrays and scalars, dtypes, devices and
``glassnet.Size``: a state dict, a checkpoint dict, or a whole model as ``torch.save(model,
path)`` writes it. The tensors go to a safetensors file (NumPy ``.npz`` when the safetensors
package is missing) and the rest, described by ``glassnet.io.object_graph`` (classes by module
and name, attributes, shared references kept shared), to JSON in that file's header. One file,
written atomically (``glassnet.io.atomic``) and sealed with a SHA-256 (``glassnet.io.tensor_file``).

``load`` rebuilds the object: a tensor comes back with its dtype, ``requires_grad`` and class
(a ``Parameter`` stays a Parameter), tied weights stay tied, int dict keys stay ints, tuples
tuples. As in PyTorch 2.6 and later, ``weights_only=True`` is the default: it rebuilds glassnet's
own classes and the containers above, and any other class only when allowed with
``add_safe_globals([MyNet])``, ``with safe_globals([MyNet]):`` or ``weights_only=False``
(``glassnet.io.safe_globals``); otherwise ``WeightsOnlyError`` (a ``pickle.UnpicklingError``,
what ``torch.load`` raises) names the class and how to allow it. Nothing is ever unpickled:
classes are found by name and their objects rebuilt with ``cls.__new__`` and the saved
attributes.

Files written before whole objects could be saved (format version 1: nested containers of
tensors) and weight files from ``glassnet.io.save`` load as before. Whatever ``load`` rejects (a
truncated or damaged file, a checksum mismatch, a PyTorch ``.pt`` pickle, which it names and
says how to convert) raises ``CheckpointError``, a ``RuntimeError``, with a message naming the
file; a missing path raises ``FileNotFoundError`` as ``torch.load`` does.
"""

from __future__ import annotations

import json
import os

from . import backend
from .io.atomic import atomic_write_bytes
from .io.checkpoint import weights_of
from .io.object_graph import Decoder, encode, globals_in
from .io.safe_globals import (
    WeightsOnlyError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    is_allowed,
    resolve,
    safe_globals,
)
from .io.state import unflatten_state
from .io.tensor_file import CheckpointError, decode
from .io.tensor_file import encode as encode_tensors
from .tensor import Tensor

_KEY = "glassnet_object"
FORMAT_VERSION = 2  # 1: nested containers of tensors (glassnet.io.state); 2: object graphs


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` to ``f`` (a path or a writable binary file object such as ``io.BytesIO``).

    ``obj`` may be a tensor, a state dict, a checkpoint dict, a whole ``nn.Module`` or an
    optimiser: anything made of the types listed in ``glassnet.serialization``'s docstring and
    instances of classes defined at the top level of a module. Something else (a lambda, an
    open file, a NumPy generator) raises ``TypeError`` naming it and where it sits.
    ``pickle_module``/``pickle_protocol`` are accepted for compatibility and ignored.
    """
    try:
        graph, arrays = encode(obj, "obj")
    except TypeError as exc:
        raise TypeError(f"save: {exc}") from None
    except RecursionError:
        raise ValueError("save: the object is nested too deeply to describe (over Python's "
                         "recursion limit)") from None
    meta = {_KEY: json.dumps({"version": FORMAT_VERSION, "object": graph}, allow_nan=False)}
    data, _fmt = encode_tensors(arrays, meta)
    if isinstance(f, (str, os.PathLike)):
        atomic_write_bytes(f, data)
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")


def _read(f) -> tuple[str, dict, dict]:
    """(name, arrays, metadata) of a file, its checksum verified."""
    if isinstance(f, (str, os.PathLike)):
        name = os.fspath(f)
        try:
            with open(name, "rb") as fh:
                data = fh.read()
        except FileNotFoundError:
            raise FileNotFoundError(f"load: no such file: {name!r}") from None
    elif hasattr(f, "read"):
        name = getattr(f, "name", None) or f"<{type(f).__name__}>"
        data = f.read()
    else:
        raise TypeError(f"load: f must be a path or a binary file object, got {type(f).__name__}")
    if isinstance(data, str):
        raise TypeError(f"load: {name} was opened in text mode; open it with 'rb'")
    try:
        arrays, meta, _ = decode(str(name), bytes(data))
    except CheckpointError as exc:
        raise CheckpointError(f"load: {exc}") from None
    return str(name), arrays, meta


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load what ``glassnet.save`` wrote (or any glassnet weights file).

    ``f``: a path or a readable binary file object. ``map_location``: where tensors go: a
    device (``'cpu'``, ``'cuda:0'``, ``glassnet.device(...)``), a ``{saved: target}`` dict of
    device names, or a function ``(tensor, saved_device) -> tensor or None``; by default each
    tensor goes back to the device it was saved from. ``weights_only`` (default True, as in
    PyTorch 2.6+): rebuild only glassnet's classes and those allowed with
    ``add_safe_globals``/``safe_globals``; ``False`` rebuilds any importable class (only for
    files you trust). ``mmap`` is accepted and ignored.
    """
    name, arrays, meta = _read(f)
    weights_only = True if weights_only is None else bool(weights_only)
    place = _placer(map_location, name)
    try:
        if _KEY not in meta:  # a file written by glassnet.io.save / save_checkpoint: its weights
            return _map(weights_of(arrays, meta), place)
        doc = json.loads(meta[_KEY])
        version = doc["version"]
        if version == 1:
            return _map(unflatten_state(doc["object"], arrays), place)
        if version != FORMAT_VERSION:
            raise CheckpointError(f"load: {name}: object format version {version!r}; this "
                                  f"glassnet reads versions 1 and {FORMAT_VERSION} (a file from a "
                                  "newer glassnet?)")
        return Decoder(arrays, lambda m, q: resolve(m, q, weights_only), place).load(doc["object"])
    except CheckpointError as exc:
        if str(exc).startswith("load: "):
            raise
        raise type(exc)(f"load: {name}: {exc}") from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        raise CheckpointError(f"load: {name}: the object description does not match the file's "
                              f"arrays (corrupt file?): {type(exc).__name__}: {exc}") from None


def get_unsafe_globals_in_checkpoint(f) -> list[str]:
    """The ``"module.qualname"`` of every class and function in the file that ``weights_only``
    loading would refuse now: what to pass to ``add_safe_globals`` for a file you trust."""
    name, _arrays, meta = _read(f)
    if _KEY not in meta:
        return []
    try:
        doc = json.loads(meta[_KEY])
        graph = doc["object"] if doc["version"] == FORMAT_VERSION else None
    except (KeyError, TypeError, ValueError, RecursionError) as exc:
        raise CheckpointError(f"load: {name}: the object description is malformed (corrupt "
                              f"file?): {type(exc).__name__}: {exc}") from None
    return [f"{m}.{q}" for m, q in globals_in(graph) if not is_allowed(m, q)]


def _placer(loc, name):
    """``place(array, saved_device) -> array``: the array on the device ``map_location`` says."""

    def place(array, saved):
        target = saved
        if callable(loc) and not isinstance(loc, (str, backend.Device)):
            out = loc(Tensor._make(array, False), saved)
            if isinstance(out, Tensor):
                return out._data
        elif isinstance(loc, dict):
            target = loc.get(saved, loc.get(saved.partition(":")[0], saved))
        elif loc is not None:
            target = loc
        target = backend.Device(target)
        if backend.device_of(array) == target:
            return array
        try:
            return backend.to_device(array, target)
        except RuntimeError as exc:
            raise RuntimeError(f"load: {name}: a tensor saved on {saved} cannot go to {target} "
                               f"here ({exc}); on a machine without it, pass "
                               "map_location='cpu' (or glassnet.device('cpu'))") from None

    return place


def _map(obj, place):
    """Tensors of a file from before object graphs (all on the CPU) put where ``place`` says."""

    def walk(x):
        if isinstance(x, Tensor):
            return Tensor._make(place(x._data, "cpu"), x.requires_grad)
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, tuple):
            return tuple(walk(v) for v in x)
        return x

    return walk(obj)


__all__ = ["CheckpointError", "WeightsOnlyError", "add_safe_globals", "clear_safe_globals",
           "get_safe_globals", "get_unsafe_globals_in_checkpoint", "load", "safe_globals",
           "save"]
