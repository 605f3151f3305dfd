"""``glassnet.random``: the default generator's seed and state (``torch.random``)."""

from __future__ import annotations

import contextlib

from . import backend
from .backend import (
    Generator,
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


@contextlib.contextmanager
def thread_generator(generator):
    """Within the block, every draw in this thread that would use the default generator uses
    ``generator`` instead (a ``Generator``; None keeps the default one). Other threads, and
    draws given an explicit ``generator=``, are unaffected; the previous setting comes back
    afterwards, so blocks nest.

    The DataLoader runs each batch's construction (dataset reads, transforms, augmentation)
    inside this block with a generator derived from the epoch's seed and the batch's position,
    so those draws are the same whichever thread builds the batch, and the default generator
    that dropout and initialisation draw from is left alone.
    """
    if generator is not None and not isinstance(generator, Generator):
        raise TypeError(f"thread_generator: generator must be a glassnet Generator or None, "
                        f"got {type(generator).__name__}")
    local = backend._thread_local
    previous = getattr(local, "generator", None)
    local.generator = generator
    try:
        yield generator
    finally:
        local.generator = previous


__all__ = ["default_generator", "fork_rng", "get_rng_state", "initial_seed", "manual_seed",
           "seed", "set_rng_state", "thread_generator"]
