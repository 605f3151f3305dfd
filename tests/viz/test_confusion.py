"""The confusion matrix (glassnet/viz/confusion.py): counts and its size check."""

from __future__ import annotations

import numpy as np
import pytest

import glassnet.viz as viz


def test_confusion_matrix_counts():
    t = np.array([0, 0, 1, 2, 2, 2])
    p = np.array([0, 1, 1, 2, 0, 2])
    cm = viz.confusion_matrix(t, p)
    np.testing.assert_array_equal(cm, [[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    assert viz.confusion_matrix(t, p, num_classes=5).shape == (5, 5)
    with pytest.raises(ValueError, match="6 labels but y_pred has 2"):
        viz.confusion_matrix(t, p[:2])
