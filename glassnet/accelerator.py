"""``glassnet.accelerator``: the device-agnostic way to ask for the GPU (PyTorch's
``torch.accelerator``).

Current PyTorch examples pick their device with one line, which runs unchanged here::

    device = torch.accelerator.current_accelerator().type if torch.accelerator.is_available() else "cpu"

glassnet's one accelerator is an NVIDIA GPU through CuPy (``pip install glassnet[gpu]``; see
glassnet/backend.py): ``is_available()`` is true exactly when CuPy is installed and sees a GPU,
and ``current_accelerator()`` is then ``device('cuda', index=...)``. Without one it returns
None, and the calls that need a device (``current_device_index``, ``synchronize``...) raise
RuntimeError, as PyTorch's do. Apple's MPS and other backends do not exist here
(``glassnet.backends.mps.is_available()`` is False).
"""

from __future__ import annotations

import contextlib

from . import backend, cuda

__all__ = ["current_accelerator", "current_device_idx", "current_device_index", "device_count",
           "device_index", "empty_cache", "is_available", "memory_allocated", "memory_reserved",
           "set_device_idx", "set_device_index", "synchronize"]

_NONE = "Cannot access accelerator device when none is available."


def is_available() -> bool:
    """True when an accelerator (a GPU that CuPy sees) can run glassnet's tensors."""
    return backend.cuda_is_available()


def current_accelerator(check_available: bool = False):
    """The accelerator's device, ``device(type='cuda', index=i)`` for the current GPU, or None
    when there is none. ``check_available=True`` also returns None when it is not usable (here
    the two are the same: a GPU counts only when CuPy can use it)."""
    if not is_available():
        return None
    return backend.Device(f"cuda:{cuda.current_device()}")


def device_count() -> int:
    """How many GPUs the accelerator has (0 without one)."""
    return cuda.device_count() if is_available() else 0


def _require():
    if not is_available():
        raise RuntimeError(_NONE)


def _index(device) -> int:
    """A device index from an int, 'cuda:1', a glassnet.device or None (the current one)."""
    if device is None:
        return cuda.current_device()
    if isinstance(device, bool) or not isinstance(device, (int, str, backend.Device)):
        raise TypeError(f"accelerator: expected a device index, a device string or a "
                        f"glassnet.device, got {type(device).__name__}")
    if isinstance(device, int):
        return device
    d = backend.Device(device)
    if d.type != "cuda":
        raise ValueError(f"accelerator: {d} is not the accelerator's device type (cuda)")
    return d.index


def current_device_index() -> int:
    """The index of the GPU that new GPU tensors go to."""
    _require()
    return cuda.current_device()


def set_device_index(device, /) -> None:
    """Make ``device`` (an index, 'cuda:1' or a glassnet.device) the current GPU."""
    _require()
    idx = _index(device)
    if not 0 <= idx < device_count():
        raise RuntimeError(f"set_device_index: device index {idx} is out of range: there are "
                           f"{device_count()} GPUs")
    cuda.set_device(idx)


current_device_idx = current_device_index  # PyTorch's older names
set_device_idx = set_device_index


@contextlib.contextmanager
def device_index(device, /):
    """``with device_index(1):`` makes GPU 1 current inside the block; None changes nothing."""
    if device is None:
        yield
        return
    _require()
    prev = cuda.current_device()
    set_device_index(device)
    try:
        yield
    finally:
        cuda.set_device(prev)


def synchronize(device=None, /) -> None:
    """Wait until the GPU has finished the work queued on it (for timing)."""
    _require()
    idx = _index(device)
    with backend._cupy.cuda.Device(idx):
        backend._cupy.cuda.Device(idx).synchronize()


def empty_cache() -> None:
    """Give the GPU memory that CuPy's pool caches, unused, back to the driver."""
    _require()
    cuda.empty_cache()


def memory_allocated(device_index=None, /) -> int:
    """Bytes of GPU memory held by live arrays."""
    _require()
    return cuda.memory_allocated(device_index)


def memory_reserved(device_index=None, /) -> int:
    """Bytes of GPU memory CuPy's pool holds, used or cached."""
    _require()
    return cuda.memory_reserved(device_index)
