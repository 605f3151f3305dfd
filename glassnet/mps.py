"""``glassnet.mps``: Apple's Metal GPUs. glassnet has no Metal backend, so this answers the
questions programs ask before choosing a device (``torch.mps.is_available()`` and friends)
the way PyTorch answers them on a machine without one."""

from __future__ import annotations

from . import backend

__all__ = ["current_allocated_memory", "device_count", "driver_allocated_memory",
           "empty_cache", "is_available", "manual_seed", "seed", "synchronize"]


def is_available() -> bool:
    """False: glassnet runs on the CPU (NumPy) or an NVIDIA GPU (CuPy), never on Metal."""
    return False


def device_count() -> int:
    return 0


def synchronize() -> None:
    """Nothing to wait for (no Metal device)."""


def empty_cache() -> None:
    """Nothing to free (no Metal device)."""


def current_allocated_memory() -> int:
    return 0


def driver_allocated_memory() -> int:
    return 0


def manual_seed(seed: int) -> None:
    """glassnet has one generator for every device: this seeds it (like glassnet.manual_seed)."""
    backend.manual_seed(seed)


def seed() -> None:
    """Seed the generator from the operating system's entropy (like glassnet.seed)."""
    backend.seed()
