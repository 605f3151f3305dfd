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

# --- distances, shuffles, extra losses, CTC, grid sampling, shrink/random activations, LP pooling
# (distance.py, shuffle.py, loss_extra.py, ctc.py, grid_sample.py, activation_extra.py, lp_pool.py,
# unpool.py, adaptive.py) ---
from .activation_extra import (  # noqa: F401,E402
    celu_, gumbel_softmax, hardshrink, rrelu, rrelu_, selu_, softshrink, threshold_)
from .adaptive import (  # noqa: F401,E402
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d_with_indices)
from .ctc import ctc_loss  # noqa: F401,E402
from .distance import cosine_similarity, pairwise_distance, pdist  # noqa: F401,E402
from .grid_sample import affine_grid, grid_sample  # noqa: F401,E402
from .loss_extra import (  # noqa: F401,E402
    gaussian_nll_loss, multilabel_margin_loss, multilabel_soft_margin_loss, poisson_nll_loss,
    triplet_margin_loss, triplet_margin_with_distance_loss)
from .lp_pool import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: F401,E402
from .shuffle import (  # noqa: F401,E402
    channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle, upsample_bilinear,
    upsample_nearest)
from .unpool import (  # noqa: F401,E402
    max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices, max_unpool1d,
    max_unpool3d)
# --- end distances ---
