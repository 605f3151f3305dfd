"""The layers' argument helpers (_single, _pair, _triple, _quadruple, _ntuple,
_reverse_repeat_tuple, _int_tuple) against PyTorch's."""

from __future__ import annotations

import pytest

from glassnet import nn


@pytest.mark.parametrize("value", [3, (1, 2), [4, 5, 6], (7,)])
def test_ntuple_helpers_match_pytorch(value):
    from torch.nn.modules import utils as T

    from glassnet.nn.modules import utils as G

    for name in ("_single", "_pair", "_triple", "_quadruple"):
        assert getattr(G, name)(value) == getattr(T, name)(value)
    assert G._ntuple(5)(value) == T._ntuple(5)(value)
    if isinstance(value, tuple):
        assert G._reverse_repeat_tuple(value, 2) == T._reverse_repeat_tuple(value, 2)


def test_int_tuple_checks_the_length_and_names_the_layer():
    from glassnet.nn.modules.utils import _int_tuple

    assert _int_tuple(3, 2, "stride", "Conv2d") == (3, 3)
    assert _int_tuple([1, 2], 2, "stride", "Conv2d") == (1, 2)
    with pytest.raises(ValueError, match=r"Conv2d: stride must be an int or a tuple of 2 values"):
        _int_tuple((1, 2, 3), 2, "stride", "Conv2d")
    with pytest.raises(ValueError, match=r"ZeroPad2d: padding must be an int or a tuple of 4"):
        nn.ZeroPad2d((1, 2))
