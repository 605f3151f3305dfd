"""LeNet-5 (glassnet/models/lenet.py): the layers of the 1998 paper."""

import pytest

from glassnet.models import LeNet5


def test_lenet5_layers_follow_1998():
    classic, modern = LeNet5("classic"), LeNet5("modern")
    kinds = [type(m).__name__ for m in classic.features]
    assert kinds == ["Conv2d", "Tanh", "AvgPool2d", "Conv2d", "Tanh", "AvgPool2d", "Conv2d",
                     "Tanh"]
    assert [type(m).__name__ for m in modern.features][1:3] == ["ReLU", "MaxPool2d"]
    assert classic.features[0].padding in (2, (2, 2))  # 28x28 seen as 32x32
    assert LeNet5(input_size=32).features[0].padding in (0, (0, 0))
    with pytest.raises(ValueError, match="input_size"):
        LeNet5(input_size=24)
    with pytest.raises(ValueError, match="variant"):
        LeNet5("fancy")
