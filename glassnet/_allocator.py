"""Keep freed array memory for reuse instead of handing it back to the kernel (glibc only).

A training step allocates the same large arrays every time (activations, columns, gradients of
a few MiB each) and frees them by the end of the step. glibc's malloc serves blocks above a
dynamic threshold with fresh ``mmap`` pages and returns them with ``munmap`` on free, and it
trims free memory at the top of the heap back to the kernel. Either way the next step's arrays
land on new pages, and the first write to every 4 KiB page is a page fault in which the kernel
zeroes it. On a LeNet-5 step at batch 64 that was thousands of faults and about half the time
of the step.

``tune(True)`` (done once when glassnet is imported, on Linux with glibc) raises the mmap
threshold to glibc's maximum (32 MiB) and the trim threshold to 256 MiB, so blocks up to 32 MiB
come from the heap and freed memory stays there for the next step. Peak memory is unchanged;
what changes is that up to 256 MiB of freed memory may stay resident after a peak. The settings
are per process, so any other library in the process (PyTorch too) gets the same allocator.
Set ``GLASSNET_MALLOC_TUNE=0`` before importing glassnet to keep glibc's defaults.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20      # glibc's upper limit for M_MMAP_THRESHOLD on 64-bit systems
TRIM_THRESHOLD = 256 * 2**20

_state = {"tuned": False}


def _libc():
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.mallopt.restype = ctypes.c_int
        libc.gnu_get_libc_version  # noqa: B018 - glibc only (musl has no mallopt thresholds)
        return libc
    except (OSError, AttributeError):
        return None


def tune(enable: bool = True) -> bool:
    """Raise (or, with ``enable=False``, restore glibc's default) malloc thresholds.

    Returns whether the settings were applied (False off glibc).
    """
    libc = _libc()
    if libc is None:
        return False
    if enable:
        ok = libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD) and \
            libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    else:  # glibc's defaults: 128 KiB for both
        ok = libc.mallopt(M_MMAP_THRESHOLD, 128 * 1024) and \
            libc.mallopt(M_TRIM_THRESHOLD, 128 * 1024)
    _state["tuned"] = bool(ok) and enable
    return bool(ok)


def is_tuned() -> bool:
    return _state["tuned"]


def tune_from_env() -> None:
    """Apply ``tune()`` unless ``GLASSNET_MALLOC_TUNE`` is 0 / false / no / off."""
    if os.environ.get("GLASSNET_MALLOC_TUNE", "1").strip().lower() not in ("0", "false", "no",
                                                                            "off"):
        tune(True)
