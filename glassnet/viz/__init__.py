"""Plots of training runs and of what networks learn (matplotlib optional).

``plot_curves`` (loss/metrics per epoch), ``plot_confusion_matrix``, ``plot_filters``
(first-layer filters: the Gabor-like edges CNNs learn), ``plot_misclassified``,
``plot_feature_maps`` (+ ``capture_feature_maps`` via forward hooks). Each writes a PNG and
returns its path, or logs a note and returns None when matplotlib is not installed.
"""

from glassnet.viz._mpl import matplotlib_available
from glassnet.viz.confusion import plot_confusion_matrix
from glassnet.viz.curves import plot_curves
from glassnet.viz.images import (
                                 capture_feature_maps,
                                 plot_feature_maps,
                                 plot_filters,
                                 plot_images,
                                 plot_misclassified,
)

__all__ = ["plot_curves", "plot_confusion_matrix", "plot_filters", "plot_misclassified",
           "plot_feature_maps", "plot_images", "capture_feature_maps",
           "matplotlib_available"]
