"""``glassnet.utils``: PyTorch's ``torch.utils`` names. ``glassnet.utils.data`` holds the
datasets, samplers and the DataLoader; ``checkpoint`` (activation checkpointing), ``hooks``,
``model_zoo`` (``load_url``, i.e. ``glassnet.hub.load_state_dict_from_url``) and ``tensorboard``
load on first use."""

import importlib as _importlib

from glassnet.utils import data

__all__ = ["data"]

_LAZY = {"checkpoint", "hooks", "model_zoo", "tensorboard"}


def __getattr__(name):
    if name in _LAZY:
        mod = _importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'glassnet.utils' has no attribute '{name}'")
