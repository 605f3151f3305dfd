"""The lectures made measurable: invariance, receptive fields, summaries, gradient flow."""

from .gradient_flow import activation_stds, gradient_norms, gradient_ratio  # noqa: F401
from .conv_matrix import conv_matrix, conv_param_comparison  # noqa: F401
from .dimensionality import (  # noqa: F401
    ball_volume_fraction, ball_volume_fraction_mc, curse_of_dimensionality_table,
    distance_limits, half_length, log10_samples_needed, pairwise_distance_stats,
    pairwise_distances, rind_growth_rate, rind_volume_fraction, rind_volume_fraction_mc,
    subcube_half_length)
from .equivariance import (  # noqa: F401
    disk_mask, equivariance_error, invariance_error, rot90, rotate, rotate_p4,
    rotation_deviation)
from .exact_rotation import BlobScene, rotation_sensitivity  # noqa: F401
from .invariance import shift, shift_batch, shift_consistency, shift_deviation  # noqa: F401
from .template import match_template, normalized_cross_correlation  # noqa: F401
from .deformation import (  # noqa: F401
    deformation_stability, deformation_table, displacement_gradient_norm, displacement_norm)
from .receptive_field import (  # noqa: F401
    EmpiricalReceptiveField, empirical_receptive_field, receptive_field)
from .filters import (  # noqa: F401
    activation_maximization, blur_kernel, edge_kernels, first_layer_filters, fit_gabor,
    gabor_kernel, kernels_to_weight, sharpen_kernel)
# parameter and multiply-add summaries live with the models; re-exported here
from ..models.summary import Summary, count_parameters, summary  # noqa: F401
