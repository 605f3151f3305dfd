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
from .adaptive import (  # noqa: F401,E402
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool2d, adaptive_max_pool3d)
from .conv import (  # noqa: F401,E402
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, convolve,
    flip_kernel)
from .fold import fold, unfold  # noqa: F401,E402
from .padding import pad  # noqa: F401,E402
from .pooling import (  # noqa: F401,E402
    avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d)
from .unpool import max_unpool2d  # noqa: F401,E402
from .sampling import interpolate, upsample  # noqa: F401,E402
# --- end convolution ---

# --- attention, embedding bags, RMS norm (attention.py, embedding_bag.py, rms_norm.py) ---
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401,E402
from .attention import _canonical_mask, _none_or_dtype  # noqa: F401,E402
from .embedding_bag import embedding_bag  # noqa: F401,E402
from .rms_norm import rms_norm  # noqa: F401,E402
# --- end attention ---
