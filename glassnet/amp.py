"""``glassnet.amp``: automatic mixed precision under PyTorch's names, for code that enables it.

glassnet computes in the tensors' own dtypes, so ``autocast`` changes nothing inside its block
and ``GradScaler`` does not scale (as PyTorch's do when disabled): training code written for
mixed precision runs unchanged, in float32.
"""

from __future__ import annotations

import contextlib


class autocast(contextlib.ContextDecorator):
    """``with autocast(device_type='cuda', dtype=...):`` — accepted; ops keep their dtypes."""

    def __init__(self, device_type="cpu", dtype=None, enabled=True, cache_enabled=None):
        self.device_type, self.fast_dtype, self.enabled = device_type, dtype, enabled

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


class GradScaler:
    """Loss scaling for float16 training; here a pass-through: ``scale(loss)`` is ``loss``,
    ``step(optimizer)`` is ``optimizer.step()``."""

    def __init__(self, device="cpu", init_scale=65536.0, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        self._enabled = enabled

    def scale(self, outputs):
        return outputs

    def unscale_(self, optimizer):
        return None

    def step(self, optimizer, *args, **kwargs):
        return optimizer.step(*args, **kwargs)

    def update(self, new_scale=None):
        return None

    def get_scale(self):
        return 1.0

    def is_enabled(self):
        return False

    def state_dict(self):
        return {}

    def load_state_dict(self, state_dict):
        return None


__all__ = ["GradScaler", "autocast"]
