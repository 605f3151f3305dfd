"""Nested training state as two halves: a dict of arrays, and a JSON-safe skeleton.

A checkpoint holds more than weights: an optimiser's per-parameter buffers (momentum,
Adam's moments) keyed by parameter index, its ``param_groups`` (learning rates, betas
tuples), a scheduler's counters, random-number-generator states (big integers, NumPy
arrays), the data loader's position. ``flatten_state`` walks such a nested object and
splits it into

* ``tensors``: ``{"<prefix>/<path>": ndarray}`` — every array (NumPy, CuPy or a glassnet
  Tensor), destined for the safetensors file;
* a JSON skeleton in which each array is replaced by ``{"__tensor__": key}``.

``unflatten_state(skeleton, tensors)`` puts them back together. The encoding is lossless for
what training state contains: dicts with non-string keys (``{0: {...}}``) become
``{"__dict__": [[key, value], ...]}``, tuples ``{"__tuple__": [...]}``, NumPy scalars keep
their dtype, floats keep NaN and infinities. Anything else (a function, an arbitrary
object) is refused with an error naming its path: nothing here is ever pickled.
"""

from __future__ import annotations

import math
import random

import numpy as np

from glassnet import backend

__all__ = ["flatten_state", "unflatten_state", "to_numpy", "capture_rng_state",
           "restore_rng_state", "json_safe"]

_MARKERS = ("__tensor__", "__dict__", "__tuple__", "__scalar__", "__float__")


def to_numpy(value) -> np.ndarray:
    """A NumPy array from a NumPy/CuPy array or a glassnet (or PyTorch) Tensor."""
    data = getattr(value, "_data", None)  # a glassnet Tensor's array
    if data is None:  # (an ndarray's .data is a buffer, which bfloat16 arrays cannot give)
        data = value if isinstance(value, np.ndarray) else getattr(value, "data", value)
    if not hasattr(data, "shape") or not hasattr(data, "dtype"):
        data = value
    if type(data).__module__.startswith("torch"):
        data = data.detach().cpu().numpy()
    a = np.asarray(backend.to_numpy(data))
    return a if a.flags.c_contiguous else np.ascontiguousarray(a)  # (keeps 0-d arrays 0-d)


def _is_tensor(value) -> bool:
    """A glassnet Tensor (Parameters included) or a PyTorch tensor."""
    from glassnet.tensor import Tensor

    return isinstance(value, Tensor) or (type(value).__module__.startswith("torch")
                                         and hasattr(value, "detach"))


def _is_array(value) -> bool:
    if isinstance(value, np.ndarray):
        return True
    if backend._cupy is not None and isinstance(value, backend._cupy.ndarray):
        return True
    return _is_tensor(value)


def _encode_float(x: float):
    if math.isfinite(x):
        return x
    return {"__float__": "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")}


def flatten_state(obj, prefix: str = "state") -> tuple[object, dict]:
    """Split ``obj`` into (JSON skeleton, ``{key: ndarray}``); keys start with ``prefix``.

    Example: ``{"state": {0: {"exp_avg": array}}, "param_groups": [{"lr": 0.1,
    "betas": (0.9, 0.999)}]}`` gives the array under ``"<prefix>/state/0/exp_avg"``.
    """
    tensors: dict[str, np.ndarray] = {}

    def walk(x, path):
        if _is_array(x):
            kind = "tensor" if _is_tensor(x) else "ndarray"
            tensors[path] = to_numpy(x)
            return {"__tensor__": path, "kind": kind}
        if x is None or isinstance(x, (bool, str)):
            return x
        if isinstance(x, int):
            return x
        if isinstance(x, float):
            return _encode_float(x)
        if isinstance(x, np.generic):
            if x.dtype.kind in "fc":
                val = _encode_float(float(x))
            elif x.dtype.kind == "b":
                val = bool(x)
            else:
                val = int(x)
            return {"__scalar__": val, "dtype": x.dtype.name}
        if isinstance(x, dict):
            if all(isinstance(k, str) for k in x) and not any(k in _MARKERS for k in x):
                return {k: walk(v, f"{path}/{k}") for k, v in x.items()}
            items = []
            for k, v in x.items():
                if not isinstance(k, (str, int, bool)) and k is not None:
                    raise TypeError(f"flatten_state: dict key {k!r} at {path!r} is a "
                                    f"{type(k).__name__}; only str, int, bool and None keys are saved")
                items.append([k, walk(v, f"{path}/{k}")])
            return {"__dict__": items}
        if isinstance(x, tuple):
            return {"__tuple__": [walk(v, f"{path}/{i}") for i, v in enumerate(x)]}
        if isinstance(x, list):
            return [walk(v, f"{path}/{i}") for i, v in enumerate(x)]
        raise TypeError(f"flatten_state: cannot save the {type(x).__name__} at {path!r}: checkpoints "
                        "hold arrays, numbers, strings, lists, tuples and dicts only (no pickle)")

    return walk(obj, prefix), tensors


def unflatten_state(skeleton, tensors: dict, as_tensor=None):
    """Inverse of ``flatten_state``. Arrays saved from Tensors come back as glassnet Tensors
    (unless ``as_tensor`` is False), plain arrays as NumPy arrays."""

    def tensor_of(array):
        from glassnet.tensor import Tensor

        return Tensor(array)

    def walk(x):
        if isinstance(x, list):
            return [walk(v) for v in x]
        if not isinstance(x, dict):
            return x
        if "__tensor__" in x:
            key = x["__tensor__"]
            if key not in tensors:
                raise KeyError(f"unflatten_state: the state refers to array {key!r}, which the "
                               f"tensor file does not contain")
            arr = tensors[key]
            want = x.get("kind") == "tensor" if as_tensor is None else as_tensor
            return tensor_of(arr) if want else arr
        if "__dict__" in x:
            return {k: walk(v) for k, v in x["__dict__"]}
        if "__tuple__" in x:
            return tuple(walk(v) for v in x["__tuple__"])
        if "__float__" in x:
            return float(x["__float__"])
        if "__scalar__" in x:
            v = x["__scalar__"]
            v = float(v["__float__"]) if isinstance(v, dict) else v
            return np.dtype(x["dtype"]).type(v)
        return {k: walk(v) for k, v in x.items()}

    return walk(skeleton)


def json_safe(obj):
    """A JSON-serialisable copy of ``obj`` for configs and logs: arrays and Tensors become
    lists (scalars become numbers), tuples lists, non-finite floats strings, other objects
    their ``repr``."""
    if _is_array(obj):
        a = to_numpy(obj)
        return json_safe(a.item() if a.ndim == 0 else a.tolist())
    if isinstance(obj, np.generic):
        return json_safe(obj.item())
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else str(obj)
    if obj is None or isinstance(obj, (bool, int, str)):
        return obj
    if isinstance(obj, dict):
        return {str(k): json_safe(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple, set)):
        return [json_safe(v) for v in obj]
    return repr(obj)


# ----------------------------------------------------------------------------- random states
def capture_rng_state() -> dict:
    """Every global random source a training run draws from: glassnet's default generator
    (dropout, init, shuffling, augmentation), NumPy's legacy global RandomState and Python's
    ``random`` module."""
    py_version, py_state, py_gauss = random.getstate()
    return {"glassnet": backend.get_rng_state(),
            "numpy": np.random.get_state(legacy=False),
            "python": {"version": py_version, "state": list(py_state), "gauss_next": py_gauss}}


def restore_rng_state(state: dict) -> None:
    """Undo ``capture_rng_state``: set the same global random sources back."""
    if state.get("glassnet") is not None:
        backend.set_rng_state(state["glassnet"])
    if state.get("numpy") is not None:
        np_state = dict(state["numpy"])
        np_state["state"] = dict(np_state["state"])
        np_state["state"]["key"] = np.asarray(np_state["state"]["key"], dtype=np.uint32)
        np.random.set_state(np_state)
    py = state.get("python")
    if py is not None:
        random.setstate((py["version"], tuple(py["state"]), py["gauss_next"]))
