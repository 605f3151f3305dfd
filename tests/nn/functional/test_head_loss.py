"""linear_cross_entropy (glassnet/nn/functional/head_loss.py) against PyTorch: class-index and
probability targets, K-dimensional weights, bias, class weights, ignore_index, label smoothing,
every reduction, unbatched input; gradients to input, weight and bias; float64 differences."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, check_parity, gradcheck

import glassnet as gn
import glassnet.nn.functional as F


@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
def test_linear_cross_entropy(dtype, reduction, rng):
    x, w, b = rng.standard_normal((6, 4)), rng.standard_normal((5, 4)), rng.standard_normal(5)
    target = np.array([0, 4, 2, 2, 1, 3])
    target[2] = -100  # ignored by default
    cw = rng.uniform(0.5, 2, 5)

    def run(lib, fn, a, ww, bb, cls_w, ls):
        return fn(a, ww, lib.tensor(target), linear_bias=bb, weight=cls_w, reduction=reduction,
                  label_smoothing=ls)

    for ls in (0.0, 0.2):
        check_parity(lambda a, ww, bb, c, s=ls: run(gn, F.linear_cross_entropy, a, ww, bb, c, s),
                     lambda a, ww, bb, c, s=ls: run(torch, TF.linear_cross_entropy, a, ww, bb, c,
                                                    s),
                     [x, w, b, cw], dtype=dtype, grad_inputs=[0, 1, 2])
    gradcheck(lambda a, ww, bb: run(gn, F.linear_cross_entropy, a, ww, bb, None, 0.1),
              [x, w, b])


def test_linear_cross_entropy_k_dimensional_probabilities_and_unbatched(rng):
    x, w = rng.standard_normal((3, 4)), rng.standard_normal((5, 2, 4))  # logits (3, 5, 2)
    b = rng.standard_normal((5, 2))
    idx = np.array([[0, 4], [2, 2], [1, 3]])
    probs = rng.dirichlet(np.ones(5), (3, 2)).transpose(0, 2, 1)  # (3, 5, 2)
    for t in (idx, probs):
        f = lambda lib, fn, t=t: (lambda a, ww, bb: fn(a, ww, lib.tensor(t), linear_bias=bb))
        check_parity(f(gn, F.linear_cross_entropy), f(torch, TF.linear_cross_entropy),
                     [x, w, b], dtype=np.float64)
    u = rng.standard_normal(4)
    check_parity(lambda a, ww: F.linear_cross_entropy(a, ww, gn.tensor(3)),
                 lambda a, ww: TF.linear_cross_entropy(a, ww, torch.tensor(3)),
                 [u, rng.standard_normal((5, 4))])
    opts = torch.nn.LinearCrossEntropyOptions(batch_chunk_size=2)
    check_parity(lambda a, ww: F.linear_cross_entropy(a, ww, gn.tensor(idx[:, 0]), options=opts),
                 lambda a, ww: TF.linear_cross_entropy(a, ww, torch.tensor(idx[:, 0]),
                                                       options=opts),
                 [x, rng.standard_normal((5, 4))], dtype=np.float64)


def test_linear_cross_entropy_errors():
    x, w = gn.zeros(3, 4), gn.zeros(5, 4)
    with pytest.raises(RuntimeError, match="dimensionality 1 or 2"):
        F.linear_cross_entropy(gn.zeros(2, 3, 4), w, gn.zeros(2, dtype=gn.int64))
    with pytest.raises(RuntimeError, match="in_features"):
        F.linear_cross_entropy(x, gn.zeros(5, 3), gn.zeros(3, dtype=gn.int64))
    with pytest.raises(RuntimeError, match="linear_bias shape"):
        F.linear_cross_entropy(x, w, gn.zeros(3, dtype=gn.int64), linear_bias=gn.zeros(4))
    with pytest.raises(RuntimeError, match="ignore_index cannot be specified"):
        F.linear_cross_entropy(x, w, gn.zeros(3, 5), ignore_index=1)
