"""The lectures made measurable: invariance, receptive fields, summaries, gradient flow."""

from .gradient_flow import gradient_norms, gradient_ratio  # noqa: F401
