"""``glassnet.random``: the default generator's seed and state (``torch.random``)."""

from __future__ import annotations

import contextlib

from .backend import (
    default_generator,
    get_rng_state,
    initial_seed,
    manual_seed,
    seed,
    set_rng_state,
)


@contextlib.contextmanager
def fork_rng(devices=None, enabled=True, **kwargs):
    """Run a block with its own random draws: the default generator's state is restored
    afterwards, so code after the block sees the same numbers as without it."""
    if not enabled:
        yield
        return
    state = get_rng_state()
    try:
        yield
    finally:
        set_rng_state(state)


__all__ = ["default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed",
           "seed", "set_rng_state"]
