"""Max unpooling in 1-D/2-D/3-D (functions and layers) and the max_pool*_with_indices names against
PyTorch, with float64 gradient checks."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, distinct, gradcheck

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

UNPOOL = {1: ((2, 3, 9), [(2, None, 0), (3, 2, 1)]),
          2: ((2, 2, 6, 5), [(2, None, 0), ((3, 2), (2, 1), (1, 0))]),
          3: ((1, 2, 4, 5, 4), [(2, None, 0), ((2, 3, 2), (2, 2, 1), (1, 1, 0))])}


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("nd", [1, 2, 3])
@pytest.mark.parametrize("batched", [True, False])
def test_max_unpool_parity(dtype, nd, batched, rng):
    shape, configs = UNPOOL[nd]
    x = distinct(rng, shape if batched else shape[1:])
    pool_t = getattr(TF, f"max_pool{nd}d")
    for k, s, p in configs:
        pooled, idx = pool_t(torch.from_numpy(x), k, s, p, return_indices=True)
        idx_g = gn.tensor(idx.numpy())
        for osz in (None, x.shape[-nd:]):
            try:
                getattr(TF, f"max_unpool{nd}d")(pooled, idx, k, s, p, osz)
            except RuntimeError:  # the default size is too small for these indices
                with pytest.raises(RuntimeError, match="invalid max index"):
                    getattr(F, f"max_unpool{nd}d")(gn.tensor(pooled.numpy()), idx_g, k, s, p,
                                                   osz)
                continue
            check_parity(lambda a: getattr(F, f"max_unpool{nd}d")(a, idx_g, k, s, p, osz),
                         lambda a: getattr(TF, f"max_unpool{nd}d")(a, idx, k, s, p, osz),
                         [pooled.numpy()], dtype=dtype)
        g = getattr(nn, f"MaxUnpool{nd}d")(k, s, p)
        t = getattr(tnn, f"MaxUnpool{nd}d")(k, s, p)
        assert repr(g) == repr(t)
        osz = x.shape[-nd:]
        check_parity(lambda a: g(a, idx_g, osz), lambda a: t(a, idx, osz), [pooled.numpy()],
                     dtype=dtype)


def test_max_unpool_roundtrip_gradcheck_and_errors(rng):
    x = gn.tensor(np.abs(distinct(rng, (1, 2, 8))) + 1)  # positive: zeros never win
    out, idx = F.max_pool1d(x, 2, return_indices=True)
    back = F.max_unpool1d(out, idx, 2)
    np.testing.assert_array_equal(F.max_pool1d(back, 2).numpy(), out.numpy())
    gradcheck(lambda a: F.max_unpool1d(a, idx, 2), [out.numpy()])
    out3, idx3 = F.max_pool3d(gn.tensor(distinct(rng, (1, 1, 4, 4, 4))), 2, return_indices=True)
    gradcheck(lambda a: F.max_unpool3d(a, idx3, 2), [out3.numpy()])
    with pytest.raises(ValueError, match="invalid output_size"):
        F.max_unpool1d(out, idx, 2, output_size=(12,))
    with pytest.raises(RuntimeError, match="invalid max index"):
        F.max_unpool1d(out, gn.tensor(np.full(tuple(out.shape), 99)), 2)


@pytest.mark.parametrize("nd", [1, 2, 3])
def test_with_indices_names(nd, rng):
    shape = (2, 3) + (6, 5, 4)[:nd]
    x = distinct(rng, shape)
    for ceil in (False, True):
        check_parity(lambda a: getattr(F, f"max_pool{nd}d_with_indices")(a, 2, None, 1, 1,
                                                                           ceil),
                     lambda a: getattr(TF, f"max_pool{nd}d_with_indices")(a, 2, None, 1, 1,
                                                                           ceil), [x])
    check_parity(lambda a: getattr(F, f"adaptive_max_pool{nd}d_with_indices")(a, 3),
                 lambda a: getattr(TF, f"adaptive_max_pool{nd}d_with_indices")(a, 3), [x])


def test_max_unpool2d_roundtrip(rng):
    x = rng.standard_normal((2, 3, 6, 7))
    for k, s, p in [(2, 2, 0), (3, 2, 1), (2, 1, 0)]:
        y, idx = F.max_pool2d(gn.tensor(x), k, s, p, return_indices=True)
        _, tidx = TF.max_pool2d(torch.tensor(x), k, s, p, return_indices=True)
        osz = x.shape[2:]
        check_parity(lambda a: F.max_unpool2d(a, idx, k, s, p, output_size=osz),
                     lambda a: TF.max_unpool2d(a, tidx, k, s, p, output_size=osz),
                     [y.numpy()], dtype=np.float64)
