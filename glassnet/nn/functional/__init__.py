"""Stateless neural-network maths with PyTorch's names (``import glassnet.nn.functional as F``).

One module per idea; none is named like a function it exports, so ``F.softmax`` is always the
function. Each op's Function holds its forward, backward, differentiable backward
(``create_graph=True``) and ONNX conversion (``to_onnx``) in one class.
"""

# --- activations ---
from .piecewise_linear import *  # noqa: F401,F403
from .smooth_activation import *  # noqa: F401,F403
from .softmax_family import *  # noqa: F401,F403

# --- affine maps, lookups, dropout ---
from .affine import *  # noqa: F401,F403
from .dropout_family import *  # noqa: F401,F403
from .lookup import *  # noqa: F401,F403

# --- losses ---
from .classification_loss import *  # noqa: F401,F403
from .ctc import ctc_loss  # noqa: F401
from .head_loss import linear_cross_entropy  # noqa: F401
from .logistic_loss import *  # noqa: F401,F403
from .margin_loss import *  # noqa: F401,F403
from .regression_loss import *  # noqa: F401,F403

# --- normalisation, distances ---
from .batch_normalization import *  # noqa: F401,F403
from .distance import cosine_similarity, pairwise_distance, pdist  # noqa: F401
from .normalization import *  # noqa: F401,F403

# --- convolution, padding, pooling, sampling ---
from .adaptive import (  # noqa: F401
    adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d, adaptive_max_pool1d,
    adaptive_max_pool1d_with_indices, adaptive_max_pool2d, adaptive_max_pool2d_with_indices,
    adaptive_max_pool3d, adaptive_max_pool3d_with_indices)
from .conv import (  # noqa: F401
    conv1d, conv2d, conv3d, conv_transpose1d, conv_transpose2d, conv_transpose3d, convolve,
    flip_kernel)
from .fractional_pool import (  # noqa: F401
    fractional_max_pool2d, fractional_max_pool2d_with_indices, fractional_max_pool3d,
    fractional_max_pool3d_with_indices)
from .lp_pool import lp_pool1d, lp_pool2d, lp_pool3d  # noqa: F401
from .padding import pad  # noqa: F401
from .pooling import (  # noqa: F401
    avg_pool1d, avg_pool2d, avg_pool3d, max_pool1d, max_pool2d, max_pool3d)
from .sampling import interpolate, upsample  # noqa: F401
from .shuffle import (  # noqa: F401
    channel_shuffle, native_channel_shuffle, pixel_shuffle, pixel_unshuffle, upsample_bilinear,
    upsample_nearest)
from .sliding_blocks import fold, unfold  # noqa: F401
from .spatial_transformer import affine_grid, grid_sample  # noqa: F401
from .unpool import (  # noqa: F401
    max_pool1d_with_indices, max_pool2d_with_indices, max_pool3d_with_indices, max_unpool1d,
    max_unpool2d, max_unpool3d)

# --- attention ---
from .attention import multi_head_attention_forward, scaled_dot_product_attention  # noqa: F401
from .attention import _canonical_mask, _none_or_dtype  # noqa: F401
