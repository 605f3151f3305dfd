"""Process groups (glassnet/distributed/process_group.py) in one process (a script run
without mpiexec): errors before initialisation as PyTorch's, init arguments, the timeout
argument, and the behaviour without mpi4py."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from helpers import needs_mpi

import glassnet.distributed as dist
import glassnet.nn as nn
from glassnet.nn.parallel import DistributedDataParallel


def test_not_initialized_errors_match_pytorch():
    assert not dist.is_initialized()
    msg = "Default process group has not been initialized"
    for fn in (dist.get_rank, dist.get_world_size, dist.barrier):
        with pytest.raises(ValueError, match=msg):
            fn()
    with pytest.raises(ValueError, match=msg):
        DistributedDataParallel(nn.Linear(2, 2))


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
