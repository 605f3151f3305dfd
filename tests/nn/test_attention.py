"""nn.attention: sdpa_kernel accepts PyTorch's backend choices and changes nothing (glassnet has
one attention kernel); nn.common_types: the annotation aliases import."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.nn.attention import SDPBackend as TBackend

import glassnet as gn
from glassnet.nn.attention import SDPBackend, sdpa_kernel
from glassnet.nn.common_types import _size_2_t, _size_any_t


def test_sdpa_kernel_choices_give_the_same_result():
    assert {b.name: b.value for b in SDPBackend} == {k: int(v) for k, v in
                                                      TBackend.__members__.items()}
    q = gn.tensor(np.random.default_rng(0).standard_normal((1, 2, 4, 3)).astype(np.float32))
    ref = gn.nn.functional.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel([SDPBackend.FLASH_ATTENTION, SDPBackend.MATH]):
        out = gn.nn.functional.scaled_dot_product_attention(q, q, q)
    np.testing.assert_array_equal(out.numpy(), ref.numpy())
    with pytest.raises(TypeError, match="sdpa_kernel: expected SDPBackend"), sdpa_kernel("flash"):
        pass


def test_common_types_are_annotations():
    def conv_like(kernel_size: _size_2_t, pad: _size_any_t = 0):
        return kernel_size

    assert conv_like(3) == 3
    assert str(_size_2_t) == str(torch.nn.common_types._size_2_t)
