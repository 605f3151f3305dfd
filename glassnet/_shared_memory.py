"""Arrays in memory that processes forked after their creation share (``share_memory_``).

``share(a)`` copies an array into an anonymous ``MAP_SHARED`` memory mapping. A process started
with the ``fork`` start method (Linux's default) maps the same physical pages, so a write from
either process, such as an optimiser's in-place update, is seen by both: the Hogwild! pattern of
asynchronous training on one shared model (Niu et al., 2011). Processes started with ``spawn``
or ``forkserver`` receive pickled copies instead, and do not share.
"""

from __future__ import annotations

import mmap

import numpy as np


def share(a):
    """``a``'s values in shared memory (``a`` itself if it is there already, or on a GPU)."""
    if not isinstance(a, np.ndarray) or is_shared(a):
        return a
    buf = mmap.mmap(-1, max(a.nbytes, 1))
    out = np.frombuffer(buf, dtype=a.dtype, count=a.size).reshape(a.shape)
    out[...] = a
    return out


def is_shared(a) -> bool:
    """Whether ``a`` lives in memory made by ``share``."""
    base = a
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, memoryview):  # np.frombuffer keeps a memoryview of the mapping
        base = base.obj
    return isinstance(base, mmap.mmap)
