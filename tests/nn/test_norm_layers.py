"""Normalisation layers against PyTorch: train and eval mode, running statistics, every option."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as tnn
import torch.nn.functional as TF
from helpers import FLOAT_DTYPES, assert_close, check_parity, gradcheck
from nn_helpers import module_parity

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F

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
    with pytest.raises(ValueError, match="3 channels"):
        nn.BatchNorm1d(3)(gn.randn(4, 5))
    assert nn.BatchNorm1d(3).eval()(gn.randn(1, 3)).shape == (1, 3)


@pytest.mark.parametrize("training", [True, False])
def test_batch_norm_functional_gradcheck(training, rng):
    x = rng.standard_normal((4, 3, 2))
    w, b = rng.uniform(0.5, 1.5, 3), rng.standard_normal(3)
    rm, rv = rng.standard_normal(3), rng.uniform(0.5, 2, 3)

    def f(x, w, b):
        return F.batch_norm(x, gn.tensor(rm), gn.tensor(rv), w, b, training=training)

    gradcheck(f, [x, w, b])
    check_parity(lambda x, w, b: F.batch_norm(x, gn.tensor(rm, dtype=x.dtype),
                                              gn.tensor(rv, dtype=x.dtype), w, b, training),
                 lambda x, w, b: TF.batch_norm(x, torch.tensor(rm, dtype=x.dtype),
                                               torch.tensor(rv, dtype=x.dtype), w, b, training),
                 [x, w, b], dtype=np.float64)


@pytest.mark.parametrize("shape,ns", [((4, 6), (6,)), ((2, 3, 4), (4,)), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("opts", [dict(), dict(elementwise_affine=False), dict(bias=False),
                                  dict(eps=1e-2)])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_layernorm(shape, ns, opts, dtype, rng):
    g, t = nn.LayerNorm(ns, **opts), tnn.LayerNorm(ns, **opts)
    if t.weight is not None:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
    module_parity(g, t, [rng.standard_normal(shape) * 3 + 2], dtype)
    g.eval(), t.eval()
    module_parity(g, t, [rng.standard_normal(shape)], dtype)


def test_layer_and_group_norm_gradcheck(rng):
    x, w, b = rng.standard_normal((3, 4, 5)), rng.uniform(0.5, 1.5, 5), rng.standard_normal(5)
    gradcheck(lambda x, w, b: F.layer_norm(x, (5,), w, b), [x, w, b])
    x2, w2, b2 = rng.standard_normal((2, 6, 3)), rng.uniform(0.5, 1.5, 6), rng.standard_normal(6)
    gradcheck(lambda x, w, b: F.group_norm(x, 3, w, b), [x2, w2, b2])
    with pytest.raises(RuntimeError, match="normalized_shape"):
        F.layer_norm(gn.randn(2, 3), (4,))
    with pytest.raises(RuntimeError, match="divisible"):
        F.group_norm(gn.randn(2, 5, 3), 2)


@pytest.mark.parametrize("groups,shape", [(1, (3, 4, 5)), (2, (3, 4, 2, 2)), (4, (2, 4, 3)),
                                          (2, (5, 4))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("dtype", FLOAT_DTYPES)
def test_groupnorm(groups, shape, affine, dtype, rng):
    g, t = nn.GroupNorm(groups, 4, affine=affine), tnn.GroupNorm(groups, 4, affine=affine)
    if affine:
        with torch.no_grad():
            t.weight.uniform_(0.5, 1.5)
            t.bias.uniform_(-1, 1)
    module_parity(g, t, [rng.standard_normal(shape) * 2], dtype)


@pytest.mark.parametrize("name,shape", [("InstanceNorm1d", (3, 4, 5)), ("InstanceNorm2d",
                                                                         (2, 4, 3, 3)),
                                        ("InstanceNorm2d", (4, 3, 3)),
                                        ("InstanceNorm3d", (2, 4, 2, 2, 2))])
@pytest.mark.parametrize("opts", [dict(), dict(affine=True), dict(track_running_stats=True)])
def test_instancenorm(name, shape, opts, rng):
    g, t = getattr(nn, name)(4, **opts), getattr(tnn, name)(4, **opts)
    for step in range(2):
        module_parity(g, t, [rng.standard_normal(shape) * 2 + 1], np.float64, seed=step)
    for (bname, b), (_, tb) in zip(g.named_buffers(), t.named_buffers()):
        assert_close(b, tb, 1e-9, 1e-9, bname)
    g.eval(), t.eval()
    module_parity(g, t, [rng.standard_normal(shape)], np.float64)


def test_rmsnorm_lrn_normalize(rng):
    module_parity(nn.RMSNorm(5), tnn.RMSNorm(5), [rng.standard_normal((3, 5))], np.float64)
    module_parity(nn.RMSNorm((2, 5), eps=1e-3), tnn.RMSNorm((2, 5), eps=1e-3),
                  [rng.standard_normal((3, 2, 5))], np.float64)
    module_parity(nn.LocalResponseNorm(3), tnn.LocalResponseNorm(3),
                  [rng.standard_normal((2, 6, 3, 3)) * 5], np.float64)
    module_parity(nn.LocalResponseNorm(4, 1e-2, 0.5, 2.0), tnn.LocalResponseNorm(4, 1e-2, 0.5, 2.0),
                  [rng.standard_normal((2, 5, 4)) * 5], np.float64)
    x = rng.standard_normal((4, 3))
    check_parity(F.normalize, TF.normalize, [x], dtype=np.float64)
    check_parity(lambda t: F.normalize(t, p=1, dim=0), lambda t: TF.normalize(t, p=1, dim=0),
                 [x], dtype=np.float64)


def test_state_dict_round_trip_continues_bit_for_bit(rng):
    """Save mid-training, load into a fresh model: both continue identically."""
    def build():
        return nn.Sequential(nn.Linear(5, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 3))

    gn.manual_seed(0)
    a = build()
    xs = [gn.tensor(rng.standard_normal((6, 5)), dtype=gn.float32) for _ in range(4)]
    ys = [gn.tensor(rng.integers(0, 3, 6)) for _ in range(4)]

    def step(m, x, y):  # plain SGD, in place
        m.zero_grad()
        loss = F.cross_entropy(m(x), y)
        loss.backward()
        with gn.no_grad():
            for p in m.parameters():
                p._data -= 0.1 * p.grad._data
        return loss.item()

    step(a, xs[0], ys[0])
    saved = {k: v.numpy().copy() for k, v in a.state_dict().items()}
    b = build()
    b.load_state_dict(saved)
    for x, y in zip(xs[1:], ys[1:]):
        assert step(a, x, y) == step(b, x, y)
    for (k, va), (_, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        np.testing.assert_array_equal(va.numpy(), vb.numpy(), err_msg=k)
