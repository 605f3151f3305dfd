"""AlexNet (glassnet/models/alexnet.py): five convolutions, three fully connected layers
and overlapping pooling."""

from glassnet.models import AlexNet


def test_alexnet_pattern_five_conv_three_fc_overlapping_pool():
    m = AlexNet()
    convs = [l for l in m.modules() if type(l).__name__ == "Conv2d"]
    fcs = [l for l in m.modules() if type(l).__name__ == "Linear"]
    pools = [l for l in m.modules() if type(l).__name__ == "MaxPool2d"]
    assert len(convs) == 5 and len(fcs) == 3 and len(pools) == 3
    for p in pools:  # overlapping: window 3 > stride 2
        assert p.kernel_size in (3, (3, 3)) and p.stride in (2, (2, 2))
    assert sum(type(l).__name__ == "Dropout" for l in m.modules()) == 2
