"""glassnet.distributed in one process (a script run without mpiexec): a world of one, where
collectives leave tensors as they are and DistributedDataParallel trains exactly like the bare
module. Also the errors, and the behaviour without mpi4py."""

from __future__ import annotations

import copy
import importlib.util
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.distributed as dist
import glassnet.nn as nn
import glassnet.nn.functional as F
from glassnet.nn.parallel import DataParallel, DistributedDataParallel

HAVE_MPI = importlib.util.find_spec("mpi4py") is not None
needs_mpi = pytest.mark.skipif(not HAVE_MPI, reason="mpi4py is not installed")


@pytest.fixture
def world():
    if dist.is_initialized():
        dist.destroy_process_group()
    dist.init_process_group(backend="gloo")
    yield
    dist.destroy_process_group()


def test_not_initialized_errors_match_pytorch():
    assert not dist.is_initialized()
    msg = "Default process group has not been initialized"
    for fn in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match=msg):
            fn()
    with pytest.raises(ValueError, match=msg):
        DistributedDataParallel(nn.Linear(2, 2))


@needs_mpi
def test_world_of_one(world):
    assert dist.is_available() and dist.is_initialized()
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "gloo")
    t = gn.tensor([[1.0, -2.0], [3.0, 4.5]])
    for op in (dist.ReduceOp.SUM, dist.ReduceOp.AVG, dist.ReduceOp.MAX, dist.ReduceOp.PRODUCT):
        dist.all_reduce(t, op=op)
    assert t.tolist() == [[1.0, -2.0], [3.0, 4.5]] and t.dtype == gn.float32
    dist.broadcast(t, src=0)
    out = [gn.zeros(2, 2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == t.tolist()
    dist.all_reduce(t, async_op=True).wait()
    objs = []
    dist.all_gather_object(objs, {"a": 1})
    assert objs == [{"a": 1}]
    dist.barrier()
    with pytest.raises(ValueError, match="twice"):
        dist.init_process_group("gloo")
    with pytest.raises(ValueError, match="src: rank 1 is not in the group"):
        dist.broadcast(t, src=1)
    with pytest.raises(ValueError, match="AVG is not supported for dtype int64"):
        dist.all_reduce(gn.tensor([1, 2]), op=dist.ReduceOp.AVG)
    with pytest.raises(TypeError, match="expected a glassnet Tensor"):
        dist.all_reduce(np.ones(2))


@needs_mpi
def test_init_arguments():
    with pytest.raises(ValueError, match="backend 'nccl' is not available"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="world_size=2 but MPI started 1 .*mpiexec -n 2"):
        dist.init_process_group("gloo", world_size=2, rank=0)
    assert not dist.is_initialized()
    dist.init_process_group("cpu:gloo,cuda:nccl", init_method="env://", world_size=1, rank=0)
    assert dist.get_backend() == "gloo"
    dist.destroy_process_group()
    assert not dist.is_initialized()


def test_without_mpi4py(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None)
    assert not dist.is_available()
    with pytest.raises(ImportError, match="pip install mpi4py mpich"):
        dist.init_process_group("gloo")


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


def test_data_parallel_calls_the_module():
    net = _mlp()
    dp = DataParallel(net)
    x = gn.randn(2, 5)
    np.testing.assert_array_equal(dp(x).detach().numpy(), net(x).detach().numpy())
    assert dp.module is net and next(iter(dp.state_dict())) == "module.0.weight"
    assert nn.DataParallel is DataParallel
    assert nn.parallel.DistributedDataParallel is DistributedDataParallel


@pytest.mark.parametrize("initialized", [False, True])
def test_sync_batchnorm_in_one_process_is_batchnorm(initialized):
    if initialized:
        if not HAVE_MPI:
            pytest.skip("mpi4py is not installed")
        dist.init_process_group("gloo")
    try:
        net = nn.Sequential(nn.Conv2d(2, 3, 3), nn.BatchNorm2d(3), nn.ReLU(),
                            nn.Sequential(nn.Flatten(), nn.BatchNorm1d(12)))
        ref = copy.deepcopy(net)
        conv = nn.SyncBatchNorm.convert_sync_batchnorm(net)
        assert isinstance(conv[1], nn.SyncBatchNorm) and isinstance(conv[3][1], nn.SyncBatchNorm)
        x = gn.randn(4, 2, 4, 4)
        out, want = conv(x), ref(x)
        np.testing.assert_array_equal(out.detach().numpy(), want.detach().numpy())
        np.testing.assert_array_equal(conv[1].running_var.numpy(), ref[1].running_var.numpy())
    finally:
        if initialized:
            dist.destroy_process_group()


@needs_mpi
def test_timeout_argument_as_pytorch():
    import datetime

    assert dist.default_pg_timeout == datetime.timedelta(minutes=30)
    assert issubclass(dist.DistBackendError, dist.DistError)
    assert issubclass(dist.DistError, RuntimeError)
    if dist.is_initialized():
        dist.destroy_process_group()
    with pytest.raises(TypeError, match="datetime.timedelta"):
        dist.init_process_group("gloo", timeout=30)
    with pytest.raises(ValueError, match="positive"):
        dist.init_process_group("gloo", timeout=datetime.timedelta(0))
    hook = sys.excepthook
    dist.init_process_group("gloo", timeout=datetime.timedelta(seconds=5))
    try:
        assert dist.group.WORLD.timeout == 5.0
        g = dist.new_group([0], timeout=datetime.timedelta(seconds=2))
        assert g.timeout == 2.0
        dist.barrier(timeout=datetime.timedelta(seconds=1))
        # a world of one has no one to wait for: no watchdog, the excepthook is left alone
        assert sys.excepthook is hook
    finally:
        dist.destroy_process_group()
    dist.init_process_group("gloo")
    assert dist.group.WORLD.timeout == 1800.0
    dist.destroy_process_group()
