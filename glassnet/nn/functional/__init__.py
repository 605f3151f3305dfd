"""Stateless neural-network maths with PyTorch's names (``import glassnet.nn.functional as F``)."""

# --- activations, losses, normalisation, dropout, linear (activation.py, loss.py, ...) ---
from .activation import *  # noqa: F401,F403,E402
from .dropout import *  # noqa: F401,F403,E402
from .linear import *  # noqa: F401,F403,E402
from .loss import *  # noqa: F401,F403,E402
from .normalization import *  # noqa: F401,F403,E402
from .softmax import *  # noqa: F401,F403,E402
# --- end activations ---

# --- convolution, padding, pooling, sampling (conv.py, padding.py, pooling.py, sampling.py) ---
# --- end convolution ---
