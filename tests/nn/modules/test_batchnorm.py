"""BatchNorm1d/2d/3d against PyTorch: train then eval mode, running statistics, every option,
errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
from helpers import FLOAT_DTYPES, assert_close
from nn_helpers import module_parity

import glassnet as gn
import glassnet.nn as nn

BN = [("BatchNorm1d", (6, 3)), ("BatchNorm1d", (5, 3, 4)), ("BatchNorm2d", (4, 3, 3, 2)),
      ("BatchNorm3d", (2, 3, 2, 2, 3))]
BN_OPTS = [dict(), dict(momentum=None), dict(affine=False), dict(track_running_stats=False),
           dict(momentum=0.3, eps=1e-3), dict(bias=False)]


@pytest.mark.parametrize("name,shape", BN, ids=[f"{n}-{len(s)}d" for n, s in BN])
@pytest.mark.parametrize("opts", BN_OPTS, ids=lambda o: "-".join(o) or "default")
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_batchnorm_train_then_eval(name, shape, opts, dtype, rng):
    g, t = getattr(nn, name)(3, **opts), getattr(tnn, name)(3, **opts)
    if g.weight is not None:  # non-trivial affine parameters
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            if t.bias is not None:
                t.bias.uniform_(-0.5, 0.5)
    for step in range(3):  # several batches: running statistics accumulate
        x = rng.standard_normal(shape) * 2 + 1
        module_parity(g, t, [x], dtype, seed=step)
    for (name_b, b), (_, tb) in zip(g.named_buffers(), t.named_buffers()):
        assert_close(b, tb, 1e-5 if dtype == np.float32 else 1e-9, 1e-6, name_b)
    g.eval(), t.eval()
    module_parity(g, t, [rng.standard_normal(shape)], dtype)


def test_batchnorm_running_var_is_unbiased_and_counts_batches(rng):
    bn = nn.BatchNorm1d(2, momentum=1.0)
    x = rng.standard_normal((5, 2)).astype(np.float32)
    bn(gn.tensor(x))
    np.testing.assert_allclose(bn.running_mean.numpy(), x.mean(0), rtol=1e-5)
    np.testing.assert_allclose(bn.running_var.numpy(), x.var(0, ddof=1), rtol=1e-5)
    assert bn.num_batches_tracked.item() == 1 and bn.num_batches_tracked.dtype == gn.int64
    # momentum=None: cumulative average of the batch statistics
    cm = nn.BatchNorm1d(2, momentum=None)
    xs = [rng.standard_normal((4, 2)).astype(np.float32) for _ in range(3)]
    for xb in xs:
        cm(gn.tensor(xb))
    np.testing.assert_allclose(cm.running_mean.numpy(), np.mean([v.mean(0) for v in xs], 0),
                               rtol=1e-5, atol=1e-6)


def test_batchnorm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(3)(gn.randn(1, 3))
    with pytest.raises(ValueError, match="4D"):
        nn.BatchNorm2d(3)(gn.randn(2, 3))
    with pytest.raises(RuntimeError, match="3 channels"):
        nn.BatchNorm1d(3)(gn.randn(4, 5))
    assert nn.BatchNorm1d(3).eval()(gn.randn(1, 3)).shape == (1, 3)


@pytest.mark.parametrize("affine,what", [(True, "weight"), (False, "running_mean")])
def test_negative_num_features_raise_as_pytorch(affine, what):
    with pytest.raises(RuntimeError, match="negative"):
        tnn.BatchNorm1d(-1, affine=affine)
    with pytest.raises(RuntimeError, match=rf"BatchNorm2d: {what} shape must be non-negative.*"
                                           r"negative dimension -1: \[-1\]"):
        nn.BatchNorm2d(-1, affine=affine)
