"""``glassnet.cuda``: is a GPU usable here? (the CuPy backend; see glassnet/backend.py)."""

from __future__ import annotations

from . import backend


def is_available() -> bool:
    """True when CuPy is installed and sees at least one NVIDIA GPU."""
    return backend.cuda_is_available()


def device_count() -> int:
    if not is_available():
        return 0
    return int(backend._cupy.cuda.runtime.getDeviceCount())


def synchronize() -> None:
    """Wait for queued GPU work to finish (for timing); a no-op without a GPU."""
    if is_available():
        backend._cupy.cuda.Device().synchronize()


def manual_seed(seed: int) -> None:
    """glassnet has one generator for every device: this seeds it (like gn.manual_seed)."""
    backend.manual_seed(seed)


manual_seed_all = manual_seed
