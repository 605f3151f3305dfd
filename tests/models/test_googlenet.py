"""GoogLeNet (glassnet/models/googlenet.py): an Inception block concatenates its
branches."""

import glassnet as gn
from glassnet.models import Inception


def test_inception_block_concatenates_branches():
    block = Inception(8, 4, 3, 5, 2, 3, 2)
    out = block(gn.randn(2, 8, 7, 7))
    assert tuple(out.shape) == (2, 4 + 5 + 3 + 2, 7, 7) and block.out_channels == 14
    # 1x1 reductions before the 3x3 and 5x5 convolutions
    assert block.branch3[0].kernel_size in (1, (1, 1))
    assert block.branch5[0].kernel_size in (1, (1, 1))
    assert block.branch5[3].kernel_size in (5, (5, 5))
