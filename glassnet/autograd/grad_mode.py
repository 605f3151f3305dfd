"""Grad modes and anomaly mode: whether ops record a graph, and whether they check for NaN/Inf.

Recording is per thread (a data-loading thread running under ``no_grad`` does not switch it off
for the training loop). ``no_grad``, ``enable_grad`` and ``set_grad_enabled`` work as context
managers and as decorators, as in PyTorch; ``inference_mode`` is ``no_grad``.
"""

from __future__ import annotations

import contextlib
import threading

from .. import backend


class _GradMode(threading.local):
    enabled = True


_grad_mode = _GradMode()
_anomaly = {"on": False}


def is_grad_enabled() -> bool:
    return _grad_mode.enabled


def set_grad_enabled(mode: bool):
    """Context manager / function that turns graph recording on or off."""
    return _SetGrad(bool(mode))


class _SetGrad(contextlib.ContextDecorator):
    def __init__(self, mode):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = mode
        self.mode = mode

    def __enter__(self):
        _grad_mode.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False


class no_grad(contextlib.ContextDecorator):
    """Disable graph recording inside the block (evaluation, in-place parameter updates)."""

    def __enter__(self):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = False
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False


class enable_grad(contextlib.ContextDecorator):
    """Re-enable graph recording inside a ``no_grad`` block."""

    def __enter__(self):
        self.prev = _grad_mode.enabled
        _grad_mode.enabled = True
        return self

    def __exit__(self, *exc):
        _grad_mode.enabled = self.prev
        return False


inference_mode = no_grad


# ----------------------------------------------------------------------------- anomaly mode
class detect_anomaly(contextlib.ContextDecorator):
    """Raise at the first op whose forward or backward produces NaN or Inf.

    While active, every op records where in user code it was created, so the error names both
    the op and the line that built it. It costs a stack capture per op: use it for debugging.
    """

    def __init__(self, check_nan: bool = True):
        self.check_nan = check_nan

    def __enter__(self):
        self.prev = _anomaly["on"]
        _anomaly["on"] = self.check_nan
        return self

    def __exit__(self, *exc):
        _anomaly["on"] = self.prev
        return False


def is_anomaly_enabled() -> bool:
    return _anomaly["on"]


def set_detect_anomaly(mode: bool, check_nan: bool = True) -> None:
    """Turn anomaly mode on or off outside a ``with`` block (``torch.set_anomaly_enabled``)."""
    _anomaly["on"] = bool(mode)


def user_frame(stack) -> str:
    """The innermost stack frame outside glassnet itself: where the user created the op."""
    for fr in reversed(stack):
        if "/glassnet/" not in fr.filename.replace("\\", "/") or "/tests/" in fr.filename:
            return f'File "{fr.filename}", line {fr.lineno}, in {fr.name}\n    {fr.line}'
    fr = stack[-1]
    return f'File "{fr.filename}", line {fr.lineno}, in {fr.name}'


def check_finite(arrays, what: str, node) -> None:
    """Anomaly mode's check: raise, naming ``node`` and where it was created, if an array holds
    NaN or Inf."""
    for a in arrays:
        if a is None or not hasattr(a, "dtype") or not backend.is_differentiable(a.dtype):
            continue
        xp = backend.array_module(a)
        if not bool(xp.isfinite(a).all()):
            bad = "NaN" if bool(xp.isnan(a).any()) else "Inf"
            where = node._stack if node is not None and node._stack else "(unknown location)"
            raise RuntimeError(
                f"detect_anomaly: {node.op_name() if node is not None else 'op'} produced {bad} "
                f"in its {what}. The op was created at:\n  {where}")
