"""Neural-network layers (Modules), initialisation and utilities, with PyTorch's names."""

# --- modules, containers, layers, losses (module.py, containers.py, linear.py, ...) ---
from .activation import *  # noqa: F401,F403
from .containers import (  # noqa: F401
    Identity, ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential)
from .dropout import *  # noqa: F401,F403
from .embedding import Embedding  # noqa: F401
from .hooks import RemovableHandle  # noqa: F401
from .linear import Bilinear, Linear  # noqa: F401
from .loss import *  # noqa: F401,F403
from .module import Module  # noqa: F401
from .normalization import *  # noqa: F401,F403
from .parameter import Buffer, Parameter  # noqa: F401
# --- end modules ---

# --- convolution and pooling layers (conv.py, pooling.py, ...) ---
# --- end convolution ---

from . import functional, init, utils  # noqa: E402,F401
