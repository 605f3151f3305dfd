"""Saving and loading a Module's state: ``state_dict`` and ``load_state_dict``.

A state_dict is an ordered map from dotted names ('features.0.weight') to tensors: every
parameter and every persistent buffer of the module tree. It is the unit of checkpointing and of
exchange with other frameworks (a PyTorch state_dict converted to NumPy loads directly).
"""

from __future__ import annotations

from collections import OrderedDict

from ... import backend
from ...tensor import Tensor
from .hooks import _IncompatibleKeys


def _shape_str(shape):
    return str(tuple(int(s) for s in shape))


def _detached(t):
    """``t`` without its graph, sharing its storage (a sparse tensor keeps its layout)."""
    return t.detach() if t._sparse_layout else Tensor._make(t._data, False)


class StateDictMixin:
    """The state-dict half of ``Module`` (kept apart to keep module.py readable)."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else _detached(p)
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else Tensor._make(b._data, False)

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An ordered ``name -> Tensor`` map of parameters and persistent buffers.

        The tensors are detached but share their arrays with the module (as in PyTorch), so
        save or copy them before changing the model if you need a snapshot.
        """
        if args:
            destination = args[0] if len(args) > 0 else destination
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        local = [(k, v) for k, v in self._parameters.items() if v is not None]
        local += [(k, v) for k, v in self._buffers.items()
                  if v is not None and k not in self._non_persistent_buffers_set]
        for name, param in local:
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            value = state_dict[key]
            if param._sparse_layout or getattr(value, "_sparse_layout", False):
                try:  # a sparse parameter takes the checkpoint's entries (PyTorch's copy_)
                    param.copy_(value)
                except (RuntimeError, NotImplementedError) as e:
                    error_msgs.append(f'While copying the parameter named "{key}", whose '
                                      f"dimensions in the model are {_shape_str(param.shape)} "
                                      f"and whose dimensions in the checkpoint are "
                                      f"{_shape_str(value.shape)}, an exception occurred : "
                                      f"({e})")
                continue
            arr = value._data if isinstance(value, Tensor) else value
            if not hasattr(arr, "shape"):
                arr = backend.array_module(param._data).asarray(arr)
            if tuple(arr.shape) != tuple(param._data.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape "
                    f"{_shape_str(arr.shape)} from checkpoint, the shape in current model is "
                    f"{_shape_str(param._data.shape)}.")
                continue
            arr = backend.to_device(backend.to_numpy(arr), param.device) \
                if backend.device_of(arr) != param.device else arr
            if local_metadata.get("assign_to_params_buffers"):
                # assign=True: take the checkpoint's array itself (no copy)
                param.data = backend.array_module(param._data).asarray(arr)
            elif param._data.flags.writeable:
                # Copy into the existing array, so views and optimiser state stay valid.
                param._data[...] = arr
            else:
                param.data = arr.astype(param._data.dtype, copy=True)
        if strict:
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                parts = key[len(prefix):].split(".", 1)
                if len(parts) > 1:
                    if parts[0] not in self._modules:
                        unexpected_keys.append(key)
                elif parts[0] not in dict(local):
                    unexpected_keys.append(key)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy values from ``state_dict`` into this module's parameters and buffers in place.

        Returns ``(missing_keys, unexpected_keys)``. With ``strict=True`` any missing or
        unexpected key, and always any shape mismatch, raises a RuntimeError listing them all.
        ``assign=True`` makes the parameters and buffers take the given arrays instead.
        """
        if not hasattr(state_dict, "keys"):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []

        def load(module, prefix=""):
            meta = {"assign_to_params_buffers": assign}
            module._load_from_state_dict(state_dict, prefix, meta, True, missing, unexpected,
                                         errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")

        load(self)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {self._get_name()}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)
