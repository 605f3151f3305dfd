"""The lectures made measurable: invariance, receptive fields, summaries, gradient flow."""

from .gradient_flow import gradient_norms, gradient_ratio  # noqa: F401
from .conv_matrix import conv_matrix, conv_param_comparison  # noqa: F401
