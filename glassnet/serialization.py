"""``glassnet.save`` / ``glassnet.load``: ``torch.save`` and ``torch.load`` without pickle.

What people save: a ``state_dict``, or a checkpoint dict such as ``{'epoch': 3,
'model_state_dict': model.state_dict(), 'optimizer_state_dict': opt.state_dict(),
'loss': 0.12}``: nested dicts, lists and tuples of tensors, numbers, strings, bools and None.
``save`` splits the object with ``glassnet.io.flatten_state`` into its arrays, stored as a
safetensors file (NumPy ``.npz`` when the safetensors package is missing), and a JSON skeleton
kept in that file's header. One file, written atomically (``glassnet.io.atomic``).

``load`` rebuilds the object exactly: int dict keys stay ints, tuples stay tuples, floats keep
NaN and infinities, NumPy scalars their dtype; every tensor comes back as a plain Tensor (a
Parameter too, as in a PyTorch state dict) with its dtype and ``requires_grad=False``.
Anything else (a class instance, a function) is refused at save time with an error naming it
and where it sits: nothing is ever pickled, so loading a file cannot run code.

Every file is sealed with a SHA-256 over its header and data, which ``load`` verifies (the
rules, and what happens to files from before the seal: ``glassnet.io.tensor_file``). Whatever
``load`` rejects (a truncated or damaged file, a checksum mismatch, a PyTorch ``.pt`` pickle,
which it names and says how to convert) raises ``CheckpointError``, a ``RuntimeError``, with a
message naming the file; a missing path raises ``FileNotFoundError`` as ``torch.load`` does.
"""

from __future__ import annotations

import json
import os

from . import backend
from .io.atomic import atomic_write_bytes
from .io.checkpoint import weights_of
from .io.state import flatten_state, unflatten_state
from .io.tensor_file import CheckpointError, decode, encode
from .tensor import Tensor

_KEY = "glassnet_object"
FORMAT_VERSION = 1


def save(obj, f, pickle_module=None, pickle_protocol=None, _use_new_zipfile_serialization=True):
    """Save ``obj`` to ``f`` (a path or a writable binary file object such as ``io.BytesIO``).

    ``pickle_module``/``pickle_protocol`` are accepted for compatibility and ignored.
    """
    try:
        skeleton, arrays = flatten_state(obj, "obj")
    except TypeError as exc:
        raise TypeError(f"save: {str(exc).replace('flatten_state: ', '')}") from None
    if _count_arrays(skeleton) != len(arrays):
        raise ValueError("save: two entries of the object map to the same storage name (a key "
                         "containing '/' that repeats a nested path); rename the key")
    meta = {_KEY: json.dumps({"version": FORMAT_VERSION, "object": skeleton})}
    data, _fmt = encode(arrays, meta)
    if isinstance(f, (str, os.PathLike)):
        atomic_write_bytes(f, data)
    elif hasattr(f, "write"):
        f.write(data)
    else:
        raise TypeError(f"save: f must be a path or a binary file object, got {type(f).__name__}")


def load(f, map_location=None, pickle_module=None, *, weights_only=None, mmap=None,
         **pickle_load_args):
    """Load an object saved by ``glassnet.save`` (or any glassnet weights file).

    ``f``: a path or a readable binary file object. ``map_location``: a device (``'cpu'``,
    ``'cuda:0'``, ``glassnet.device(...)``), a ``{from: to}`` dict, or a function of
    ``(tensor, location)``; tensors are moved there. ``weights_only`` is accepted: these files
    can only ever hold data, so loading is always safe.
    """
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
    try:
        if _KEY in meta:
            obj = unflatten_state(json.loads(meta[_KEY])["object"], arrays)
        else:  # a file written by glassnet.io.save / save_checkpoint: its weights
            obj = weights_of(arrays, meta)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
        raise CheckpointError(f"load: {name}: the object description does not match the file's "
                              f"arrays (corrupt file?): {type(exc).__name__}: {exc}") from None
    if map_location is not None:
        obj = _map(obj, map_location)
    return obj


def _count_arrays(skel):
    if isinstance(skel, list):
        return sum(_count_arrays(v) for v in skel)
    if isinstance(skel, dict):
        if "__tensor__" in skel:
            return 1
        return sum(_count_arrays(v) for v in skel.values())
    return 0


def _map(obj, loc):
    def move(t):
        if callable(loc) and not isinstance(loc, (str, backend.Device)):
            out = loc(t, str(t.device))
            return out if isinstance(out, Tensor) else t
        target = loc
        if isinstance(loc, dict):
            target = loc.get(str(t.device), loc.get(t.device.type, None))
            if target is None:
                return t
        return t.to(backend.Device(target))

    def walk(x):
        if isinstance(x, Tensor):
            return move(x)
        if isinstance(x, dict):
            return {k: walk(v) for k, v in x.items()}
        if isinstance(x, list):
            return [walk(v) for v in x]
        if isinstance(x, tuple):
            return tuple(walk(v) for v in x)
        return x

    return walk(obj)


__all__ = ["load", "save"]
