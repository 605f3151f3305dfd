"""Collectives (glassnet/distributed/collectives.py) in a world of one: they leave tensors
as they are, and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import needs_mpi

import glassnet as gn
import glassnet.distributed as dist


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
