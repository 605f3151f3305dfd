"""LP pooling in 1-D/2-D/3-D (functions and layers) against PyTorch, with float64 gradient
checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet.nn as nn
import glassnet.nn.functional as F


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("p", [2.0, 1.0, 3, 1.5, float("inf")])
def test_lp_pool_parity(dtype, nd, p, rng):
    shape = (2, 2) + (7, 6, 5)[:nd]
    x = rng.uniform(0.1, 2.0, shape) if p == 1.5 else rng.standard_normal(shape)
    for k, s, ceil in ((2, None, False), (3, 2, True), ((2, 3, 2)[:nd] if nd > 1 else 3, 1,
                                                           False)):
        check_parity(lambda a: getattr(F, f"lp_pool{nd}d")(a, p, k, s, ceil),
                     lambda a: getattr(TF, f"lp_pool{nd}d")(a, p, k, s, ceil), [x],
                     dtype=dtype)
    g = getattr(nn, f"LPPool{nd}d")(p, 2, ceil_mode=True)
    t = getattr(tnn, f"LPPool{nd}d")(p, 2, ceil_mode=True)
    assert repr(g) == repr(t)
    check_parity(g, t, [x], dtype=dtype)


def test_lp_pool_zero_window_gradient_and_gradcheck(rng):
    x = rng.standard_normal((1, 2, 6, 6))
    x[0, 0, :2, :2] = 0.0  # a window whose sum of squares is 0: gradient 0, not NaN
    check_parity(lambda a: F.lp_pool2d(a, 2, 2), lambda a: TF.lp_pool2d(a, 2, 2), [x],
                 dtype=np.float64)
    gradcheck(lambda a: F.lp_pool2d(a, 2, 2), [rng.standard_normal((1, 2, 4, 4))])
    gradcheck(lambda a: F.lp_pool1d(a, 3, 3, 2), [rng.uniform(0.2, 1.0, (2, 1, 7))])
