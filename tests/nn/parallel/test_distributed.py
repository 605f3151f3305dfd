"""DistributedDataParallel (glassnet/nn/parallel/distributed.py) in a world of one: it
trains exactly like the bare module, no_sync and state_dict, and its errors."""

from __future__ import annotations

import copy

import numpy as np
import pytest
from helpers import needs_mpi

import glassnet as gn
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.nn.parallel import DistributedDataParallel


def _mlp():
    return nn.Sequential(nn.Linear(5, 7), nn.ReLU(), nn.Linear(7, 3))


@needs_mpi
@pytest.mark.parametrize("as_view", [False, True])
def test_ddp_trains_like_the_bare_module(world, as_view):
    model = DistributedDataParallel(_mlp(), bucket_cap_mb=0.0001,
                                    gradient_as_bucket_view=as_view)
    ref = copy.deepcopy(model.module)
    opt = gn.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    ref_opt = gn.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    x, y = gn.randn(8, 5), gn.randint(0, 3, (8,))
    for step in range(3):
        opt.zero_grad(set_to_none=step % 2 == 0)
        ref_opt.zero_grad(set_to_none=step % 2 == 0)
        F.cross_entropy(model(x), y).backward()
        F.cross_entropy(ref(x), y).backward()
        for p, q in zip(model.module.parameters(), ref.parameters()):
            np.testing.assert_array_equal(p.grad.numpy(), q.grad.numpy())
        opt.step()
        ref_opt.step()
    for p, q in zip(model.module.parameters(), ref.parameters()):
        np.testing.assert_array_equal(p.detach().numpy(), q.detach().numpy())
    assert len(model.reducer.buckets) == 3  # [w1], [b1, w2], [b2], reduced last first


@needs_mpi
def test_ddp_no_sync_and_state_dict(world):
    model = DistributedDataParallel(_mlp())
    ref = copy.deepcopy(model.module)
    xs = [gn.randn(4, 5) for _ in range(3)]
    with model.no_sync():
        for x in xs[:2]:
            model(x).pow(2).mean().backward()
    model(xs[2]).pow(2).mean().backward()
    for x in xs:
        ref(x).pow(2).mean().backward()
    for p, q in zip(model.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    keys = list(model.state_dict())
    assert keys == ["module." + k for k in ref.state_dict()]
    fresh = DistributedDataParallel(_mlp())
    fresh.load_state_dict(model.state_dict())
    np.testing.assert_array_equal(fresh.module[0].weight.detach().numpy(),
                                  model.module[0].weight.detach().numpy())
    with gn.no_grad():  # evaluation does not arm the gradient hooks
        model(xs[0])
    assert not model.reducer.armed


class _TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(3, 2), nn.Linear(3, 2)

    def forward(self, x):
        return self.a(x), self.b(x)


@needs_mpi
def test_ddp_errors(world):
    frozen = nn.Linear(2, 2).requires_grad_(False)
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a gradient"):
        DistributedDataParallel(frozen)
    model = DistributedDataParallel(_TwoHeads())
    x = gn.randn(4, 3)
    a, _ = model(x)
    a.sum().backward()  # head b never receives its gradient
    with pytest.raises(RuntimeError, match="expected to have finished reduction"):
        model(x)
    a, b = model(x)  # after the error the next iteration starts afresh
    (a.sum() + b.sum()).backward()
    assert model.module.b.weight.grad is not None
