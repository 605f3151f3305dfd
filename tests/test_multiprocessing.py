"""glassnet.multiprocessing: the standard library's names, shared tensors and modules seen by
forked processes (Hogwild!: an optimiser step in a child changes the parent's model), and
spawn's error reporting."""

from __future__ import annotations

import multiprocessing as std_mp
import sys

import numpy as np
import pytest

import glassnet as gn
import glassnet.multiprocessing as mp

fork_only = pytest.mark.skipif(sys.platform != "linux", reason="shared memory needs fork")


def _sgd_step(model):
    opt = gn.optim.SGD(model.parameters(), lr=0.5)
    model(gn.ones(1, 3)).sum().backward()
    opt.step()


@fork_only
def test_hogwild_update_in_a_child_reaches_the_parent():
    gn.manual_seed(0)
    model = gn.nn.Linear(3, 1)
    before = model.weight.detach().numpy().copy()
    assert model.share_memory() is model
    assert all(p.is_shared() for p in model.parameters())
    ctx = mp.get_context("fork")
    procs = [ctx.Process(target=_sgd_step, args=(model,)) for _ in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join()
    assert [p.exitcode for p in procs] == [0, 0]
    # each child subtracted lr * d(sum)/dW = 0.5 * 1 from every weight
    np.testing.assert_allclose(model.weight.detach().numpy(), before - 1.0, rtol=1e-6)


@fork_only
def test_shared_tensor_values_and_grad_still_work():
    t = gn.arange(6.0).reshape(2, 3).requires_grad_(True)
    assert not t.is_shared()
    t.share_memory_()
    assert t.is_shared() and t.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]]
    (t * t).sum().backward()
    assert t.grad.tolist() == [[0.0, 2.0, 4.0], [6.0, 8.0, 10.0]]


def _fail(rank):
    if rank == 1:
        raise ValueError("rank one fails")


def _ok(rank, out):
    out.put(rank)


def test_stdlib_names_and_spawn():
    assert mp.Process is std_mp.Process and mp.cpu_count() == std_mp.cpu_count()
    assert mp.get_sharing_strategy() in mp.get_all_sharing_strategies()
    ctx = mp.get_context("fork")
    q = ctx.SimpleQueue()
    mp.start_processes(_ok, args=(q,), nprocs=2, start_method="fork")
    assert sorted([q.get(), q.get()]) == [0, 1]
    with pytest.raises(mp.ProcessRaisedException, match="rank one fails") as info:
        mp.start_processes(_fail, nprocs=2, start_method="fork")
    assert info.value.error_index == 1
    with pytest.raises(ValueError, match="set_sharing_strategy"):
        mp.set_sharing_strategy("carrier pigeon")
