"""``torch.nn.attention``: choosing the kernel of ``scaled_dot_product_attention``.

PyTorch has several attention kernels (flash, memory-efficient, cuDNN, the plain math one) and
``sdpa_kernel(backends)`` restricts which may run inside a ``with`` block. glassnet has one
kernel, the math one (``nn.functional.scaled_dot_product_attention``), so every choice gives the
same numbers: ``sdpa_kernel`` checks its argument and otherwise changes nothing.
"""

from __future__ import annotations

import contextlib
import enum

__all__ = ["SDPBackend", "sdpa_kernel"]


class SDPBackend(enum.IntEnum):
    """The attention kernels PyTorch can pick from (glassnet always runs ``MATH``)."""

    ERROR = -1
    MATH = 0
    FLASH_ATTENTION = 1
    EFFICIENT_ATTENTION = 2
    CUDNN_ATTENTION = 3
    OVERRIDEABLE = 4


@contextlib.contextmanager
def sdpa_kernel(backends, set_priority=False):
    """Restrict attention to ``backends`` (one ``SDPBackend`` or a list) inside the block; with
    glassnet's single math kernel this only checks the argument."""
    items = backends if isinstance(backends, (list, tuple, set)) else [backends]
    for b in items:
        if not isinstance(b, SDPBackend):
            raise TypeError(f"sdpa_kernel: expected SDPBackend values, got {type(b).__name__}")
    yield
