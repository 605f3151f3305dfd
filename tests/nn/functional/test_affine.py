"""F.linear against PyTorch, a float64 gradient check, and its errors."""

from __future__ import annotations

import pytest
import torch.nn.functional as TF
from helpers import check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F


def test_linear_functional_gradcheck_and_errors(rng):
    x, w, b = rng.standard_normal((3, 4)), rng.standard_normal((2, 4)), rng.standard_normal(2)
    gradcheck(F.linear, [x, w, b])
    check_parity(F.linear, TF.linear, [x, w, b])
    check_parity(F.linear, TF.linear, [x, w])
    with pytest.raises(RuntimeError, match=r"input has 5 features .* weight expects 4"):
        F.linear(gn.randn(2, 5), gn.tensor(w, dtype=gn.float32))
    with pytest.raises(RuntimeError, match="dtype"):
        F.linear(gn.randn(2, 4, dtype=gn.float64), gn.tensor(w, dtype=gn.float32))
