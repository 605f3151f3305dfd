"""glassnet/ops/softmax.py: softmax and log-softmax on zero-size tensors (the fused Functions
themselves are tested through nn.functional in tests/nn/functional/test_softmax_family.py)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from helpers import check_parity

import glassnet as gn


@pytest.mark.parametrize("shape, dim", [((0,), 0), ((0, 3), 0), ((0, 3), 1), ((2, 0, 3), 1),
                                        ((2, 0, 3), -1)])
@pytest.mark.parametrize("name", ["softmax", "log_softmax"])
def test_softmax_of_zero_size_tensors(shape, dim, name):
    x = np.zeros(shape)
    check_parity(lambda t: getattr(t, name)(dim), lambda t: getattr(t, name)(dim), [x])
    f = (lambda t: gn.nn.functional.softmin(t, dim)) if name == "softmax" else None
    if f is not None:
        check_parity(f, lambda t: torch.nn.functional.softmin(t, dim), [x])
