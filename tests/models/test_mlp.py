"""Multi-layer perceptrons (glassnet/models/mlp.py): the layers they build and their
errors."""

import pytest

from glassnet.models import MLP


def test_mlp_layers_and_errors():
    m = MLP([10, 8, 6, 3], activation="tanh", dropout=0.2, batch_norm=True)
    kinds = [type(l).__name__ for l in m]
    assert kinds == ["Flatten", "Linear", "BatchNorm1d", "Tanh", "Dropout", "Linear",
                     "BatchNorm1d", "Tanh", "Dropout", "Linear"]
    with pytest.raises(ValueError, match="sizes"):
        MLP([10])
    with pytest.raises(ValueError, match="unknown activation 'swish2'"):
        MLP([4, 4, 2], activation="swish2")
