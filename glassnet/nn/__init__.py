"""Neural-network layers (Modules), initialisation and utilities, with PyTorch's names.

``nn.parameter`` (Parameter, Buffer and the lazy placeholders) sits below ``nn.modules`` (Module
and every layer, under PyTorch's file names); ``nn.init`` and ``nn.functional`` are what the
layers call; ``nn.utils`` and ``nn.parallel`` work on whole modules.
"""

from . import functional, init, modules, parallel, parameter, utils  # noqa: F401
from .modules import *  # noqa: F403
from .parallel import DataParallel, SyncBatchNorm  # noqa: F401
from .parameter import Buffer, Parameter, UninitializedBuffer, UninitializedParameter  # noqa: F401
