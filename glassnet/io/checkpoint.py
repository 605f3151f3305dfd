"""Checkpoints: tensors in safetensors, everything else in JSON, every write atomic. No pickle.

A checkpoint is two files side by side::

    last.safetensors   every array: the model's weights under "model/<name>", the optimiser's
                       buffers under "optimizer/...", any arrays in the scheduler/extra state
    last.json          everything else, readable by a person: optimiser scalars and
                       param_groups, scheduler state, RNG states, epoch, step, loader position,
                       config; arrays appear as {"__tensor__": "<key in the tensor file>"}

The tensor file also carries the same JSON in its header metadata (key ``"glassnet"``), so it
is complete on its own, and it is the copy that loading uses; the sidecar is for people and
tools that read JSON. Both files carry checksums, verified on every load:

* the tensor file is sealed with a SHA-256 over its header and data (``glassnet.io.tensor_file``
  explains the seal and the rules for files without one);
* the sidecar records ``tensors_sha256``, the SHA-256 of the tensor file's bytes (what
  ``sha256sum last.safetensors`` prints), and ``sha256``, the SHA-256 of its own other entries
  written as canonical JSON (``json.dumps(..., sort_keys=True, separators=(",", ":"))``).

A damaged or edited file is a ``CheckpointError``, never a warning: a sidecar whose own checksum
fails, or whose content differs from the tensor file's copy, is refused ("lr": 0.1 turned into
0.9 does not silently change a resumed run). One case is not damage: a save interrupted
between its two atomic writes leaves the new tensor file beside the previous sidecar. When the
tensor file's seal verifies, that sidecar is merely stale: loading warns and uses the tensor
file. A sidecar without ``sha256`` is from an older glassnet; it must still match the tensor
file byte for byte (``tensors_sha256``) and in content.

Without the ``safetensors`` package (``pip install glassnet[weights]``) the tensor file is a
NumPy ``.npz`` archive instead (written with ``np.savez``, read with ``allow_pickle=False``),
whose entry ``__metadata__`` holds the metadata JSON as UTF-8 bytes (a uint8 array). Files are
recognised by their content, not their extension.

``save(state_dict, path)`` / ``load(path)`` are the ``torch.save``/``torch.load`` of weights:
one file, a dict of arrays.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings

from glassnet.io.atomic import atomic_write_bytes, atomic_write_json
from glassnet.io.state import _is_array, flatten_state, to_numpy, unflatten_state
from glassnet.io.tensor_file import CheckpointError, decode, encode, safetensors_available

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "save", "load",
           "write_tensors", "read_tensors", "checkpoint_paths", "safetensors_available"]

FORMAT = "glassnet-checkpoint"
FORMAT_VERSION = 1
# what a load can find wrong in the JSON that describes the state: the JSON itself is intact
# (checksummed) or from an unsealed file, but its structure is not what save wrote
_MALFORMED = (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError)


# ----------------------------------------------------------------------------- tensor files
def write_tensors(path, tensors: dict, metadata: dict | None = None) -> str:
    """Atomically write ``{name: array}`` (and ``{str: str}`` metadata) to one sealed tensor file.

    Returns the path written: ``path`` itself, or with the suffix ``.npz`` when the
    ``safetensors`` package is missing and ``path`` ends in ``.safetensors``.
    """
    return _write_tensors(path, tensors, metadata)[0]


def _write_tensors(path, tensors, metadata):
    """write_tensors, also returning the SHA-256 of the bytes written."""
    data, fmt = encode(tensors, metadata)
    path = os.fspath(path)
    if fmt == "npz" and path.endswith(".safetensors"):
        path = path[: -len(".safetensors")] + ".npz"
    atomic_write_bytes(path, data)
    return path, hashlib.sha256(data).hexdigest()


def _siblings(path) -> list:
    """``path`` and the names the other tensor format gives it (``x.safetensors``/``x.npz``)."""
    root, _ = os.path.splitext(path)
    out = [path]
    for alt in (root + ".safetensors", root + ".npz", path + ".safetensors", path + ".npz"):
        if alt not in out:
            out.append(alt)
    return out


def _resolve(path) -> str:
    """``path``, or its .npz / .safetensors sibling when only that exists (the fallback format)."""
    path = os.fspath(path)
    for p in _siblings(path):
        if os.path.isfile(p):
            return p
    if os.path.isdir(path):
        raise CheckpointError(f"{path!r} is a directory, not a checkpoint or weights file")
    raise CheckpointError(f"no such checkpoint or weights file: {path!r}")


def _read_bytes(path) -> tuple[str, bytes]:
    path = _resolve(path)
    with open(path, "rb") as f:
        return path, f.read()


def read_tensors(path) -> tuple[dict, dict]:
    """Read a tensor file (safetensors or .npz): ``({name: ndarray}, {str: str} metadata)``."""
    path, data = _read_bytes(path)
    return decode(path, data)[:2]


# ----------------------------------------------------------------------------- checkpoints
def checkpoint_paths(path) -> tuple[str, str]:
    """(tensor file, JSON sidecar) for a checkpoint path given with or without an extension."""
    path = os.fspath(path)
    root, ext = os.path.splitext(path)
    if ext in (".safetensors", ".npz", ".json"):
        return (root + ".safetensors" if ext == ".json" else path), root + ".json"
    return path + ".safetensors", path + ".json"


def _state_dict_of(obj, what):
    if obj is None:
        return None
    if isinstance(obj, dict):
        return obj
    if not hasattr(obj, "state_dict"):
        raise TypeError(f"save_checkpoint: {what} must have a state_dict() method or be a dict, "
                        f"got {type(obj).__name__}")
    return obj.state_dict()


def save_checkpoint(path, model=None, optimizer=None, scheduler=None, extra=None) -> str:
    """Save training state atomically; returns the tensor file's path.

    Args:
        path: ``dir/name.safetensors`` (or ``dir/name``); the sidecar is ``dir/name.json``.
        model: a Module (its ``state_dict()``) or a state dict.
        optimizer, scheduler: objects with ``state_dict()`` (or their state dicts).
        extra: any nested dict of numbers, strings, lists and arrays: epoch, step, RNG
            states, loader position, config, history.
    """
    tensor_path, json_path = checkpoint_paths(path)
    model_sd = _state_dict_of(model, "model")
    tensors, skeleton = {}, {"format": FORMAT, "version": FORMAT_VERSION}
    if model_sd is not None:
        keys = list(model_sd)
        for k in keys:
            tensors[f"model/{k}"] = to_numpy(model_sd[k])
        skeleton["model_keys"] = keys
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("extra", extra)):
        sd = obj if name == "extra" else _state_dict_of(obj, name)
        if sd is None:
            continue
        skel, arrays = flatten_state(sd, name)
        tensors.update(arrays)
        skeleton[name] = skel
    text = json.dumps(skeleton)
    tensor_path, digest = _write_tensors(tensor_path, tensors, {"format": FORMAT, "glassnet": text})
    sidecar = dict(skeleton, tensors_file=os.path.basename(tensor_path), tensors_sha256=digest)
    atomic_write_json(json_path, dict(sidecar, sha256=_json_sha256(sidecar)))
    return tensor_path


def _json_sha256(obj) -> str:
    """SHA-256 of ``obj`` as canonical JSON (sorted keys, no spaces): the sidecar's own seal."""
    return hashlib.sha256(_canonical(obj)).hexdigest()


def _canonical(obj) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _find_checkpoint(path) -> str:
    """The tensor file of the checkpoint at ``path`` (given with or without its extension)."""
    path = os.fspath(path)
    names = _siblings(checkpoint_paths(path)[0])
    for p in names:
        if os.path.isfile(p):
            return p
    if os.path.isfile(path):  # "x.pt": a name save_checkpoint would not write; read what is there
        return path
    if os.path.isdir(path):
        raise CheckpointError(f"{path!r} is a directory, not a checkpoint: give a tensor file such "
                              f"as {os.path.join(path, 'checkpoints', 'last.safetensors')!r} "
                              "(Trainer.resume also accepts a run folder)")
    raise CheckpointError(f"no checkpoint at {path!r}: there is no {names[0]!r} (nor "
                          f"{names[1]!r})")


def _checkpoint_skeleton(tensor_path, data, meta, sealed):
    """The checkpoint's JSON state from the tensor file, after checking its sidecar; None for a
    plain weights file."""
    text = meta.get("glassnet")
    if text is None:
        return None
    try:
        skeleton = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{tensor_path}: checkpoint metadata is not valid JSON (corrupt?): "
                              f"{exc}") from None
    if not isinstance(skeleton, dict):
        raise CheckpointError(f"{tensor_path}: checkpoint metadata is a JSON "
                              f"{type(skeleton).__name__}, not an object (corrupt?)")
    json_path = checkpoint_paths(tensor_path)[1]
    if os.path.exists(json_path):
        _check_sidecar(json_path, tensor_path, data, skeleton, sealed)
    return skeleton


def _check_sidecar(json_path, tensor_path, data, skeleton, sealed):
    """Refuse a damaged or edited sidecar; warn about a stale one (see the module docstring)."""
    try:
        with open(json_path, "rb") as f:
            sidecar = json.loads(f.read().decode("utf-8"))
    except (ValueError, RecursionError) as exc:
        raise CheckpointError(f"{json_path}: checkpoint sidecar is not valid JSON (truncated or "
                              f"corrupt?): {exc}") from None
    if not isinstance(sidecar, dict):
        raise CheckpointError(f"{json_path}: checkpoint sidecar is a JSON "
                              f"{type(sidecar).__name__}, not an object (corrupt?)")
    way_out = (f"; {tensor_path} holds the whole state and its own checksum verifies: delete "
               f"{json_path} to load it" if sealed else "")
    seal = sidecar.pop("sha256", None)
    if seal is not None and seal != _json_sha256(sidecar):
        raise CheckpointError(f"{json_path}: checksum mismatch: the sidecar was damaged or edited "
                              f"after it was written{way_out}")
    recorded = sidecar.pop("tensors_sha256", None)
    sidecar.pop("tensors_file", None)
    if recorded != hashlib.sha256(data).hexdigest():
        if sealed and seal is not None:  # both intact, from two different saves
            warnings.warn(f"{json_path} does not belong to {tensor_path} (a save was interrupted "
                          "between the two files?); using the state stored inside the tensor "
                          "file, whose checksum verifies", stacklevel=4)
            return
        raise CheckpointError(
            f"{json_path} does not match {tensor_path}: the tensor file's SHA-256 is not the one "
            "the sidecar recorded, and without checksums on both files (an older glassnet wrote "
            "one of them) damage cannot be told from a save interrupted between the two files; "
            f"if a save was interrupted, delete {json_path} to load the tensor file as is")
    if _canonical(sidecar) != _canonical(skeleton):
        raise CheckpointError(f"{json_path}: its state differs from the copy inside {tensor_path} "
                              "(edited by hand?); a load uses the tensor file's copy: delete the "
                              "sidecar, or save the checkpoint again with the change")


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, strict=True) -> dict:
    """Read a checkpoint written by ``save_checkpoint``; optionally load it into objects.

    Returns ``{"model": {name: Tensor}, "optimizer": dict | None, "scheduler": dict | None,
    "extra": dict | None, "path": tensor file}``. When ``model``/``optimizer``/``scheduler``
    are given, their ``load_state_dict`` is called with the saved state (``strict`` goes to the
    model). A plain weights file (from ``save``) loads as a checkpoint with only a model.

    ``path`` is what ``save_checkpoint`` was given (``dir/last``, ``dir/last.safetensors``, or
    its ``.npz``/``.json`` name), or any existing tensor file. Both files' checksums are
    verified first. Raises ``CheckpointError`` (a ``RuntimeError``) naming the file when it is
    missing, truncated, damaged (checksum mismatch), malformed or a PyTorch ``.pt`` file.
    """
    tensor_path = _find_checkpoint(path)
    with open(tensor_path, "rb") as f:
        data = f.read()
    arrays, meta, sealed = decode(tensor_path, data)
    skeleton = _checkpoint_skeleton(tensor_path, data, meta, sealed)
    try:
        out = _checkpoint_state(tensor_path, arrays, skeleton)
    except CheckpointError:
        raise
    except KeyError as exc:
        raise CheckpointError(f"{tensor_path}: {exc.args[0] if exc.args else exc}") from None
    except _MALFORMED as exc:
        raise CheckpointError(f"{tensor_path}: the checkpoint's state description is malformed "
                              f"(corrupt?): {type(exc).__name__}: {exc}") from None
    out["path"] = tensor_path
    if model is not None:
        if out["model"] is None:
            raise CheckpointError(f"{tensor_path}: checkpoint has no model weights")
        model.load_state_dict(out["model"], strict=strict)
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler)):
        if obj is not None:
            if out[name] is None:
                raise CheckpointError(f"{tensor_path}: checkpoint has no {name} state to load")
            obj.load_state_dict(out[name])
    return out


def _names(keys, what) -> list:
    if not (isinstance(keys, list) and all(isinstance(k, str) for k in keys)):
        raise ValueError(f"{what} must be a list of tensor names, got {json.dumps(keys)[:100]}")
    return keys


def _checkpoint_state(tensor_path, arrays, skeleton) -> dict:
    from glassnet.tensor import Tensor

    if skeleton is None:  # a plain weights file
        return {"model": {k: Tensor(v) for k, v in arrays.items()}, "optimizer": None,
                "scheduler": None, "extra": None}
    keys = skeleton.get("model_keys")
    if keys is not None:
        _names(keys, "model_keys")
    out = {"model": None if keys is None else {}}
    for k in keys or ():
        if f"model/{k}" not in arrays:
            raise CheckpointError(f"{tensor_path}: model entry {k!r} is missing from the "
                                  "tensor file")
        out["model"][k] = Tensor(arrays[f"model/{k}"])
    for name in ("optimizer", "scheduler", "extra"):
        out[name] = unflatten_state(skeleton[name], arrays) if name in skeleton else None
    return out


# ----------------------------------------------------------------------------- plain weights
def save(state_dict, path, metadata: dict | None = None) -> str:
    """Save a state dict ``{name: Tensor or array}`` to one file (safetensors; .npz fallback).

    The ``torch.save(model.state_dict(), path)`` of glassnet, for weights only. Nested
    states (an optimiser's ``state_dict()``) are accepted too: arrays go to the tensor file,
    the structure to its metadata. ``metadata`` adds ``{str: str}`` entries to the header.
    Returns the path written.
    """
    meta = {str(k): str(v) for k, v in (metadata or {}).items()}
    flat = isinstance(state_dict, dict) and all(
        isinstance(k, str) and _is_array(v) for k, v in state_dict.items())
    if flat:
        tensors = {k: to_numpy(v) for k, v in state_dict.items()}
        meta["glassnet_keys"] = json.dumps(list(tensors))  # safetensors sorts; keep the order
    else:
        skel, tensors = flatten_state(state_dict, "state")
        meta["glassnet_state"] = json.dumps(skel)
    return write_tensors(path, tensors, meta)


def load(path, as_numpy: bool = False):
    """Load a file written by ``save`` (or any safetensors/.npz file of arrays).

    Returns ``{name: Tensor}`` (``{name: ndarray}`` with ``as_numpy``); for a checkpoint from
    ``save_checkpoint``, its model weights; for a nested state, the nested structure.
    """
    path, data = _read_bytes(path)
    arrays, meta, _ = decode(path, data)
    try:
        return weights_of(arrays, meta, as_numpy)
    except CheckpointError:
        raise
    except _MALFORMED as exc:
        raise CheckpointError(f"{path}: the file's description of its arrays is malformed "
                              f"(corrupt?): {type(exc).__name__}: {exc}") from None


def weights_of(arrays: dict, meta: dict, as_numpy: bool = False):
    """What ``load`` returns for a decoded tensor file: its state dict, in the saved order (the
    model's for a checkpoint, the nested structure for a nested state). Raises KeyError,
    ValueError or TypeError when the metadata does not describe the arrays."""
    if "glassnet_state" in meta:
        return unflatten_state(json.loads(meta["glassnet_state"]), arrays,
                               as_tensor=False if as_numpy else None)
    if "glassnet" in meta:
        keys = _names(json.loads(meta["glassnet"]).get("model_keys") or [], "model_keys")
        arrays = {k: arrays[f"model/{k}"] for k in keys}
    elif "glassnet_keys" in meta:
        keys = [k for k in _names(json.loads(meta["glassnet_keys"]), "glassnet_keys")
                if k in arrays]
        arrays = {k: arrays[k] for k in keys} | {k: v for k, v in arrays.items()
                                                 if k not in set(keys)}
    if as_numpy:
        return dict(arrays)
    from glassnet.tensor import Tensor

    return {k: Tensor(v) for k, v in arrays.items()}
