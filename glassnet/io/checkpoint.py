"""Checkpoints: tensors in safetensors, everything else in JSON, every write atomic. No pickle.

A checkpoint is two files side by side::

    last.safetensors   every array: the model's weights under "model/<name>", the optimiser's
                       buffers under "optimizer/...", any arrays in the scheduler/extra state
    last.json          everything else, readable by a person: optimiser scalars and
                       param_groups, scheduler state, RNG states, epoch, step, loader position,
                       config; arrays appear as {"__tensor__": "<key in the tensor file>"}

The tensor file also carries the same JSON in its header metadata (key ``"glassnet"``), so it
is complete on its own; the sidecar records the SHA-256 of the tensor file it belongs to. If a
crash lands between the two (atomic) writes, the sidecar's hash no longer matches, and loading
uses the tensor file's own copy.

Without the ``safetensors`` package (``pip install glassnet[weights]``) the tensor file is a
NumPy ``.npz`` archive instead (written with ``np.savez``, read with ``allow_pickle=False``),
whose entry ``__metadata__`` holds the metadata JSON as UTF-8 bytes (a uint8 array). Files are
recognised by their content, not their extension.

``save(state_dict, path)`` / ``load(path)`` are the ``torch.save``/``torch.load`` of weights:
one file, a dict of arrays.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import struct
import warnings

import numpy as np

from glassnet.io.atomic import atomic_write_bytes, atomic_write_json
from glassnet.io.state import _is_array, flatten_state, to_numpy, unflatten_state

__all__ = ["CheckpointError", "save_checkpoint", "load_checkpoint", "save", "load",
           "write_tensors", "read_tensors", "checkpoint_paths", "safetensors_available"]

FORMAT = "glassnet-checkpoint"
FORMAT_VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint or weights file that cannot be read (missing, truncated, corrupt, foreign)."""


def safetensors_available() -> bool:
    try:
        import safetensors.numpy  # noqa: F401
    except ImportError:
        return False
    return True


# ----------------------------------------------------------------------------- tensor files
def _encode(tensors: dict, metadata: dict | None) -> tuple[bytes, str]:
    """Serialise arrays (+ str->str metadata) to bytes; returns (bytes, format name)."""
    arrays = {k: to_numpy(v) for k, v in tensors.items()}
    if safetensors_available():
        import safetensors.numpy as stn

        return stn.save(arrays, metadata=metadata or None), "safetensors"
    if "__metadata__" in arrays:
        raise ValueError("write_tensors: '__metadata__' is a reserved key in .npz tensor files")
    buf = io.BytesIO()
    meta = np.frombuffer(json.dumps(metadata or {}).encode("utf-8"), dtype=np.uint8)
    np.savez(buf, __metadata__=meta, **arrays)
    return buf.getvalue(), "npz"


def write_tensors(path, tensors: dict, metadata: dict | None = None) -> str:
    """Atomically write ``{name: array}`` (and ``{str: str}`` metadata) to one tensor file.

    Returns the path written: ``path`` itself, or with the suffix ``.npz`` when the
    ``safetensors`` package is missing and ``path`` ends in ``.safetensors``.
    """
    return _write_tensors(path, tensors, metadata)[0]


def _write_tensors(path, tensors, metadata):
    """write_tensors, also returning the SHA-256 of the bytes written."""
    data, fmt = _encode(tensors, metadata)
    path = os.fspath(path)
    if fmt == "npz" and path.endswith(".safetensors"):
        path = path[: -len(".safetensors")] + ".npz"
    atomic_write_bytes(path, data)
    return path, hashlib.sha256(data).hexdigest()


def _resolve(path) -> str:
    """``path``, or its .npz / .safetensors sibling when only that exists (the fallback format)."""
    path = os.fspath(path)
    if os.path.exists(path):
        return path
    root, ext = os.path.splitext(path)
    for alt in (root + ".safetensors", root + ".npz", path + ".safetensors", path + ".npz"):
        if alt != path and os.path.exists(alt):
            return alt
    raise CheckpointError(f"no such checkpoint or weights file: {path!r}")


def _read_bytes(path) -> tuple[str, bytes]:
    path = _resolve(path)
    with open(path, "rb") as f:
        return path, f.read()


def _decode(path: str, data: bytes) -> tuple[dict, dict]:
    """Parse tensor-file bytes: (arrays, metadata); CheckpointError naming ``path`` if corrupt."""
    if data[:2] == b"PK":
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            meta = arrays.pop("__metadata__", None)
            return arrays, (json.loads(bytes(meta).decode("utf-8")) if meta is not None else {})
        except Exception as exc:  # zipfile.BadZipFile, ValueError, EOFError, ...
            raise CheckpointError(f"{path}: not a readable .npz tensor file (truncated or corrupt?): "
                                  f"{type(exc).__name__}: {exc}") from None
    if len(data) < 10:
        raise CheckpointError(f"{path}: not a tensor file: {len(data)} bytes is too short for a "
                              "safetensors header (truncated or empty file?)")
    (n,) = struct.unpack("<Q", data[:8])
    if data[8:9] != b"{" or 8 + n > len(data):
        raise CheckpointError(f"{path}: not a readable safetensors file: the header claims {n} bytes "
                              f"but the file has {len(data)} (truncated or corrupt?)")
    try:
        header = json.loads(data[8:8 + n].decode("utf-8"))
    except ValueError as exc:
        raise CheckpointError(f"{path}: safetensors header is not valid JSON (corrupt?): "
                              f"{exc}") from None
    if not safetensors_available():
        raise CheckpointError(f"{path}: is a safetensors file, but the safetensors package is not "
                              "installed; pip install safetensors (or glassnet[weights])")
    import safetensors.numpy as stn

    try:
        arrays = stn.load(data)
    except Exception as exc:
        raise CheckpointError(f"{path}: not a readable safetensors file (truncated or corrupt?): "
                              f"{exc}") from None
    return arrays, header.get("__metadata__") or {}


def read_tensors(path) -> tuple[dict, dict]:
    """Read a tensor file (safetensors or .npz): ``({name: ndarray}, {str: str} metadata)``."""
    path, data = _read_bytes(path)
    return _decode(path, data)


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
    atomic_write_json(json_path, sidecar)
    return tensor_path


def _checkpoint_skeleton(tensor_path, data, meta):
    text = meta.get("glassnet")
    if text is None:
        return None
    try:
        skeleton = json.loads(text)
    except ValueError as exc:
        raise CheckpointError(f"{tensor_path}: checkpoint metadata is not valid JSON (corrupt?): "
                              f"{exc}") from None
    json_path = checkpoint_paths(tensor_path)[1]
    if os.path.exists(json_path):
        try:
            with open(json_path, encoding="utf-8") as f:
                sidecar = json.load(f)
        except ValueError as exc:
            raise CheckpointError(f"{json_path}: checkpoint sidecar is not valid JSON (truncated or "
                                  f"corrupt?): {exc}") from None
        if sidecar.get("tensors_sha256") == hashlib.sha256(data).hexdigest():
            sidecar.pop("tensors_sha256", None)
            sidecar.pop("tensors_file", None)
            return sidecar
        warnings.warn(f"{json_path} does not belong to {tensor_path} (a write was interrupted?); "
                      "using the state stored inside the tensor file", stacklevel=3)
    return skeleton


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, strict=True) -> dict:
    """Read a checkpoint written by ``save_checkpoint``; optionally load it into objects.

    Returns ``{"model": {name: Tensor}, "optimizer": dict | None, "scheduler": dict | None,
    "extra": dict | None, "path": tensor file}``. When ``model``/``optimizer``/``scheduler``
    are given, their ``load_state_dict`` is called with the saved state (``strict`` goes to the
    model). A plain weights file (from ``save``) loads as a checkpoint with only a model.
    Raises ``CheckpointError`` naming the file when it is missing, truncated or corrupt.
    """
    tensor_path, data = _read_bytes(checkpoint_paths(path)[0])
    arrays, meta = _decode(tensor_path, data)
    skeleton = _checkpoint_skeleton(tensor_path, data, meta)
    from glassnet.tensor import Tensor

    if skeleton is None:  # a plain weights file
        out = {"model": {k: Tensor(v) for k, v in arrays.items()}, "optimizer": None,
               "scheduler": None, "extra": None}
    else:
        keys = skeleton.get("model_keys")
        out = {"model": None if keys is None else {}}
        for k in keys or ():
            if f"model/{k}" not in arrays:
                raise CheckpointError(f"{tensor_path}: model entry {k!r} is missing from the "
                                      "tensor file")
            out["model"][k] = Tensor(arrays[f"model/{k}"])
        for name in ("optimizer", "scheduler", "extra"):
            try:
                out[name] = unflatten_state(skeleton[name], arrays) if name in skeleton else None
            except KeyError as exc:
                raise CheckpointError(f"{tensor_path}: {exc.args[0]}") from None
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
    arrays, meta = _decode(path, data)
    if "glassnet_state" in meta:
        return unflatten_state(json.loads(meta["glassnet_state"]), arrays,
                               as_tensor=False if as_numpy else None)
    if "glassnet" in meta:
        keys = json.loads(meta["glassnet"]).get("model_keys") or []
        arrays = {k: arrays[f"model/{k}"] for k in keys}
    elif "glassnet_keys" in meta:
        keys = json.loads(meta["glassnet_keys"])
        arrays = {k: arrays[k] for k in keys if k in arrays} | {k: v for k, v in arrays.items()
                                                                 if k not in set(keys)}
    if as_numpy:
        return dict(arrays)
    from glassnet.tensor import Tensor

    return {k: Tensor(v) for k, v in arrays.items()}
