"""Neural-network layers (Modules), initialisation and utilities, with PyTorch's names."""

# --- modules, containers, layers, losses (module.py, containers.py, linear.py, ...) ---
from .module import *  # noqa: F401,F403
# --- end modules ---

# --- convolution and pooling layers (conv.py, pooling.py, ...) ---
# --- end convolution ---

from . import functional, init, utils  # noqa: E402,F401
